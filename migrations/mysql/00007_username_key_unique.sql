-- +goose Up
-- Every account has its key now (00006); an insert that forgets it fails instead of storing ''.
-- One change per statement: TiDB cannot index a column in the ALTER that changes it.
ALTER TABLE accounts ALTER COLUMN username_key DROP DEFAULT;
CREATE UNIQUE INDEX uk_accounts_username_key ON accounts (username_key);

-- +goose Down
DROP INDEX uk_accounts_username_key ON accounts;
ALTER TABLE accounts ALTER COLUMN username_key SET DEFAULT '';
