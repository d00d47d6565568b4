-- +goose Up
-- The token check reads the token's row alone (and the menus counter): each token carries a copy
-- of its identity's info_version, which every change to what the user's info shows bumps in the
-- same transaction as the identity's own. One DDL change per statement (TiDB).
ALTER TABLE login_tokens ADD COLUMN info_version BIGINT UNSIGNED NOT NULL DEFAULT 0;
UPDATE login_tokens SET info_version = COALESCE((SELECT w.info_version FROM wechat_identities w WHERE w.id = login_tokens.identity_id), 0);

-- +goose Down
ALTER TABLE login_tokens DROP COLUMN info_version;
