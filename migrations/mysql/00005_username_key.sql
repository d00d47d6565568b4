-- +goose Up
-- Usernames are compared by a key (Unicode NFKC + case folding, computed by the server), not by
-- this database's collation: utf8mb4_bin, so MySQL, MariaDB and TiDB fold nothing further and a
-- deployment moved from SQLite keeps who is who. Added empty here; the Go migration 00006 fills
-- it (and refuses if two accounts share a key); 00007 makes it unique.
ALTER TABLE accounts ADD COLUMN username_key VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE accounts DROP COLUMN username_key;
