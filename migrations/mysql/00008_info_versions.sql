-- +goose Up
-- What the mini-program's info call shows is cached per server instance and checked against these
-- counters, read with the token in one statement by primary keys: a change bumps its counter in
-- the same transaction, so every instance sees it on its next request. One DDL change per
-- statement (TiDB).
ALTER TABLE accounts ADD COLUMN info_version BIGINT UNSIGNED NOT NULL DEFAULT 0;
ALTER TABLE wechat_identities ADD COLUMN info_version BIGINT UNSIGNED NOT NULL DEFAULT 0;
CREATE TABLE change_counters (
    name  VARCHAR(32)     NOT NULL,
    value BIGINT UNSIGNED NOT NULL DEFAULT 0,
    PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
INSERT INTO change_counters (name, value) VALUES ('menus', 0);

-- +goose Down
DROP TABLE change_counters;
ALTER TABLE wechat_identities DROP COLUMN info_version;
ALTER TABLE accounts DROP COLUMN info_version;
