-- +goose Up
-- Console sessions, read and written by scs's gormstore. The token is the SHA-256 of the
-- cookie's token (the session manager hashes it first). The column types are the ones
-- gormstore's AutoMigrate expects, so that it alters nothing.
CREATE TABLE sessions (
    token  varchar(43) NOT NULL PRIMARY KEY,
    data   blob,
    expiry datetime
);
CREATE INDEX idx_sessions_expiry ON sessions (expiry);

-- The console's user search matches prefixes of these, each through its own index.
CREATE INDEX idx_accounts_name ON accounts (name);
CREATE INDEX idx_wechat_identities_nickname ON wechat_identities (appid, nickname);
-- The dashboard counts logins per day; failed console logins are throttled per IP.
CREATE INDEX idx_login_tokens_created ON login_tokens (created_at);
CREATE INDEX idx_audit_entries_ip ON audit_entries (ip, action, created_at);

-- +goose Down
DROP INDEX idx_audit_entries_ip;
DROP INDEX idx_login_tokens_created;
DROP INDEX idx_wechat_identities_nickname;
DROP INDEX idx_accounts_name;
DROP TABLE sessions;
