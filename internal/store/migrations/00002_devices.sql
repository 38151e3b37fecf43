-- Device sign-in (RFC 8628) and the ticket-mate tokens it hands out.
-- Neither table holds a usable secret: device codes and tokens are stored
-- as their SHA-256, like session cookies.

-- +goose Up
CREATE TABLE device_auths (
    device_code_hash TEXT PRIMARY KEY,
    user_code        TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL DEFAULT '',
    host             TEXT NOT NULL DEFAULT '',
    scopes           TEXT NOT NULL DEFAULT '',
    interval_ms      BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    polled_at        BIGINT,
    state            TEXT NOT NULL,
    user_id          TEXT REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX device_auths_expiry ON device_auths (expires_at);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL DEFAULT '',
    host         TEXT NOT NULL DEFAULT '',
    scopes       TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at DESC);

-- +goose Down
DROP TABLE api_tokens;
DROP TABLE device_auths;
