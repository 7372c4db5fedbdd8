-- +goose Up
-- Why: the failure-patterns report (issue 14, seeds 7.1 and 7.6) groups failed problem-fix deployments by
-- what their post-implementation reviews found. A finding tag is a category of the policy's one root cause
-- taxonomy (root_cause_categories: the store keeps the tag, the policy in force when it was set decided that
-- it was known), one row per tag so that a report counts deployments per tag with a join instead of parsing
-- JSON per row. Reviews are joined to deployments through their release: pirs(release_id) finds them.
CREATE TABLE pir_finding_tags (
    pir_id BIGINT NOT NULL REFERENCES pirs(id),
    tag    TEXT NOT NULL,
    PRIMARY KEY (pir_id, tag)
);
CREATE INDEX pirs_release ON pirs(release_id) WHERE release_id IS NOT NULL;

-- +goose Down
DROP INDEX pirs_release;
DROP TABLE pir_finding_tags;
