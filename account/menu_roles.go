package account

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"wxbind/models"
)

// An account's menus come from three lists: its menu roles (named sets of menus, distinct from
// the console roles user/staff/admin), its extra menus and its hidden menus. What it sees is
// (∪ its roles' menus ∪ its extras) − its hidden menus, closed upward: a menu brings its
// ancestors, so the tree never breaks, and a hidden menu takes its subtree with it. The result
// is kept in account_effective_menus, rewritten in the transaction of every change that can
// alter it, so that info and checkBind read it in the statements they always made.

// MenuRole is a named set of menus.
type MenuRole struct {
	ID          uint64
	Name        string
	Description string
	IsDefault   bool     // given to every account at its first bind
	Members     int64    // accounts that have it; filled by MenuRoles
	MenuIDs     []uint64 // filled by MenuRole
}

func menuRoleOf(r models.MenuRole) MenuRole {
	return MenuRole{ID: r.ID, Name: r.Name, Description: r.Description, IsDefault: r.IsDefault}
}

// MenuRoleTarget names a menu role in the audit log.
func MenuRoleTarget(id uint64) string { return fmt.Sprintf("menu_role:%d", id) }

// MenuRoles lists every menu role by name with its member count.
func (s *Service) MenuRoles(ctx context.Context) ([]MenuRole, error) {
	rows, err := s.store.ListMenuRoles(ctx)
	out := make([]MenuRole, len(rows))
	for i, r := range rows {
		out[i] = menuRoleOf(r.MenuRole)
		out[i].Members = r.Members
	}
	return out, err
}

// MenuRole loads one menu role with its menus; ErrMenuRoleNotFound when it does not exist.
func (s *Service) MenuRole(ctx context.Context, id uint64) (MenuRole, error) {
	r, err := s.store.MenuRoleByID(ctx, id)
	if errors.Is(err, models.ErrNotFound) {
		return MenuRole{}, ErrMenuRoleNotFound
	}
	if err != nil {
		return MenuRole{}, err
	}
	out := menuRoleOf(r)
	out.MenuIDs, err = s.store.MenuIDsOfRole(ctx, id)
	return out, err
}

// DefaultMenuRoleID is the default menu role's id, 0 when there is none.
func (s *Service) DefaultMenuRoleID(ctx context.Context) (uint64, error) {
	r, err := s.store.DefaultMenuRole(ctx)
	if errors.Is(err, models.ErrNotFound) {
		return 0, nil
	}
	return r.ID, err
}

// MenuRoleInput is a menu role as the console's form sends it.
type MenuRoleInput struct {
	Name        string
	Description string
	IsDefault   bool
	MenuIDs     []uint64
}

func (in *MenuRoleInput) validate() error {
	in.Name, in.Description = strings.TrimSpace(in.Name), strings.TrimSpace(in.Description)
	in.MenuIDs = uniq(in.MenuIDs)
	switch {
	case in.Name == "" || utf8.RuneCountInString(in.Name) > menuFieldMax || !utf8.ValidString(in.Name):
		return invalid("name", "name is required, at most %d characters", menuFieldMax)
	case utf8.RuneCountInString(in.Description) > menuLongFieldMax || !utf8.ValidString(in.Description):
		return invalidKey("description", "console.input.description", nil, "description must be at most %d characters", menuLongFieldMax)
	case len(in.MenuIDs) > maxMenusAssignedAtOnce:
		return invalid("menu_id", "at most %d menus", maxMenusAssignedAtOnce)
	}
	return nil
}

// menuNames loads the menus with ids, refusing when one is gone, and returns their names.
func menuNames(ctx context.Context, tx *models.Store, ids []uint64) ([]string, error) {
	menus, err := tx.MenusByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	if len(menus) != len(ids) {
		return nil, invalid("menu_id", "a selected menu no longer exists; reload the page")
	}
	names := make([]string, len(menus))
	for i, m := range menus {
		names[i] = m.Name
	}
	return names, nil
}

// roleNames loads the roles with ids, refusing when one is gone, and returns their names.
func roleNames(ctx context.Context, tx *models.Store, ids []uint64) ([]string, error) {
	roles, err := tx.MenuRolesByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	if len(roles) != len(ids) {
		return nil, invalidKey("role_id", "console.input.role_id", nil, "a selected menu role no longer exists; reload the page")
	}
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = r.Name
	}
	return names, nil
}

