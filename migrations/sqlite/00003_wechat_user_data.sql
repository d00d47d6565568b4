-- +goose Up
-- The phone number WeChat vouched for (getPhoneNumber): digits without the country code, and
-- the country code apart, so the console can search and mask the number.
ALTER TABLE accounts ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN phone_country_code TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN phone_updated_at DATETIME NULL;
CREATE INDEX idx_accounts_phone ON accounts (phone);

-- One access_token per appid, shared by every server instance. The token is sealed with a key
-- derived from SECRET_KEY. lease_holder/lease_until let one instance at a time renew it.
CREATE TABLE wechat_access_tokens (
    appid         TEXT     NOT NULL PRIMARY KEY,
    token_sealed  TEXT     NOT NULL DEFAULT '',
    expires_at    DATETIME NULL,
    refresh_after DATETIME NULL,
    lease_holder  TEXT     NOT NULL DEFAULT '',
    lease_until   DATETIME NULL,
    updated_at    DATETIME NOT NULL
);

-- +goose Down
DROP TABLE wechat_access_tokens;
DROP INDEX idx_accounts_phone;
ALTER TABLE accounts DROP COLUMN phone_updated_at;
ALTER TABLE accounts DROP COLUMN phone_country_code;
ALTER TABLE accounts DROP COLUMN phone;
