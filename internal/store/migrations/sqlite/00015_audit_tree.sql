-- +goose Up
-- Why: the hash chain alone is checked against a head kept in the same database, so whoever can write the
-- database can truncate, rebuild or roll it back unnoticed. audit_tree holds the RFC 6962 Merkle tree over the
-- events (the golang.org/x/mod/sumdb/tlog stored hashes, index idx), written in the transaction that appends the
-- events it covers; databases older than this migration get theirs built from their events when the store opens.
-- audit_checkpoints keeps the checkpoints signed (Ed25519, key outside the database) over that tree, as C2SP
-- signed notes: anyone holding the public key checks them, so a database administrator cannot forge one.
-- (idx is INTEGER PRIMARY KEY here, SQLite's rowid: verify scans the tree in idx order without an index lookup.)
CREATE TABLE audit_tree (
    idx  INTEGER PRIMARY KEY,
    hash BLOB NOT NULL
);
CREATE TABLE audit_checkpoints (
    size       BIGINT PRIMARY KEY,
    note       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
