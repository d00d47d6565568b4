-- +goose Up
-- The phone number WeChat vouched for (getPhoneNumber): digits without the country code, and
-- the country code apart, so the console can search and mask the number. The index comes in a
-- statement of its own: TiDB cannot index a column added in the same ALTER TABLE.
ALTER TABLE accounts
    ADD COLUMN phone              VARCHAR(32) NOT NULL DEFAULT '',
    ADD COLUMN phone_country_code VARCHAR(8)  NOT NULL DEFAULT '',
    ADD COLUMN phone_updated_at   DATETIME(3) NULL;
CREATE INDEX idx_accounts_phone ON accounts (phone);

-- One access_token per appid, shared by every server instance. The token is sealed with a key
-- derived from SECRET_KEY. lease_holder/lease_until let one instance at a time renew it.
CREATE TABLE wechat_access_tokens (
    appid         VARCHAR(64)   NOT NULL,
    token_sealed  VARCHAR(1024) NOT NULL DEFAULT '',
    expires_at    DATETIME(3)   NULL,
    refresh_after DATETIME(3)   NULL,
    lease_holder  VARCHAR(64)   NOT NULL DEFAULT '',
    lease_until   DATETIME(3)   NULL,
    updated_at    DATETIME(3)   NOT NULL,
    PRIMARY KEY (appid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE wechat_access_tokens;
DROP INDEX idx_accounts_phone ON accounts;
ALTER TABLE accounts
    DROP COLUMN phone_updated_at,
    DROP COLUMN phone_country_code,
    DROP COLUMN phone;
