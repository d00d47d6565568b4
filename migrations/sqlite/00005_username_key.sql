-- +goose Up
-- Usernames are compared by a key (Unicode NFKC + case folding, computed by the server); TEXT
-- compares byte for byte here. Added empty here; the Go migration 00006 fills it (and refuses if
-- two accounts share a key); 00007 makes it unique.
ALTER TABLE accounts ADD COLUMN username_key TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE accounts DROP COLUMN username_key;