// CreateMenuRole stores a menu role with its menus.
func (s *Service) CreateMenuRole(ctx context.Context, actor Actor, in MenuRoleInput) (MenuRole, error) {
	if err := in.validate(); err != nil {
		return MenuRole{}, err
	}
	var r models.MenuRole
	err := s.store.Transaction(ctx, func(tx *models.Store) error {
		names, err := menuNames(ctx, tx, in.MenuIDs)
		if err != nil {
			return err
		}
		now := s.clock()
		r = models.MenuRole{Name: in.Name, Description: in.Description, IsDefault: in.IsDefault, CreatedAt: now, UpdatedAt: now}
		if err := tx.CreateMenuRole(ctx, &r); err != nil {
			if errors.Is(err, models.ErrDuplicate) {
				return ErrMenuRoleNameTaken
			}
			return err
		}
		if in.IsDefault {
			if err := tx.ClearDefaultMenuRole(ctx, r.ID); err != nil {
				return err
			}
		}
		if err := tx.SetMenuRoleMenus(ctx, r.ID, in.MenuIDs); err != nil {
			return err
		}
		return s.writeAudit(ctx, tx, actor, ActionMenuRoleCreate, MenuRoleTarget(r.ID), Detail{"Name": r.Name, "Menus": names, "MenuIDs": in.MenuIDs})
	})
	return menuRoleOf(r), err
}

// UpdateMenuRole changes a role; its members' menus change with it, in the same transaction.
func (s *Service) UpdateMenuRole(ctx context.Context, actor Actor, id uint64, in MenuRoleInput) error {
	if err := in.validate(); err != nil {
		return err
	}
	return s.store.Transaction(ctx, func(tx *models.Store) error {
		old, err := tx.MenuRoleByID(ctx, id)
		if errors.Is(err, models.ErrNotFound) {
			return ErrMenuRoleNotFound
		}
		if err != nil {
			return err
		}
		names, err := menuNames(ctx, tx, in.MenuIDs)
		if err != nil {
			return err
		}
		oldMenus, err := tx.MenuIDsOfRole(ctx, id)
		if err != nil {
			return err
		}
		r := models.MenuRole{ID: id, Name: in.Name, Description: in.Description, IsDefault: in.IsDefault, UpdatedAt: s.clock()}
		if err := tx.UpdateMenuRole(ctx, &r); err != nil {
			if errors.Is(err, models.ErrDuplicate) {
				return ErrMenuRoleNameTaken
			}
			return err
		}
		if in.IsDefault {
			if err := tx.ClearDefaultMenuRole(ctx, id); err != nil {
				return err
			}
		}
		if !slices.Equal(oldMenus, in.MenuIDs) {
			if err := tx.SetMenuRoleMenus(ctx, id, in.MenuIDs); err != nil {
				return err
			}
			members, err := tx.MemberIDsOfMenuRole(ctx, id)
			if err != nil {
				return err
			}
			if err := tx.RecomputeEffectiveMenus(ctx, members); err != nil {
				return err
			}
		}
		return s.writeAudit(ctx, tx, actor, ActionMenuRoleUpdate, MenuRoleTarget(id),
			Detail{"OldName": old.Name, "Name": r.Name, "Menus": names, "MenuIDs": in.MenuIDs})
	})
}

