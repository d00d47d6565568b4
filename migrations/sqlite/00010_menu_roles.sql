-- +goose Up
-- Menu roles: named sets of menus. An account's menus are (its roles' menus ∪ its extra menus)
-- − its hidden menus, closed upward (a menu brings its ancestors; a hidden menu takes its
-- subtree). account_effective_menus holds the result, kept in step in the transaction of every
-- change, so info and checkBind read it as they read the one assignment table before.
CREATE TABLE menu_roles (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT  NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    is_default  BOOLEAN   NOT NULL DEFAULT 0,
    created_at  DATETIME  NOT NULL,
    updated_at  DATETIME  NOT NULL
);
CREATE UNIQUE INDEX uk_menu_roles_name ON menu_roles (name);

CREATE TABLE menu_role_menus (
    role_id INTEGER NOT NULL,
    menu_id INTEGER NOT NULL,
    PRIMARY KEY (role_id, menu_id),
    CONSTRAINT fk_menu_role_menus_role FOREIGN KEY (role_id) REFERENCES menu_roles (id) ON DELETE CASCADE,
    CONSTRAINT fk_menu_role_menus_menu FOREIGN KEY (menu_id) REFERENCES menus (id) ON DELETE CASCADE
);
CREATE INDEX idx_menu_role_menus_menu ON menu_role_menus (menu_id);

CREATE TABLE account_menu_roles (
    account_id INTEGER NOT NULL,
    role_id    INTEGER NOT NULL,
    PRIMARY KEY (account_id, role_id),
    CONSTRAINT fk_account_menu_roles_account FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE,
    CONSTRAINT fk_account_menu_roles_role FOREIGN KEY (role_id) REFERENCES menu_roles (id) ON DELETE CASCADE
);
CREATE INDEX idx_account_menu_roles_role ON account_menu_roles (role_id, account_id);

-- What each account was assigned one by one stays: it becomes its extra menus.
ALTER TABLE account_menus RENAME TO account_extra_menus;

CREATE TABLE account_hidden_menus (
    account_id INTEGER NOT NULL,
    menu_id    INTEGER NOT NULL,
    PRIMARY KEY (account_id, menu_id),
    CONSTRAINT fk_account_hidden_menus_account FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE,
    CONSTRAINT fk_account_hidden_menus_menu FOREIGN KEY (menu_id) REFERENCES menus (id) ON DELETE CASCADE
);
CREATE INDEX idx_account_hidden_menus_menu ON account_hidden_menus (menu_id);

CREATE TABLE account_effective_menus (
    account_id INTEGER NOT NULL,
    menu_id    INTEGER NOT NULL,
    PRIMARY KEY (account_id, menu_id),
    CONSTRAINT fk_account_effective_menus_account FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE,
    CONSTRAINT fk_account_effective_menus_menu FOREIGN KEY (menu_id) REFERENCES menus (id) ON DELETE CASCADE
);
CREATE INDEX idx_account_effective_menus_menu ON account_effective_menus (menu_id);

-- Every menu with each of its ancestors and itself, rebuilt whenever a menu moves: the upward
-- closure as a join.
CREATE TABLE menu_ancestors (
    menu_id     INTEGER NOT NULL,
    ancestor_id INTEGER NOT NULL,
    PRIMARY KEY (menu_id, ancestor_id),
    CONSTRAINT fk_menu_ancestors_menu FOREIGN KEY (menu_id) REFERENCES menus (id) ON DELETE CASCADE,
    CONSTRAINT fk_menu_ancestors_ancestor FOREIGN KEY (ancestor_id) REFERENCES menus (id) ON DELETE CASCADE
);
CREATE INDEX idx_menu_ancestors_ancestor ON menu_ancestors (ancestor_id);

-- When an account was first bound: the default menu role is given then, once.
ALTER TABLE accounts ADD COLUMN first_bound_at DATETIME NULL;
UPDATE accounts SET first_bound_at = (SELECT MIN(w.bound_at) FROM wechat_identities w WHERE w.account_id = accounts.id)
    WHERE id IN (SELECT account_id FROM wechat_identities WHERE account_id IS NOT NULL);

