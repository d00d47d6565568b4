-- +goose Up
-- An admin chose the account's menu roles when creating it (none, too): its first bind adds no
-- default menu role. Accounts made outside the console's form (the CLI, the demo) leave it 0.
ALTER TABLE accounts ADD COLUMN menu_roles_chosen BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE accounts DROP COLUMN menu_roles_chosen;
