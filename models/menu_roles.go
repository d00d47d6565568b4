package models

import (
	"context"
	"time"

	"gorm.io/gorm/clause"
)

// MenuRole is a named set of menus; its members see them. At most one is the default, given
// to an account at its first bind.
type MenuRole struct {
	ID          uint64 `gorm:"primaryKey"`
	Name        string
	Description string
	IsDefault   bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// MenuRoleRow is a menu role with how many accounts have it.
type MenuRoleRow struct {
	MenuRole
	Members int64
}

// menuRoleMenu puts a menu in a role.
type menuRoleMenu struct {
	RoleID uint64 `gorm:"primaryKey"`
	MenuID uint64 `gorm:"primaryKey"`
}

func (menuRoleMenu) TableName() string { return "menu_role_menus" }

// accountMenuRole gives an account a role.
type accountMenuRole struct {
	AccountID uint64 `gorm:"primaryKey"`
	RoleID    uint64 `gorm:"primaryKey"`
}

func (accountMenuRole) TableName() string { return "account_menu_roles" }

// ListMenuRoles lists every menu role by name, each with its member count.
func (s *Store) ListMenuRoles(ctx context.Context) ([]MenuRoleRow, error) {
	var rows []MenuRoleRow
	err := s.db.WithContext(ctx).Table("menu_roles AS r").
		Select("r.*, (SELECT COUNT(*) FROM account_menu_roles x WHERE x.role_id = r.id) AS members").
		Order("r.name").Scan(&rows).Error
	return rows, err
}

// MenuRoleByID loads one menu role.
func (s *Store) MenuRoleByID(ctx context.Context, id uint64) (MenuRole, error) {
	var r MenuRole
	err := s.db.WithContext(ctx).Take(&r, id).Error
	return r, translate(err)
}

// MenuRolesByIDs loads the menu roles among ids that exist, by name.
func (s *Store) MenuRolesByIDs(ctx context.Context, ids []uint64) ([]MenuRole, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rs []MenuRole
	err := s.db.WithContext(ctx).Where("id IN ?", ids).Order("name").Find(&rs).Error
	return rs, err
}

// DefaultMenuRole loads the default menu role; ErrNotFound when there is none.
func (s *Store) DefaultMenuRole(ctx context.Context) (MenuRole, error) {
	var r MenuRole
	err := s.db.WithContext(ctx).Where("is_default = ?", true).Order("id").Take(&r).Error
	return r, translate(err)
}

// CreateMenuRole inserts r; a taken name is ErrDuplicate.
func (s *Store) CreateMenuRole(ctx context.Context, r *MenuRole) error {
	return translate(s.db.WithContext(ctx).Create(r).Error)
}

// UpdateMenuRole writes r's name, description and default flag; a taken name is ErrDuplicate.
func (s *Store) UpdateMenuRole(ctx context.Context, r *MenuRole) error {
	return translate(s.db.WithContext(ctx).Model(&MenuRole{}).Where("id = ?", r.ID).Updates(map[string]any{
		"name": r.Name, "description": r.Description, "is_default": r.IsDefault, "updated_at": r.UpdatedAt,
	}).Error)
}

// ClearDefaultMenuRole makes every role but keepID not the default.
func (s *Store) ClearDefaultMenuRole(ctx context.Context, keepID uint64) error {
	return s.db.WithContext(ctx).Model(&MenuRole{}).Where("is_default = ? AND id <> ?", true, keepID).
		Update("is_default", false).Error
}

// DeleteMenuRole removes a role; its menus and memberships go with it.
func (s *Store) DeleteMenuRole(ctx context.Context, id uint64) error {
	return s.db.WithContext(ctx).Delete(&MenuRole{}, id).Error
}

// MenuIDsOfRole lists the menus of a role.
func (s *Store) MenuIDsOfRole(ctx context.Context, roleID uint64) ([]uint64, error) {
	var ids []uint64
	err := s.db.WithContext(ctx).Model(&menuRoleMenu{}).Where("role_id = ?", roleID).Order("menu_id").Pluck("menu_id", &ids).Error
	return ids, err
}

// MenuIDsOfRoles maps each of the roles to its menus.
func (s *Store) MenuIDsOfRoles(ctx context.Context, roleIDs []uint64) (map[uint64][]uint64, error) {
	out := map[uint64][]uint64{}
	if len(roleIDs) == 0 {
		return out, nil
	}
	var rows []menuRoleMenu
	err := s.db.WithContext(ctx).Where("role_id IN ?", roleIDs).Order("role_id, menu_id").Find(&rows).Error
	for _, r := range rows {
		out[r.RoleID] = append(out[r.RoleID], r.MenuID)
	}
	return out, err
}

// SetMenuRoleMenus replaces the menus of a role.
func (s *Store) SetMenuRoleMenus(ctx context.Context, roleID uint64, menuIDs []uint64) error {
	db := s.db.WithContext(ctx)
	if err := db.Where("role_id = ?", roleID).Delete(&menuRoleMenu{}).Error; err != nil {
		return err
	}
	if len(menuIDs) == 0 {
		return nil
	}
	rows := make([]menuRoleMenu, len(menuIDs))
	for i, m := range menuIDs {
		rows[i] = menuRoleMenu{RoleID: roleID, MenuID: m}
	}
	return translate(db.CreateInBatches(&rows, 1000).Error)
}

// MemberIDsOfMenuRole lists the accounts that have a role.
func (s *Store) MemberIDsOfMenuRole(ctx context.Context, roleID uint64) ([]uint64, error) {
	var ids []uint64
	err := s.db.WithContext(ctx).Model(&accountMenuRole{}).Where("role_id = ?", roleID).Order("account_id").Pluck("account_id", &ids).Error
	return ids, err
}

// MenuRoleIDsOfAccount lists the roles of an account.
func (s *Store) MenuRoleIDsOfAccount(ctx context.Context, accountID uint64) ([]uint64, error) {
	var ids []uint64
	err := s.db.WithContext(ctx).Model(&accountMenuRole{}).Where("account_id = ?", accountID).Order("role_id").Pluck("role_id", &ids).Error
	return ids, err
}

// AccountMenuList names one of an account's lists of menus or roles.
type AccountMenuList struct {
	table, column string
}

// The lists that make an account's menus.
var (
	ExtraMenus  = AccountMenuList{"account_extra_menus", "menu_id"}
	HiddenMenus = AccountMenuList{"account_hidden_menus", "menu_id"}
	MenuRoles   = AccountMenuList{"account_menu_roles", "role_id"}
)

// ListOfAccount is the ids in one of the account's lists.
func (s *Store) ListOfAccount(ctx context.Context, l AccountMenuList, accountID uint64) ([]uint64, error) {
	var ids []uint64
	err := s.db.WithContext(ctx).Table(l.table).Where("account_id = ?", accountID).Order(l.column).Pluck(l.column, &ids).Error
	return ids, err
}

// AddToAccounts adds every id to the list of every account, keeping what they have: one
// INSERT … SELECT per chunk of accounts.
func (s *Store) AddToAccounts(ctx context.Context, l AccountMenuList, accountIDs, ids []uint64) error {
	if len(ids) == 0 {
		return nil
	}
	source := "menus"
	if l == MenuRoles {
		source = "menu_roles"
	}
	for _, chunk := range chunks(accountIDs) {
		err := s.db.WithContext(ctx).Exec("INSERT INTO "+l.table+" (account_id, "+l.column+") SELECT a.id, x.id FROM accounts a JOIN "+source+" x ON x.id IN ? "+
			"WHERE a.id IN ? AND NOT EXISTS (SELECT 1 FROM "+l.table+" y WHERE y.account_id = a.id AND y."+l.column+" = x.id)", ids, chunk).Error
		if err != nil {
			return translate(err)
		}
	}
	return nil
}

// RemoveFromAccounts takes the ids out of the list of every account: one DELETE per chunk.
func (s *Store) RemoveFromAccounts(ctx context.Context, l AccountMenuList, accountIDs, ids []uint64) error {
	if len(ids) == 0 {
		return nil
	}
	for _, chunk := range chunks(accountIDs) {
		err := s.db.WithContext(ctx).Exec("DELETE FROM "+l.table+" WHERE account_id IN ? AND "+l.column+" IN ?", chunk, ids).Error
		if err != nil {
			return err
		}
	}
	return nil
}

// ClearOfAccounts empties the list of every account: one DELETE per chunk.
func (s *Store) ClearOfAccounts(ctx context.Context, l AccountMenuList, accountIDs []uint64) error {
	for _, chunk := range chunks(accountIDs) {
		if err := s.db.WithContext(ctx).Exec("DELETE FROM "+l.table+" WHERE account_id IN ?", chunk).Error; err != nil {
			return err
		}
	}
	return nil
}

// bulkChunk is how many accounts one statement of a bulk change names: well under MySQL's
// 65,535 and SQLite's 32,766 placeholders with two lists of them.
const bulkChunk = 5000

func chunks(ids []uint64) [][]uint64 {
	var out [][]uint64
	for len(ids) > 0 {
		n := min(len(ids), bulkChunk)
		out = append(out, ids[:n])
		ids = ids[n:]
	}
	return out
}

// menuAncestor is a menu and one of its ancestors, or itself.
type menuAncestor struct {
	MenuID     uint64 `gorm:"primaryKey"`
	AncestorID uint64 `gorm:"primaryKey"`
}

func (menuAncestor) TableName() string { return "menu_ancestors" }

// RebuildMenuAncestors rewrites the menu_ancestors table from the menus' parents: every menu
// with itself and each menu above it. A loop in the data is cut, not followed. Menus are few;
// the whole table is a few hundred rows.
func (s *Store) RebuildMenuAncestors(ctx context.Context) error {
	all, err := s.AllMenus(ctx)
	if err != nil {
		return err
	}
	parent := make(map[uint64]*uint64, len(all))
	for _, m := range all {
		parent[m.ID] = m.ParentID
	}
	var rows []menuAncestor
	for _, m := range all {
		seen := map[uint64]bool{}
		for id := m.ID; !seen[id]; {
			seen[id] = true
			rows = append(rows, menuAncestor{MenuID: m.ID, AncestorID: id})
			p := parent[id]
			if p == nil {
				break
			}
			if _, ok := parent[*p]; !ok {
				break
			}
			id = *p
		}
	}
	db := s.db.WithContext(ctx)
	if err := db.Where("1 = 1").Delete(&menuAncestor{}).Error; err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	return db.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(&rows, 1000).Error
}

// MenuSubtree lists the menu and every menu under it.
func (s *Store) MenuSubtree(ctx context.Context, id uint64) ([]uint64, error) {
	var ids []uint64
	err := s.db.WithContext(ctx).Model(&menuAncestor{}).Where("ancestor_id = ?", id).Order("menu_id").Pluck("menu_id", &ids).Error
	return ids, err
}

// AccountsGrantedMenus lists the accounts that are given any of the menus, as an extra or
// through a role, or that hide any menu at all (a move can change what their hiding covers).
func (s *Store) AccountsGrantedMenus(ctx context.Context, menuIDs []uint64) ([]uint64, error) {
	var ids []uint64
	if len(menuIDs) == 0 {
		return nil, nil
	}
	err := s.db.WithContext(ctx).Raw(`SELECT account_id FROM account_extra_menus WHERE menu_id IN ?
		UNION SELECT amr.account_id FROM account_menu_roles amr JOIN menu_role_menus rm ON rm.role_id = amr.role_id WHERE rm.menu_id IN ?
		UNION SELECT account_id FROM account_hidden_menus`, menuIDs, menuIDs).Scan(&ids).Error
	return ids, err
}

// RecomputeEffectiveMenus rewrites the effective menus of the accounts: (their roles' menus ∪
// their extras) less every menu in the subtree of one they hide, then each with its ancestors.
// The hidden menus go before the closure, so that a parent comes only from a descendant still
// given (or from being given itself): hiding a role's only child does not leave its parent
// empty. Nothing above a menu that survives is hidden, or the menu would be under it. Two
// statements per chunk of accounts, whatever the number of menus or roles.
func (s *Store) RecomputeEffectiveMenus(ctx context.Context, accountIDs []uint64) error {
	if len(accountIDs) == 0 {
		return nil
	}
	if err := s.menusChanged(ctx); err != nil {
		return err
	}
	for _, chunk := range chunks(accountIDs) {
		db := s.db.WithContext(ctx)
		if err := db.Exec("DELETE FROM account_effective_menus WHERE account_id IN ?", chunk).Error; err != nil {
			return err
		}
		err := db.Exec(`INSERT INTO account_effective_menus (account_id, menu_id)
			SELECT DISTINCT g.account_id, up.ancestor_id FROM (
				SELECT account_id, menu_id FROM account_extra_menus WHERE account_id IN ?
				UNION SELECT amr.account_id, rm.menu_id FROM account_menu_roles amr JOIN menu_role_menus rm ON rm.role_id = amr.role_id WHERE amr.account_id IN ?
			) g JOIN menu_ancestors up ON up.menu_id = g.menu_id
			WHERE NOT EXISTS (SELECT 1 FROM account_hidden_menus h JOIN menu_ancestors below ON below.ancestor_id = h.menu_id
				WHERE h.account_id = g.account_id AND below.menu_id = g.menu_id)`, chunk, chunk).Error
		if err != nil {
			return err
		}
	}
	return nil
}

// MarkFirstBound records the account's first bind; it reports false when it had been bound
// before.
func (s *Store) MarkFirstBound(ctx context.Context, accountID uint64, now time.Time) (bool, error) {
	res := s.db.WithContext(ctx).Model(&Account{}).Where("id = ? AND first_bound_at IS NULL", accountID).Update("first_bound_at", now)
	return res.RowsAffected == 1, res.Error
}

// EnsureMenuRole finds the menu role named name, or creates it with menuIDs, and returns its id.
func (s *Store) EnsureMenuRole(ctx context.Context, name string, menuIDs []uint64, now time.Time) (uint64, error) {
	var id uint64
	err := s.Transaction(ctx, func(tx *Store) error {
		var r MenuRole
		err := tx.db.WithContext(ctx).Where("name = ?", name).Take(&r).Error
		if err == nil {
			id = r.ID
			return nil
		}
		if translate(err) != ErrNotFound {
			return err
		}
		r = MenuRole{Name: name, CreatedAt: now, UpdatedAt: now}
		if err := tx.CreateMenuRole(ctx, &r); err != nil {
			return err
		}
		id = r.ID
		return tx.SetMenuRoleMenus(ctx, r.ID, menuIDs)
	})
	return id, err
}
