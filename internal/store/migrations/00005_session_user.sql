-- Each session remembers whose it is, so the read every signed-in request
-- starts with can fetch the session, the user's grant and the selected site
-- in one statement. NULL: a session of nobody, or one stored before this
-- column, until its next write.

-- +goose Up
ALTER TABLE sessions ADD COLUMN user_id TEXT;

-- +goose Down
ALTER TABLE sessions DROP COLUMN user_id;
