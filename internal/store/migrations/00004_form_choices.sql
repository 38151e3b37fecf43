-- What each person picked last in the create form, per site, so the next
-- ticket starts there in any browser and after signing out.

-- +goose Up
CREATE TABLE form_choices (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    cloud_id   TEXT NOT NULL,
    project    TEXT NOT NULL,
    issue_type TEXT NOT NULL DEFAULT '',
    priority   TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, cloud_id)
);

-- +goose Down
DROP TABLE form_choices;
