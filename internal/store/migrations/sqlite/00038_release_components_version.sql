-- +goose Up
-- Why: creating a release checks that its version bumps its line's latest, the highest version live in
-- production among its CIs (store.liveInProduction). That read every succeeded production deployment of
-- the history with a window over them, inside the release's write transaction (280 ms over 100k
-- deployments, holding SQLite's write lock); it now reads the deployments of the releases holding a
-- version of the line's CIs, found through this index (release_components had only its primary key,
-- release first).
CREATE INDEX release_components_version ON release_components(component_version_id, release_id);

-- +goose Down
DROP INDEX release_components_version;
