-- +goose Up
-- Scan to log in: a console login request a browser opens and a bound staff member's phone
-- confirms. scene is what the mini-program code carries (at most 32 characters); the browser
-- proves it opened the request with a secret whose SHA-256 is kept here. code_image caches the
-- mini-program code WeChat drew for it. Rows end with their two-minute lifetime and are pruned.
CREATE TABLE scan_logins (
    id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    scene            VARCHAR(32)     NOT NULL,
    secret_hash      CHAR(64)        NOT NULL,
    state            VARCHAR(16)     NOT NULL DEFAULT 'waiting',
    next             VARCHAR(255)    NOT NULL DEFAULT '',
    browser_ip       VARCHAR(64)     NOT NULL DEFAULT '',
    browser_agent    VARCHAR(255)    NOT NULL DEFAULT '',
    account_id       BIGINT UNSIGNED NULL,
    scanned_ip       VARCHAR(64)     NOT NULL DEFAULT '',
    code_image       MEDIUMBLOB      NULL,
    code_image_type  VARCHAR(32)     NOT NULL DEFAULT '',
    created_at       DATETIME(3)     NOT NULL,
    expires_at       DATETIME(3)     NOT NULL,
    scanned_at       DATETIME(3)     NULL,
    confirmed_at     DATETIME(3)     NULL,
    ended_at         DATETIME(3)     NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_scan_logins_scene (scene),
    KEY idx_scan_logins_expires (expires_at),
    KEY idx_scan_logins_account (account_id),
    CONSTRAINT fk_scan_logins_account FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Console settings an admin changes at run time, one row per setting.
CREATE TABLE console_settings (
    name       VARCHAR(64)  NOT NULL,
    value      VARCHAR(255) NOT NULL DEFAULT '',
    updated_at DATETIME(3)  NOT NULL,
    PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE console_settings;
DROP TABLE scan_logins;
