#!/usr/bin/env bash
# Starts a throwaway PostgreSQL for the store tests and prints, on stdout and
# nothing else, the line to eval:
#
#   eval "$(bash .ci/postgres.sh)"   # export TM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable
#
# Idempotent: a server this script started and that still runs is reused; a
# stopped one is started again. It listens on 127.0.0.1 only, on a free port,
# trusts local connections (a test server: never put data in it), and runs
# without fsync. Works as root (the server runs as the postgres user, which
# owns the data directory) or as an ordinary user (the server runs as them).
#
# Environment: PG_BIN (default: the newest /usr/lib/postgresql/*/bin),
# TM_PG_DIR (default /tmp/tm-postgres). `bash .ci/postgres.sh stop` stops it.
set -euo pipefail

die() { echo "postgres.sh: $*" >&2; exit 1; }
log() { echo "postgres.sh: $*" >&2; }

dir="${TM_PG_DIR:-/tmp/tm-postgres}"
data="$dir/data"
portfile="$dir/port"

bin="${PG_BIN:-}"
if [ -z "$bin" ]; then
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
fi
[ -n "$bin" ] && [ -x "$bin/initdb" ] && [ -x "$bin/pg_ctl" ] ||
  die "no PostgreSQL server binaries (initdb, pg_ctl) under ${bin:-/usr/lib/postgresql/*/bin}; install postgresql (Debian: apt-get install -y postgresql) or set PG_BIN"

# as_owner runs a command as the user who owns the server: postgres refuses
# to run as root.
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || die "running as root, but there is no 'postgres' user to run the server as (Debian's postgresql package creates it)"
  command -v runuser >/dev/null || die "running as root, but runuser (util-linux) is missing"
  as_owner() { runuser -u postgres -- "$@"; }
else
  as_owner() { "$@"; }
fi

running() { [ -f "$data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; }

url() { echo "export TM_TEST_POSTGRES_URL='postgres://postgres@127.0.0.1:$1/postgres?sslmode=disable'"; }

if [ "${1:-}" = stop ]; then
  if running; then as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >&2; fi
  exit 0
fi

if running && [ -s "$portfile" ]; then
  log "reusing the server in $data on port $(cat "$portfile")"
  url "$(cat "$portfile")"
  exit 0
fi

mkdir -p "$dir"
chmod 0755 "$dir"
if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi

if [ ! -s "$data/PG_VERSION" ]; then
  rm -rf "$data"
  log "initdb $data"
  as_owner "$bin/initdb" -D "$data" -A trust -U postgres -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; die "initdb failed (log above)"; }
fi

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Try the port of the last run first, then random ones: another server may
# have taken a port between the check and the start.
candidates=()
if [ -s "$portfile" ]; then candidates+=("$(cat "$portfile")"); fi
for _ in 1 2 3 4 5; do candidates+=($((20000 + RANDOM % 30000))); done

for port in "${candidates[@]}"; do
  port_free "$port" || continue
  log "starting PostgreSQL ($("$bin/postgres" --version)) on 127.0.0.1:$port"
  if as_owner "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >&2; then
    echo "$port" >"$portfile"
    # Prove it answers on TCP before telling anyone to use it.
    if [ -x "$bin/pg_isready" ]; then
      "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 10 ||
        die "the server started but does not answer on 127.0.0.1:$port; see $dir/server.log"
    fi
    url "$port"
    exit 0
  fi
  log "start on port $port failed; server log:"
  tail -n 20 "$dir/server.log" >&2 || true
done
die "could not start PostgreSQL (tried ports ${candidates[*]}); see $dir/server.log"
