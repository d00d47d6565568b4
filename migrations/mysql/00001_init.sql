-- +goose Up
CREATE TABLE accounts (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    username      VARCHAR(64)  NOT NULL,
    name          VARCHAR(64)  NOT NULL DEFAULT '',
    password_hash VARCHAR(100) NOT NULL,
    role          VARCHAR(16)  NOT NULL DEFAULT 'user',
    status        VARCHAR(16)  NOT NULL DEFAULT 'active',
    created_at    DATETIME(3)  NOT NULL,
    updated_at    DATETIME(3)  NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_accounts_username (username),
    KEY idx_accounts_role (role, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE wechat_identities (
    id                 BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    appid              VARCHAR(64)   NOT NULL,
    openid             VARCHAR(128)  NOT NULL,
    unionid            VARCHAR(128)  NOT NULL DEFAULT '',
    nickname           VARCHAR(100)  NOT NULL DEFAULT '',
    avatar_url         VARCHAR(1024) NOT NULL DEFAULT '',
    session_key_sealed VARCHAR(255)  NOT NULL DEFAULT '',
    account_id         BIGINT UNSIGNED NULL,
    bound_at           DATETIME(3)   NULL,
    unbound_at         DATETIME(3)   NULL,
    last_login_at      DATETIME(3)   NULL,
    last_seen_at       DATETIME(3)   NOT NULL,
    created_at         DATETIME(3)   NOT NULL,
    updated_at         DATETIME(3)   NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_wechat_identities_openid (appid, openid),
    -- one account binds at most one WeChat identity per appid; NULLs (unbound) do not collide
    UNIQUE KEY uk_wechat_identities_account (appid, account_id),
    KEY idx_wechat_identities_unionid (unionid),
    KEY idx_wechat_identities_account (account_id),
    CONSTRAINT fk_wechat_identities_account FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE login_tokens (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    token_hash  CHAR(64)        NOT NULL,
    account_id  BIGINT UNSIGNED NOT NULL,
    identity_id BIGINT UNSIGNED NOT NULL,
    created_at  DATETIME(3)     NOT NULL,
    expires_at  DATETIME(3)     NOT NULL,
    revoked_at  DATETIME(3)     NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_login_tokens_hash (token_hash),
    KEY idx_login_tokens_account (account_id),
    KEY idx_login_tokens_identity (identity_id),
    KEY idx_login_tokens_expires (expires_at),
    CONSTRAINT fk_login_tokens_account FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE,
    CONSTRAINT fk_login_tokens_identity FOREIGN KEY (identity_id) REFERENCES wechat_identities (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Bind tickets are signed and carry their own expiry; only the spent ones are stored, so a
-- ticket works once however many binds race with it.
CREATE TABLE spent_bind_tickets (
    ticket_id  CHAR(32)    NOT NULL,
    expires_at DATETIME(3) NOT NULL,
    spent_at   DATETIME(3) NOT NULL,
    PRIMARY KEY (ticket_id),
    KEY idx_spent_bind_tickets_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE menus (
    id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    parent_id  BIGINT UNSIGNED NULL,
    code       VARCHAR(64)  NOT NULL,
    name       VARCHAR(64)  NOT NULL,
    path       VARCHAR(255) NOT NULL DEFAULT '',
    icon       VARCHAR(255) NOT NULL DEFAULT '',
    sort       INT          NOT NULL DEFAULT 0,
    visible    TINYINT(1)   NOT NULL DEFAULT 1,
    created_at DATETIME(3)  NOT NULL,
    updated_at DATETIME(3)  NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_menus_code (code),
    KEY idx_menus_parent (parent_id, sort),
    CONSTRAINT fk_menus_parent FOREIGN KEY (parent_id) REFERENCES menus (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE account_menus (
    account_id BIGINT UNSIGNED NOT NULL,
    menu_id    BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (account_id, menu_id),
    KEY idx_account_menus_menu (menu_id),
    CONSTRAINT fk_account_menus_account FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE,
    CONSTRAINT fk_account_menus_menu FOREIGN KEY (menu_id) REFERENCES menus (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE audit_entries (
    id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    actor_account_id BIGINT UNSIGNED NULL,
    actor            VARCHAR(64)   NOT NULL DEFAULT '',
    action           VARCHAR(64)   NOT NULL,
    target           VARCHAR(255)  NOT NULL DEFAULT '',
    detail           VARCHAR(1024) NOT NULL DEFAULT '',
    ip               VARCHAR(64)   NOT NULL DEFAULT '',
    created_at       DATETIME(3)   NOT NULL,
    PRIMARY KEY (id),
    KEY idx_audit_entries_created (created_at),
    KEY idx_audit_entries_action (action, created_at),
    KEY idx_audit_entries_actor (actor_account_id, created_at),
    KEY idx_audit_entries_target (target, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE audit_entries;
DROP TABLE account_menus;
DROP TABLE menus;
DROP TABLE spent_bind_tickets;
DROP TABLE login_tokens;
DROP TABLE wechat_identities;
DROP TABLE accounts;
