-- +goose Up
-- Scan to log in: a console login request a browser opens and a bound staff member's phone
-- confirms. scene is what the mini-program code carries (at most 32 characters); the browser
-- proves it opened the request with a secret whose SHA-256 is kept here. code_image caches the
-- mini-program code WeChat drew for it. Rows end with their two-minute lifetime and are pruned.
CREATE TABLE scan_logins (
    id               INTEGER  PRIMARY KEY AUTOINCREMENT,
    scene            TEXT     NOT NULL,
    secret_hash      TEXT     NOT NULL,
    state            TEXT     NOT NULL DEFAULT 'waiting',
    next             TEXT     NOT NULL DEFAULT '',
    browser_ip       TEXT     NOT NULL DEFAULT '',
    browser_agent    TEXT     NOT NULL DEFAULT '',
    account_id       INTEGER  NULL REFERENCES accounts (id) ON DELETE CASCADE,
    scanned_ip       TEXT     NOT NULL DEFAULT '',
    code_image       BLOB     NULL,
    code_image_type  TEXT     NOT NULL DEFAULT '',
    created_at       DATETIME NOT NULL,
    expires_at       DATETIME NOT NULL,
    scanned_at       DATETIME NULL,
    confirmed_at     DATETIME NULL,
    ended_at         DATETIME NULL
);
CREATE UNIQUE INDEX uk_scan_logins_scene ON scan_logins (scene);
CREATE INDEX idx_scan_logins_expires ON scan_logins (expires_at);
CREATE INDEX idx_scan_logins_account ON scan_logins (account_id);

-- Console settings an admin changes at run time, one row per setting.
CREATE TABLE console_settings (
    name       TEXT     NOT NULL PRIMARY KEY,
    value      TEXT     NOT NULL DEFAULT '',
    updated_at DATETIME NOT NULL
);

-- +goose Down
DROP TABLE console_settings;
DROP TABLE scan_logins;
