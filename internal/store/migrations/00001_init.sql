-- One schema for SQLite and PostgreSQL: only types both accept.
-- Times are BIGINT Unix milliseconds (UTC): both engines compare and index
-- them identically, and neither driver gets to reinterpret a time zone.
-- Tokens are sealed text ("v1:<key id>:<base64url>"), never plaintext.

-- +goose Up
CREATE TABLE users (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL UNIQUE,
    email      TEXT NOT NULL DEFAULT '',
    name       TEXT NOT NULL DEFAULT '',
    picture    TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE grants (
    user_id           TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    access_token      TEXT NOT NULL,
    refresh_token     TEXT NOT NULL,
    token_type        TEXT NOT NULL DEFAULT '',
    scopes            TEXT NOT NULL DEFAULT '',
    expires_at        BIGINT NOT NULL,
    family_started_at BIGINT NOT NULL,
    refreshed_at      BIGINT,
    version           BIGINT NOT NULL,
    lost_at           BIGINT,
    lost_reason       TEXT NOT NULL DEFAULT '',
    selected_cloud_id TEXT NOT NULL DEFAULT '',
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);

CREATE TABLE sites (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    cloud_id   TEXT NOT NULL,
    name       TEXT NOT NULL DEFAULT '',
    url        TEXT NOT NULL DEFAULT '',
    scopes     TEXT NOT NULL DEFAULT '',
    avatar_url TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (user_id, cloud_id)
);

CREATE TABLE tickets (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    cloud_id   TEXT NOT NULL,
    issue_key  TEXT NOT NULL,
    url        TEXT NOT NULL DEFAULT '',
    summary    TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, cloud_id, issue_key)
);
CREATE INDEX tickets_recent ON tickets (user_id, created_at DESC);

-- token_hash is SHA-256 of the session cookie, so a copy of the database
-- does not hand out live sessions. BYTEA is PostgreSQL's binary type;
-- SQLite takes the name and stores the bytes as a blob unchanged.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    data       BYTEA NOT NULL,
    expiry     BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expiry);

-- +goose Down
DROP TABLE sessions;
DROP TABLE tickets;
DROP TABLE sites;
DROP TABLE grants;
DROP TABLE users;
