-- +goose Up
-- The first admin's generated password must be changed at the first console login.
ALTER TABLE accounts ADD COLUMN password_must_change BOOLEAN NOT NULL DEFAULT FALSE;
-- The console's lists sort and filter by these; each keeps its order readable from an index,
-- one change per statement so that TiDB takes them too.
CREATE INDEX idx_accounts_created ON accounts (created_at, id);
CREATE INDEX idx_accounts_status ON accounts (status, id);
CREATE INDEX idx_wechat_identities_last_login ON wechat_identities (appid, last_login_at, id);
CREATE INDEX idx_wechat_identities_created ON wechat_identities (appid, created_at, id);

-- +goose Down
DROP INDEX idx_wechat_identities_created ON wechat_identities;
DROP INDEX idx_wechat_identities_last_login ON wechat_identities;
DROP INDEX idx_accounts_status ON accounts;
DROP INDEX idx_accounts_created ON accounts;
ALTER TABLE accounts DROP COLUMN password_must_change;
