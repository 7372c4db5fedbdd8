-- +goose Up
-- Why: `fixgate release tag` creates the annotated git tag vX.Y.Z in the user's repository (the server
-- never touches it) and records here which tag and commit the release was cut from (issue 13), so an
-- auditor can go from a release to its source; '' means not tagged yet. A tag is never moved.
ALTER TABLE releases ADD COLUMN tag TEXT NOT NULL DEFAULT '';
ALTER TABLE releases ADD COLUMN tag_commit TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE releases DROP COLUMN tag_commit;
ALTER TABLE releases DROP COLUMN tag;