-- The closure, one level per statement (no recursive CTE inside INSERT that all of MySQL 8,
-- MariaDB and TiDB take); eight levels here, and the server rebuilds it whole on any move.
INSERT INTO menu_ancestors (menu_id, ancestor_id) SELECT id, id FROM menus;
INSERT INTO menu_ancestors (menu_id, ancestor_id) SELECT DISTINCT a.menu_id, m.parent_id FROM menu_ancestors a JOIN menus m ON m.id = a.ancestor_id
    WHERE m.parent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM menu_ancestors b WHERE b.menu_id = a.menu_id AND b.ancestor_id = m.parent_id);
INSERT INTO menu_ancestors (menu_id, ancestor_id) SELECT DISTINCT a.menu_id, m.parent_id FROM menu_ancestors a JOIN menus m ON m.id = a.ancestor_id
    WHERE m.parent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM menu_ancestors b WHERE b.menu_id = a.menu_id AND b.ancestor_id = m.parent_id);
INSERT INTO menu_ancestors (menu_id, ancestor_id) SELECT DISTINCT a.menu_id, m.parent_id FROM menu_ancestors a JOIN menus m ON m.id = a.ancestor_id
    WHERE m.parent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM menu_ancestors b WHERE b.menu_id = a.menu_id AND b.ancestor_id = m.parent_id);
INSERT INTO menu_ancestors (menu_id, ancestor_id) SELECT DISTINCT a.menu_id, m.parent_id FROM menu_ancestors a JOIN menus m ON m.id = a.ancestor_id
    WHERE m.parent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM menu_ancestors b WHERE b.menu_id = a.menu_id AND b.ancestor_id = m.parent_id);
INSERT INTO menu_ancestors (menu_id, ancestor_id) SELECT DISTINCT a.menu_id, m.parent_id FROM menu_ancestors a JOIN menus m ON m.id = a.ancestor_id
    WHERE m.parent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM menu_ancestors b WHERE b.menu_id = a.menu_id AND b.ancestor_id = m.parent_id);
INSERT INTO menu_ancestors (menu_id, ancestor_id) SELECT DISTINCT a.menu_id, m.parent_id FROM menu_ancestors a JOIN menus m ON m.id = a.ancestor_id
    WHERE m.parent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM menu_ancestors b WHERE b.menu_id = a.menu_id AND b.ancestor_id = m.parent_id);
INSERT INTO menu_ancestors (menu_id, ancestor_id) SELECT DISTINCT a.menu_id, m.parent_id FROM menu_ancestors a JOIN menus m ON m.id = a.ancestor_id
    WHERE m.parent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM menu_ancestors b WHERE b.menu_id = a.menu_id AND b.ancestor_id = m.parent_id);
INSERT INTO menu_ancestors (menu_id, ancestor_id) SELECT DISTINCT a.menu_id, m.parent_id FROM menu_ancestors a JOIN menus m ON m.id = a.ancestor_id
    WHERE m.parent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM menu_ancestors b WHERE b.menu_id = a.menu_id AND b.ancestor_id = m.parent_id);

-- Everyone keeps their menus: the extras, with their ancestors so that the tree stays whole.
INSERT INTO account_effective_menus (account_id, menu_id)
    SELECT DISTINCT e.account_id, a.ancestor_id FROM account_extra_menus e JOIN menu_ancestors a ON a.menu_id = e.menu_id;

-- +goose Down
ALTER TABLE accounts DROP COLUMN first_bound_at;
DROP TABLE menu_ancestors;
DROP TABLE account_effective_menus;
DROP TABLE account_hidden_menus;
ALTER TABLE account_extra_menus RENAME TO account_menus;
DROP TABLE account_menu_roles;
DROP TABLE menu_role_menus;
DROP TABLE menu_roles;
