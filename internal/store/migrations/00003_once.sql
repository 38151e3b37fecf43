-- Requests that must take effect once (creates carrying an Idempotency-Key),
-- shared by every replica: a double submit that lands on two replicas still
-- makes one ticket. The answer is the ticket's key, link and summary; no
-- credential is ever part of it.

-- +goose Up
CREATE TABLE once_requests (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    idem_key   TEXT NOT NULL,
    body_hash  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    done       INTEGER NOT NULL DEFAULT 0,
    status     INTEGER NOT NULL DEFAULT 0,
    header     TEXT NOT NULL DEFAULT '{}',
    answer     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (user_id, idem_key)
);
CREATE INDEX once_requests_expiry ON once_requests (expires_at);

-- +goose Down
DROP TABLE once_requests;
