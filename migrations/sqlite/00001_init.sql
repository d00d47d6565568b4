-- +goose Up
CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT     NOT NULL,
    name          TEXT     NOT NULL DEFAULT '',
    password_hash TEXT     NOT NULL,
    role          TEXT     NOT NULL DEFAULT 'user',
    status        TEXT     NOT NULL DEFAULT 'active',
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL
);
CREATE UNIQUE INDEX uk_accounts_username ON accounts (username);
CREATE INDEX idx_accounts_role ON accounts (role, id);

CREATE TABLE wechat_identities (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    appid              TEXT     NOT NULL,
    openid             TEXT     NOT NULL,
    unionid            TEXT     NOT NULL DEFAULT '',
    nickname           TEXT     NOT NULL DEFAULT '',
    avatar_url         TEXT     NOT NULL DEFAULT '',
    session_key_sealed TEXT     NOT NULL DEFAULT '',
    account_id         INTEGER  NULL REFERENCES accounts (id) ON DELETE SET NULL,
    bound_at           DATETIME NULL,
    unbound_at         DATETIME NULL,
    last_login_at      DATETIME NULL,
    last_seen_at       DATETIME NOT NULL,
    created_at         DATETIME NOT NULL,
    updated_at         DATETIME NOT NULL
);
CREATE UNIQUE INDEX uk_wechat_identities_openid ON wechat_identities (appid, openid);
-- one account binds at most one WeChat identity per appid; NULLs (unbound) do not collide
CREATE UNIQUE INDEX uk_wechat_identities_account ON wechat_identities (appid, account_id);
CREATE INDEX idx_wechat_identities_unionid ON wechat_identities (unionid);
CREATE INDEX idx_wechat_identities_account ON wechat_identities (account_id);

CREATE TABLE login_tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash  TEXT     NOT NULL,
    account_id  INTEGER  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    identity_id INTEGER  NOT NULL REFERENCES wechat_identities (id) ON DELETE CASCADE,
    created_at  DATETIME NOT NULL,
    expires_at  DATETIME NOT NULL,
    revoked_at  DATETIME NULL
);
CREATE UNIQUE INDEX uk_login_tokens_hash ON login_tokens (token_hash);
CREATE INDEX idx_login_tokens_account ON login_tokens (account_id);
CREATE INDEX idx_login_tokens_identity ON login_tokens (identity_id);
CREATE INDEX idx_login_tokens_expires ON login_tokens (expires_at);

-- Bind tickets are signed and carry their own expiry; only the spent ones are stored, so a
-- ticket works once however many binds race with it.
CREATE TABLE spent_bind_tickets (
    ticket_id  TEXT     NOT NULL PRIMARY KEY,
    expires_at DATETIME NOT NULL,
    spent_at   DATETIME NOT NULL
);
CREATE INDEX idx_spent_bind_tickets_expires ON spent_bind_tickets (expires_at);

CREATE TABLE menus (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    parent_id  INTEGER  NULL REFERENCES menus (id),
    code       TEXT     NOT NULL,
    name       TEXT     NOT NULL,
    path       TEXT     NOT NULL DEFAULT '',
    icon       TEXT     NOT NULL DEFAULT '',
    sort       INTEGER  NOT NULL DEFAULT 0,
    visible    BOOLEAN  NOT NULL DEFAULT 1,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX uk_menus_code ON menus (code);
CREATE INDEX idx_menus_parent ON menus (parent_id, sort);

CREATE TABLE account_menus (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    menu_id    INTEGER NOT NULL REFERENCES menus (id) ON DELETE CASCADE,
    PRIMARY KEY (account_id, menu_id)
);
CREATE INDEX idx_account_menus_menu ON account_menus (menu_id);

CREATE TABLE audit_entries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_account_id INTEGER  NULL,
    actor            TEXT     NOT NULL DEFAULT '',
    action           TEXT     NOT NULL,
    target           TEXT     NOT NULL DEFAULT '',
    detail           TEXT     NOT NULL DEFAULT '',
    ip               TEXT     NOT NULL DEFAULT '',
    created_at       DATETIME NOT NULL
);
CREATE INDEX idx_audit_entries_created ON audit_entries (created_at);
CREATE INDEX idx_audit_entries_action ON audit_entries (action, created_at);
CREATE INDEX idx_audit_entries_actor ON audit_entries (actor_account_id, created_at);
CREATE INDEX idx_audit_entries_target ON audit_entries (target, created_at);

-- +goose Down
DROP TABLE audit_entries;
DROP TABLE account_menus;
DROP TABLE menus;
DROP TABLE spent_bind_tickets;
DROP TABLE login_tokens;
DROP TABLE wechat_identities;
DROP TABLE accounts;