// DeleteMenuRole removes a role; its members lose its menus, in the same transaction.
func (s *Service) DeleteMenuRole(ctx context.Context, actor Actor, id uint64) error {
	return s.store.Transaction(ctx, func(tx *models.Store) error {
		r, err := tx.MenuRoleByID(ctx, id)
		if errors.Is(err, models.ErrNotFound) {
			return ErrMenuRoleNotFound
		}
		if err != nil {
			return err
		}
		members, err := tx.MemberIDsOfMenuRole(ctx, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteMenuRole(ctx, id); err != nil {
			return err
		}
		if err := tx.RecomputeEffectiveMenus(ctx, members); err != nil {
			return err
		}
		return s.writeAudit(ctx, tx, actor, ActionMenuRoleDelete, MenuRoleTarget(id), Detail{"Name": r.Name, "Count": len(members)})
	})
}

// AccountMenus is how an account's menus are made: its three lists, and every menu as a tree
// saying whether the account sees it and why.
type AccountMenus struct {
	RoleIDs   []uint64
	ExtraIDs  []uint64
	HiddenIDs []uint64
	Tree      []EffectiveMenu
}

// EffectiveMenu is a menu with where an account's sight of it comes from.
type EffectiveMenu struct {
	Menu
	Roles     []string // the account's roles that have it
	Extra     bool     // one of its extra menus
	Ancestor  bool     // brought by a menu under it
	Hidden    bool     // hidden by the account, itself or through a menu above it
	Effective bool     // the account sees it (visibility of the menu aside)
	Children  []EffectiveMenu
}

// AccountMenus loads the account's lists and its menus labelled by source.
func (s *Service) AccountMenus(ctx context.Context, accountID uint64) (AccountMenus, error) {
	var out AccountMenus
	if _, err := s.store.AccountByID(ctx, accountID); err != nil {
		if errors.Is(err, models.ErrNotFound) {
			return out, ErrAccountNotFound
		}
		return out, err
	}
	var err error
	if out.RoleIDs, err = s.store.ListOfAccount(ctx, models.MenuRoles, accountID); err != nil {
		return out, err
	}
	if out.ExtraIDs, err = s.store.ListOfAccount(ctx, models.ExtraMenus, accountID); err != nil {
		return out, err
	}
	if out.HiddenIDs, err = s.store.ListOfAccount(ctx, models.HiddenMenus, accountID); err != nil {
		return out, err
	}
	all, err := s.store.AllMenus(ctx)
	if err != nil {
		return out, err
	}
	roles, err := s.store.MenuRolesByIDs(ctx, out.RoleIDs)
	if err != nil {
		return out, err
	}
	roleMenus, err := s.store.MenuIDsOfRoles(ctx, out.RoleIDs)
	if err != nil {
		return out, err
	}
	byRole := map[uint64][]string{}
	for _, r := range roles {
		for _, m := range roleMenus[r.ID] {
			byRole[m] = append(byRole[m], r.Name)
		}
	}
	g := grants{roles: byRole, extras: set(out.ExtraIDs), hidden: set(out.HiddenIDs)}
	eff := effectiveMenus(all, g)
	out.Tree = nestMenus(all, func(m models.Menu, children []EffectiveMenu) EffectiveMenu {
		return EffectiveMenu{Menu: menuOf(m), Roles: byRole[m.ID], Extra: g.extras[m.ID], Hidden: eff.hidden[m.ID],
			Effective: eff.sees[m.ID], Ancestor: eff.sees[m.ID] && !g.granted(m.ID), Children: children}
	})
	return out, nil
}

// SetAccountMenus replaces the account's menu roles, extra menus and hidden menus, and its
// effective menus with them, in one transaction.
func (s *Service) SetAccountMenus(ctx context.Context, actor Actor, accountID uint64, roleIDs, extraIDs, hiddenIDs []uint64) error {
	roleIDs, extraIDs, hiddenIDs = uniq(roleIDs), uniq(extraIDs), uniq(hiddenIDs)
	if len(extraIDs) > maxMenusAssignedAtOnce || len(hiddenIDs) > maxMenusAssignedAtOnce || len(roleIDs) > maxMenusAssignedAtOnce {
		return invalid("menu_id", "at most %d menus", maxMenusAssignedAtOnce)
	}
	return s.store.Transaction(ctx, func(tx *models.Store) error {
		acct, err := tx.AccountByID(ctx, accountID)
		if errors.Is(err, models.ErrNotFound) {
			return ErrAccountNotFound
		}
		if err != nil {
			return err
		}
		roles, err := roleNames(ctx, tx, roleIDs)
		if err != nil {
			return err
		}
		extras, err := menuNames(ctx, tx, extraIDs)
		if err != nil {
			return err
		}
		hidden, err := menuNames(ctx, tx, hiddenIDs)
		if err != nil {
			return err
		}
		ids := []uint64{accountID}
		for _, l := range []struct {
			list models.AccountMenuList
			ids  []uint64
		}{{models.MenuRoles, roleIDs}, {models.ExtraMenus, extraIDs}, {models.HiddenMenus, hiddenIDs}} {
			if err := tx.ClearOfAccounts(ctx, l.list, ids); err != nil {
				return err
			}
			if err := tx.AddToAccounts(ctx, l.list, ids, l.ids); err != nil {
				return err
			}
		}
		if err := tx.RecomputeEffectiveMenus(ctx, ids); err != nil {
			return err
		}
		return s.writeAudit(ctx, tx, actor, ActionAccountMenus, AccountTarget(accountID),
			Detail{"Username": acct.Username, "Roles": roles, "Extras": extras, "Hidden": hidden})
	})
}

// Bulk menu actions over the accounts matching a filter.
const (
	BulkAddRole    = "add_role"
	BulkRemoveRole = "remove_role"
	BulkSetRoles   = "set_roles"
	BulkAddExtra   = "add_extra"
	BulkHide       = "hide"
)

// BulkMenuActions lists them in the order a form offers them.
var BulkMenuActions = []string{BulkAddRole, BulkRemoveRole, BulkSetRoles, BulkAddExtra, BulkHide}

// MaxBulkAccounts bounds the accounts one bulk change may touch: it runs in one transaction.
const MaxBulkAccounts = 100_000

// BulkMenuChange is one bulk action with the roles or menus it names.
type BulkMenuChange struct {
	Action  string
	RoleIDs []uint64
	MenuIDs []uint64
}

// CountMatching counts the accounts matching f (the whole of the users list's filter), up to
// MaxBulkAccounts+1.
func (s *Service) CountMatching(ctx context.Context, f AccountFilter) (int, error) {
	refs, err := s.store.AccountsMatching(ctx, s.modelFilter(f), MaxBulkAccounts)
	return len(refs), err
}

func (s *Service) modelFilter(f AccountFilter) models.AccountFilter {
	return f.store(s.AppID())
}

// BulkMenus applies one change to every account matching f, in one transaction and a few
// batched statements per 5,000 accounts, audited as one entry with the count. It returns how
// many accounts matched.
func (s *Service) BulkMenus(ctx context.Context, actor Actor, f AccountFilter, ch BulkMenuChange) (int, error) {
	ch.RoleIDs, ch.MenuIDs = uniq(ch.RoleIDs), uniq(ch.MenuIDs)
	if !slices.Contains(BulkMenuActions, ch.Action) {
		return 0, invalidKey("action", "console.input.bulk_action", nil, "choose what to do")
	}
	byRole := ch.Action == BulkAddRole || ch.Action == BulkRemoveRole || ch.Action == BulkSetRoles
	switch {
	case byRole && len(ch.RoleIDs) == 0 && ch.Action != BulkSetRoles:
		return 0, invalidKey("role_id", "console.input.role_id_missing", nil, "choose a menu role")
	case !byRole && len(ch.MenuIDs) == 0:
		return 0, invalidKey("menu_id", "console.input.menu_id_missing", nil, "choose at least one menu")
	case len(ch.MenuIDs) > maxMenusAssignedAtOnce || len(ch.RoleIDs) > maxMenusAssignedAtOnce:
		return 0, invalid("menu_id", "at most %d menus", maxMenusAssignedAtOnce)
	}
	var n int
	err := s.store.Transaction(ctx, func(tx *models.Store) error {
		refs, err := tx.AccountsMatching(ctx, s.modelFilter(f), MaxBulkAccounts)
		if err != nil {
			return err
		}
		if len(refs) > MaxBulkAccounts {
			return invalidKey("filter", "console.input.bulk_too_many", map[string]any{"Max": MaxBulkAccounts},
				"more than %d users match; narrow the filter", MaxBulkAccounts)
		}
		if len(refs) == 0 {
			return invalidKey("filter", "console.input.bulk_none", nil, "no user matches the filter")
		}
		n = len(refs)
		ids := make([]uint64, len(refs))
		usernames := make([]string, 0, min(len(refs), 20))
		for i, r := range refs {
			ids[i] = r.ID
			if i < cap(usernames) {
				usernames = append(usernames, r.Username)
			}
		}
		d := Detail{"Action": ch.Action, "Count": n, "Usernames": usernames, "UsernamesMore": n - len(usernames)}
		if byRole {
			names, err := roleNames(ctx, tx, ch.RoleIDs)
			if err != nil {
				return err
			}
			d["Roles"], d["RoleIDs"] = names, ch.RoleIDs
		} else {
			names, err := menuNames(ctx, tx, ch.MenuIDs)
			if err != nil {
				return err
			}
			d["Menus"], d["MenuIDs"] = names, ch.MenuIDs
		}
		switch ch.Action {
		case BulkAddRole:
			err = tx.AddToAccounts(ctx, models.MenuRoles, ids, ch.RoleIDs)
		case BulkRemoveRole:
			err = tx.RemoveFromAccounts(ctx, models.MenuRoles, ids, ch.RoleIDs)
		case BulkSetRoles:
			if err = tx.ClearOfAccounts(ctx, models.MenuRoles, ids); err == nil {
				err = tx.AddToAccounts(ctx, models.MenuRoles, ids, ch.RoleIDs)
			}
		case BulkAddExtra:
			err = tx.AddToAccounts(ctx, models.ExtraMenus, ids, ch.MenuIDs)
		case BulkHide:
			err = tx.AddToAccounts(ctx, models.HiddenMenus, ids, ch.MenuIDs)
		}
		if err != nil {
			return err
		}
		if err := tx.RecomputeEffectiveMenus(ctx, ids); err != nil {
			return err
		}
		return s.writeAudit(ctx, tx, actor, ActionMenusBulk, "", d)
	})
	return n, err
}

// giveDefaultMenuRole gives the default menu role, if there is one, to an account bound for
// the first time, unless an admin already chose its menu roles: at its creation (none, too),
// or by giving it some since.
func (s *Service) giveDefaultMenuRole(ctx context.Context, tx *models.Store, acct models.Account) error {
	accountID := acct.ID
	first, err := tx.MarkFirstBound(ctx, accountID, s.clock())
	if err != nil || !first || acct.MenuRolesChosen {
		return err
	}
	if has, err := tx.ListOfAccount(ctx, models.MenuRoles, accountID); err != nil || len(has) > 0 {
		return err
	}
	r, err := tx.DefaultMenuRole(ctx)
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	ids := []uint64{accountID}
	if err := tx.AddToAccounts(ctx, models.MenuRoles, ids, []uint64{r.ID}); err != nil {
		return err
	}
	return tx.RecomputeEffectiveMenus(ctx, ids)
}

// grants is what an account is given and hides: menu id → the roles giving it, its extras, its
// hidden menus.
type grants struct {
	roles  map[uint64][]string
	extras map[uint64]bool
	hidden map[uint64]bool
}

func (g grants) granted(id uint64) bool { return g.extras[id] || len(g.roles[id]) > 0 }

// effective is the outcome of the rule for one account.
type effective struct {
	sees   map[uint64]bool // the effective menus
	hidden map[uint64]bool // menus hidden by a hidden menu at or above them
}

// effectiveMenus applies the rule in memory, as RecomputeEffectiveMenus does in SQL: the
// console labels each menu with it; a test holds the two to the same answers.
func effectiveMenus(all []models.Menu, g grants) effective {
	parent := make(map[uint64]*uint64, len(all))
	for _, m := range all {
		parent[m.ID] = m.ParentID
	}
	// up calls fn on id and each menu above it, cutting loops.
	up := func(id uint64, fn func(uint64)) {
		seen := map[uint64]bool{}
		for !seen[id] {
			seen[id] = true
			fn(id)
			p := parent[id]
			if p == nil {
				return
			}
			if _, ok := parent[*p]; !ok {
				return
			}
			id = *p
		}
	}
	e := effective{sees: map[uint64]bool{}, hidden: map[uint64]bool{}}
	for _, m := range all {
		up(m.ID, func(a uint64) {
			if g.hidden[a] {
				e.hidden[m.ID] = true
			}
		})
	}
	// A hidden menu is dropped before the closure, so that it brings no ancestor; nothing above a
	// menu that is not hidden is hidden.
	for _, m := range all {
		if !g.granted(m.ID) || e.hidden[m.ID] {
			continue
		}
		up(m.ID, func(a uint64) { e.sees[a] = true })
	}
	return e
}

func set(ids []uint64) map[uint64]bool {
	m := make(map[uint64]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}
