-- +goose Up
-- Why: an environment names the driver that carries its deployments on its own record (issue 11: "in the
-- policy or on the record"), so a team can set it with `fixgate env update --driver` without a policy
-- change; '' means the policy's environments.NAME.driver.
ALTER TABLE environments ADD COLUMN driver TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE environments DROP COLUMN driver;
