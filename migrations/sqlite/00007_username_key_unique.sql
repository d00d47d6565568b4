-- +goose Up
-- Every account has its key now (00006).
CREATE UNIQUE INDEX uk_accounts_username_key ON accounts (username_key);

-- +goose Down
DROP INDEX uk_accounts_username_key;
