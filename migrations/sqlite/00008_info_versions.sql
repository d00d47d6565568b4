-- +goose Up
-- What the mini-program's info call shows is cached per server instance and checked against these
-- counters, read with the token in one statement by primary keys: a change bumps its counter in
-- the same transaction, so every instance sees it on its next request.
ALTER TABLE accounts ADD COLUMN info_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE wechat_identities ADD COLUMN info_version INTEGER NOT NULL DEFAULT 0;
CREATE TABLE change_counters (
    name  TEXT    NOT NULL PRIMARY KEY,
    value INTEGER NOT NULL DEFAULT 0
);
INSERT INTO change_counters (name, value) VALUES ('menus', 0);

-- +goose Down
DROP TABLE change_counters;
ALTER TABLE wechat_identities DROP COLUMN info_version;
ALTER TABLE accounts DROP COLUMN info_version;
