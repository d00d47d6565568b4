package account

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"wxbind/models"
)

// MenuNode is one entry of a user's menu tree as the mini-program receives it.
type MenuNode struct {
	ID       uint64     `json:"id"`
	Code     string     `json:"code"`
	Name     string     `json:"name"`
	Path     string     `json:"path"`
	Icon     string     `json:"icon"`
	Sort     int        `json:"sort"`
	Children []MenuNode `json:"children"`
}

// MenuTree is the account's visible effective menus as a tree ordered by sort; never nil. A
// menu not visible takes its subtree with it.
func (s *Service) MenuTree(ctx context.Context, accountID uint64) ([]MenuNode, error) {
	menus, err := s.store.MenusOfAccount(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return menuTree(menus), nil
}

// Menu is an entry of the mini-program's menu tree, as the console edits it.
type Menu struct {
	ID       uint64
	ParentID *uint64 // nil at the top
	Code     string
	Name     string
	Path     string
	Icon     string
	Sort     int
	Visible  bool
}

func menuOf(m models.Menu) Menu {
	return Menu{ID: m.ID, ParentID: m.ParentID, Code: m.Code, Name: m.Name, Path: m.Path, Icon: m.Icon, Sort: m.Sort, Visible: m.Visible}
}

// MenuBranch is a menu with the menus under it.
type MenuBranch struct {
	Menu
	Children []MenuBranch
}

// Menus is every menu, visible or not, as a tree ordered by sort.
func (s *Service) Menus(ctx context.Context) ([]MenuBranch, error) {
	all, err := s.store.AllMenus(ctx)
	if err != nil {
		return nil, err
	}
	return nestMenus(all, func(m models.Menu, children []MenuBranch) MenuBranch {
		return MenuBranch{Menu: menuOf(m), Children: children}
	}), nil
}

// Menu loads one menu; ErrMenuNotFound when it does not exist.
func (s *Service) Menu(ctx context.Context, id uint64) (Menu, error) {
	m, err := s.store.MenuByID(ctx, id)
	if errors.Is(err, models.ErrNotFound) {
		return Menu{}, ErrMenuNotFound
	}
	return menuOf(m), err
}

// menuTree nests a user's menus as the mini-program receives them. The effective menus bring
// their ancestors, so a menu whose parent is missing sits under a menu that is not visible: it
// is left out with it, never shown at the top.
func menuTree(menus []models.Menu) []MenuNode {
	present := make(map[uint64]bool, len(menus))
	for _, m := range menus {
		present[m.ID] = true
	}
	kept := make([]models.Menu, 0, len(menus))
	for _, m := range menus {
		if m.ParentID == nil || present[*m.ParentID] || *m.ParentID == m.ID {
			kept = append(kept, m)
		}
	}
	return nestMenus(kept, func(m models.Menu, children []MenuNode) MenuNode {
		return MenuNode{ID: m.ID, Code: m.Code, Name: m.Name, Path: m.Path, Icon: m.Icon, Sort: m.Sort, Children: children}
	})
}

// nestMenus nests menus under their parents, keeping the order they come in, with node making
// each node from a menu and its nested children. A menu whose parent is not among them becomes
// a root, so assigning a child alone still shows it; a loop in the data is cut, not followed.
func nestMenus[N any](menus []models.Menu, node func(models.Menu, []N) N) []N {
	present := make(map[uint64]bool, len(menus))
	for _, m := range menus {
		present[m.ID] = true
	}
	children := make(map[uint64][]models.Menu)
	var roots []models.Menu
	for _, m := range menus {
		if m.ParentID != nil && present[*m.ParentID] && *m.ParentID != m.ID {
			children[*m.ParentID] = append(children[*m.ParentID], m)
		} else {
			roots = append(roots, m)
		}
	}
	seen := make(map[uint64]bool, len(menus))
	var build func(ms []models.Menu) []N
	build = func(ms []models.Menu) []N {
		nodes := make([]N, 0, len(ms))
		for _, m := range ms {
			if seen[m.ID] {
				continue
			}
			seen[m.ID] = true
			nodes = append(nodes, node(m, build(children[m.ID])))
		}
		return nodes
	}
	return build(roots)
}

// Menu limits: field lengths, and how much one assignment may name.
const (
	menuFieldMax             = 64
	menuLongFieldMax         = 255
	maxMenusAssignedAtOnce   = 1000
	maxAccountsAppliedAtOnce = 1000
)

// MenuInput is a menu as the console's form sends it.
type MenuInput struct {
	Name     string
	Code     string
	Path     string
	Icon     string
	ParentID *uint64
	Sort     int
	Visible  bool
}

var menuCodeOK = func(r rune) bool {
	return r == '_' || r == '-' || r == ':' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

func (in *MenuInput) validate() error {
	in.Name, in.Code, in.Path, in.Icon = strings.TrimSpace(in.Name), strings.TrimSpace(in.Code), strings.TrimSpace(in.Path), strings.TrimSpace(in.Icon)
	switch {
	case in.Name == "" || utf8.RuneCountInString(in.Name) > menuFieldMax || !utf8.ValidString(in.Name):
		return invalid("name", "name is required, at most %d characters", menuFieldMax)
	case in.Code == "" || len(in.Code) > menuFieldMax || strings.IndexFunc(in.Code, func(r rune) bool { return !menuCodeOK(r) }) >= 0:
		return invalid("code", "code is required: at most %d letters, digits or _ - : .", menuFieldMax)
	case utf8.RuneCountInString(in.Path) > menuLongFieldMax || !utf8.ValidString(in.Path):
		return invalid("path", "path must be at most %d characters", menuLongFieldMax)
	case utf8.RuneCountInString(in.Icon) > menuLongFieldMax || !utf8.ValidString(in.Icon):
		return invalid("icon", "icon must be at most %d characters", menuLongFieldMax)
	case in.Sort < -1000000 || in.Sort > 1000000:
		return invalid("sort", "sort must be between -1000000 and 1000000")
	}
	return nil
}

// checkParent refuses a parent that does not exist or that would put the menu under itself.
func checkParent(ctx context.Context, tx *models.Store, id uint64, parentID *uint64) error {
	if parentID == nil {
		return nil
	}
	seen := map[uint64]bool{}
	for p := *parentID; ; {
		if p == id && id != 0 {
			return invalidKey("parent_id", "console.input.parent_id_self", nil, "a menu cannot be placed under itself or its own children")
		}
		if seen[p] {
			return invalidKey("parent_id", "console.input.parent_id_loop", nil, "the menu tree has a loop here")
		}
		seen[p] = true
		m, err := tx.MenuByID(ctx, p)
		if errors.Is(err, models.ErrNotFound) {
			return invalid("parent_id", "the parent menu does not exist")
		}
		if err != nil {
			return err
		}
		if m.ParentID == nil {
			return nil
		}
		p = *m.ParentID
	}
}

// CreateMenu validates and stores a menu.
func (s *Service) CreateMenu(ctx context.Context, actor Actor, in MenuInput) (Menu, error) {
	if err := in.validate(); err != nil {
		return Menu{}, err
	}
	var m models.Menu
	err := s.store.Transaction(ctx, func(tx *models.Store) error {
		if err := checkParent(ctx, tx, 0, in.ParentID); err != nil {
			return err
		}
		now := s.clock()
		m = models.Menu{ParentID: in.ParentID, Code: in.Code, Name: in.Name, Path: in.Path, Icon: in.Icon,
			Sort: in.Sort, Visible: in.Visible, CreatedAt: now, UpdatedAt: now}
		if err := tx.CreateMenu(ctx, &m); err != nil {
			if errors.Is(err, models.ErrDuplicate) {
				return ErrMenuCodeTaken
			}
			return err
		}
		return s.writeAudit(ctx, tx, actor, ActionMenuCreate, MenuTarget(m.ID), Detail{"Name": m.Name, "Code": m.Code})
	})
	return menuOf(m), err
}

// UpdateMenu changes a menu; the mini-program sees it at its next checkBind or info.
func (s *Service) UpdateMenu(ctx context.Context, actor Actor, id uint64, in MenuInput) error {
	if err := in.validate(); err != nil {
		return err
	}
	return s.store.Transaction(ctx, func(tx *models.Store) error {
		old, err := tx.MenuByID(ctx, id)
		if errors.Is(err, models.ErrNotFound) {
			return ErrMenuNotFound
		}
		if err != nil {
			return err
		}
		if err := checkParent(ctx, tx, id, in.ParentID); err != nil {
			return err
		}
		m := models.Menu{ID: id, ParentID: in.ParentID, Code: in.Code, Name: in.Name, Path: in.Path, Icon: in.Icon,
			Sort: in.Sort, Visible: in.Visible, UpdatedAt: s.clock()}
		moved := !sameParent(old.ParentID, in.ParentID)
		if err := tx.UpdateMenu(ctx, &m, moved); err != nil {
			if errors.Is(err, models.ErrDuplicate) {
				return ErrMenuCodeTaken
			}
			return err
		}
		d := Detail{"OldName": old.Name, "OldCode": old.Code, "Name": m.Name, "Code": m.Code}
		if moved {
			if err := s.menuMoved(ctx, tx, id, old.ParentID, in.ParentID, d); err != nil {
				return err
			}
		}
		return s.writeAudit(ctx, tx, actor, ActionMenuUpdate, MenuTarget(id), d)
	})
}

// DeleteMenu removes a menu that has no children; its assignments go with it.
func (s *Service) DeleteMenu(ctx context.Context, actor Actor, id uint64) error {
	return s.store.Transaction(ctx, func(tx *models.Store) error {
		m, err := tx.MenuByID(ctx, id)
		if errors.Is(err, models.ErrNotFound) {
			return ErrMenuNotFound
		}
		if err != nil {
			return err
		}
		n, err := tx.CountMenuChildren(ctx, id)
		if err != nil {
			return err
		}
		if n > 0 {
			return ErrMenuHasChildren
		}
		granted, err := tx.AccountsGrantedMenus(ctx, []uint64{id})
		if err != nil {
			return err
		}
		if _, err := tx.DeleteMenu(ctx, id); err != nil {
			return err
		}
		// Its parents were in these accounts' menus because of it.
		if err := tx.RecomputeEffectiveMenus(ctx, granted); err != nil {
			return err
		}
		return s.writeAudit(ctx, tx, actor, ActionMenuDelete, MenuTarget(id), Detail{"Name": m.Name, "Code": m.Code})
	})
}

// MoveMenu moves a menu one place up (-1) or down (+1) among its siblings, renumbering the
// siblings' sort keys 10, 20, 30… so that equal keys do not make the move a no-op.
func (s *Service) MoveMenu(ctx context.Context, actor Actor, id uint64, delta int) error {
	if delta != -1 && delta != 1 {
		return invalid("direction", "move a menu up or down")
	}
	return s.store.Transaction(ctx, func(tx *models.Store) error {
		all, menu, err := menusWith(ctx, tx, id)
		if err != nil {
			return err
		}
		var siblings []models.Menu
		for _, m := range all {
			if sameParent(m.ParentID, menu.ParentID) {
				siblings = append(siblings, m)
			}
		}
		j := slices.IndexFunc(siblings, func(m models.Menu) bool { return m.ID == id })
		k := j + delta
		if k < 0 || k >= len(siblings) {
			return nil // already first or last
		}
		siblings[j], siblings[k] = siblings[k], siblings[j]
		if err := renumberMenus(ctx, tx, siblings, 0, s.clock()); err != nil {
			return err
		}
		dir := "down"
		if delta < 0 {
			dir = "up"
		}
		return s.writeAudit(ctx, tx, actor, ActionMenuReorder, MenuTarget(id), Detail{"Name": menu.Name, "Code": menu.Code, "Direction": dir})
	})
}

// menusWith loads every menu and, among them, the one with id; ErrMenuNotFound when it is not there.
func menusWith(ctx context.Context, tx *models.Store, id uint64) ([]models.Menu, models.Menu, error) {
	all, err := tx.AllMenus(ctx)
	if err != nil {
		return nil, models.Menu{}, err
	}
	i := slices.IndexFunc(all, func(m models.Menu) bool { return m.ID == id })
	if i < 0 {
		return nil, models.Menu{}, ErrMenuNotFound
	}
	return all, all[i], nil
}

// renumberMenus gives siblings the sort keys 10, 20, 30… in the order they stand, writing each
// key that changes, and always the one of the menu with id touched (0: none).
func renumberMenus(ctx context.Context, tx *models.Store, siblings []models.Menu, touched uint64, now time.Time) error {
	for n, m := range siblings {
		if want := (n + 1) * 10; m.Sort != want || (touched != 0 && m.ID == touched) {
			if err := tx.SetMenuSort(ctx, m.ID, want, now); err != nil {
				return err
			}
		}
	}
	return nil
}

func sameParent(a, b *uint64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// menuMoved brings the effective menus of every account the move can change up to date, and
// records the old and new parents' names in d.
func (s *Service) menuMoved(ctx context.Context, tx *models.Store, id uint64, oldParent, newParent *uint64, d Detail) error {
	subtree, err := tx.MenuSubtree(ctx, id)
	if err != nil {
		return err
	}
	accts, err := tx.AccountsGrantedMenus(ctx, subtree)
	if err != nil {
		return err
	}
	if err := tx.RecomputeEffectiveMenus(ctx, accts); err != nil {
		return err
	}
	d["Moved"] = true
	for key, p := range map[string]*uint64{"OldParent": oldParent, "Parent": newParent} {
		d[key] = ""
		if p != nil {
			m, err := tx.MenuByID(ctx, *p)
			if err != nil {
				return err
			}
			d[key] = m.Name
		}
	}
	return nil
}

// PlaceMenu moves a menu under parentID (nil: the top) at position index among its new
// siblings, as dragging it does, renumbering their sort keys 10, 20, 30…
func (s *Service) PlaceMenu(ctx context.Context, actor Actor, id uint64, parentID *uint64, index int) error {
	return s.store.Transaction(ctx, func(tx *models.Store) error {
		all, old, err := menusWith(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := checkParent(ctx, tx, id, parentID); err != nil {
			return err
		}
		var siblings []models.Menu
		for _, m := range all {
			if m.ID != id && sameParent(m.ParentID, parentID) {
				siblings = append(siblings, m)
			}
		}
		index = max(0, min(index, len(siblings)))
		moved := old
		moved.ParentID = parentID
		siblings = slices.Insert(siblings, index, moved)
		now := s.clock()
		d := Detail{"Name": old.Name, "Code": old.Code}
		if !sameParent(old.ParentID, parentID) {
			moved.Sort, moved.UpdatedAt = (index+1)*10, now
			if err := tx.UpdateMenu(ctx, &moved, true); err != nil {
				return err
			}
			if err := s.menuMoved(ctx, tx, id, old.ParentID, parentID, d); err != nil {
				return err
			}
		}
		if err := renumberMenus(ctx, tx, siblings, id, now); err != nil {
			return err
		}
		d["Position"] = index + 1
		return s.writeAudit(ctx, tx, actor, ActionMenuMove, MenuTarget(id), d)
	})
}

// SetExtraMenus replaces the account's extra menus, keeping its roles and hidden menus.
func (s *Service) SetExtraMenus(ctx context.Context, actor Actor, accountID uint64, menuIDs []uint64) error {
	cur, err := s.AccountMenus(ctx, accountID)
	if err != nil {
		return err
	}
	return s.SetAccountMenus(ctx, actor, accountID, cur.RoleIDs, menuIDs, cur.HiddenIDs)
}

func uniq(ids []uint64) []uint64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// ApplyMenus replaces the extra menus of every account in accountIDs with menuIDs, all in one
// transaction and a few batched statements: either every account gets the set or none does.
func (s *Service) ApplyMenus(ctx context.Context, actor Actor, accountIDs, menuIDs []uint64) error {
	accountIDs, menuIDs = uniq(accountIDs), uniq(menuIDs)
	if len(accountIDs) == 0 {
		return invalid("user_id", "select at least one user")
	}
	if len(accountIDs) > maxAccountsAppliedAtOnce || len(menuIDs) > maxMenusAssignedAtOnce {
		return invalidKey("user_id", "console.input.too_many_at_once", map[string]any{"Accounts": maxAccountsAppliedAtOnce, "Menus": maxMenusAssignedAtOnce},
			"at most %d users and %d menus at once", maxAccountsAppliedAtOnce, maxMenusAssignedAtOnce)
	}
	return s.store.Transaction(ctx, func(tx *models.Store) error {
		names, err := menuNames(ctx, tx, menuIDs)
		if err != nil {
			return err
		}
		accts, err := tx.AccountsByIDs(ctx, accountIDs)
		if err != nil {
			return err
		}
		if len(accts) != len(accountIDs) {
			return ErrAccountNotFound
		}
		if err := tx.ClearOfAccounts(ctx, models.ExtraMenus, accountIDs); err != nil {
			return err
		}
		if err := tx.AddToAccounts(ctx, models.ExtraMenus, accountIDs, menuIDs); err != nil {
			return err
		}
		if err := tx.RecomputeEffectiveMenus(ctx, accountIDs); err != nil {
			return err
		}
		entries := make([]models.AuditEntry, len(accts))
		for i, a := range accts {
			d := Detail{"Username": a.Username, "MenuIDs": menuIDs, "Menus": slices.Clone(names)}
			entries[i] = s.auditEntry(actor, ActionMenusAssign, AccountTarget(a.ID), d)
		}
		return tx.AddAuditEntries(ctx, entries)
	})
}
