package models

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// AllMenus lists every menu, visible or not, ordered by sort then id.
func (s *Store) AllMenus(ctx context.Context) ([]Menu, error) {
	var ms []Menu
	err := s.db.WithContext(ctx).Order("sort, id").Find(&ms).Error
	return ms, err
}

// MenuByID loads one menu.
func (s *Store) MenuByID(ctx context.Context, id uint64) (Menu, error) {
	var m Menu
	err := s.db.WithContext(ctx).Take(&m, id).Error
	return m, translate(err)
}

// UpdateMenu writes every field of m, and rebuilds menu_ancestors when its parent changed; a
// taken code is ErrDuplicate.
func (s *Store) UpdateMenu(ctx context.Context, m *Menu, parentChanged bool) error {
	if err := s.menusChanged(ctx); err != nil {
		return err
	}
	err := translate(s.db.WithContext(ctx).Model(&Menu{}).Where("id = ?", m.ID).Updates(map[string]any{
		"parent_id": m.ParentID, "code": m.Code, "name": m.Name, "path": m.Path, "icon": m.Icon,
		"sort": m.Sort, "visible": m.Visible, "updated_at": m.UpdatedAt,
	}).Error)
	if err != nil || !parentChanged {
		return err
	}
	return s.RebuildMenuAncestors(ctx)
}

// SetMenuSort changes only a menu's sort key.
func (s *Store) SetMenuSort(ctx context.Context, id uint64, sort int, now time.Time) error {
	if err := s.menusChanged(ctx); err != nil {
		return err
	}
	return s.db.WithContext(ctx).Model(&Menu{}).Where("id = ?", id).
		Updates(map[string]any{"sort": sort, "updated_at": now}).Error
}

// CountMenuChildren counts the menus directly under id.
func (s *Store) CountMenuChildren(ctx context.Context, id uint64) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Menu{}).Where("parent_id = ?", id).Count(&n).Error
	return n, err
}

// DeleteMenu removes a menu; its assignments go with it.
func (s *Store) DeleteMenu(ctx context.Context, id uint64) (bool, error) {
	if err := s.menusChanged(ctx); err != nil {
		return false, err
	}
	res := s.db.WithContext(ctx).Delete(&Menu{}, id)
	return res.RowsAffected == 1, res.Error
}

// MenusByIDs loads the menus with ids, ordered by sort then id.
func (s *Store) MenusByIDs(ctx context.Context, ids []uint64) ([]Menu, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var ms []Menu
	err := s.db.WithContext(ctx).Where("id IN ?", ids).Find(&ms).Error
	sortMenus(ms)
	return ms, err
}

// Menu is an entry of the mini-program's menu tree.
type Menu struct {
	ID        uint64 `gorm:"primaryKey"`
	ParentID  *uint64
	Code      string
	Name      string
	Path      string
	Icon      string
	Sort      int
	Visible   bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// MenusOfAccount lists the account's visible effective menus, ordered by sort then id.
func (s *Store) MenusOfAccount(ctx context.Context, accountID uint64) ([]Menu, error) {
	var ms []Menu
	err := s.db.WithContext(ctx).Table("menus AS m").Select("m.*").
		Joins("JOIN account_effective_menus am ON am.menu_id = m.id").
		Where("am.account_id = ? AND m.visible = ?", accountID, true).
		Find(&ms).Error
	// Sorted here, not by ORDER BY: the join is driven by account_effective_menus, so MySQL would sort
	// the few rows through a temporary table on every login and info, a quarter slower
	// (docs/benchmarks.md).
	sortMenus(ms)
	return ms, err
}

// sortMenus orders menus by sort, then id.
func sortMenus(ms []Menu) {
	slices.SortFunc(ms, func(a, b Menu) int {
		return cmp.Or(cmp.Compare(a.Sort, b.Sort), cmp.Compare(a.ID, b.ID))
	})
}

// CreateMenu inserts m, and its rows of menu_ancestors; a taken code is ErrDuplicate.
func (s *Store) CreateMenu(ctx context.Context, m *Menu) error {
	if err := s.menusChanged(ctx); err != nil {
		return err
	}
	db := s.db.WithContext(ctx)
	if err := db.Create(m).Error; err != nil {
		return translate(err)
	}
	if err := db.Create(&menuAncestor{MenuID: m.ID, AncestorID: m.ID}).Error; err != nil {
		return err
	}
	if m.ParentID == nil {
		return nil
	}
	return db.Exec("INSERT INTO menu_ancestors (menu_id, ancestor_id) SELECT ?, ancestor_id FROM menu_ancestors WHERE menu_id = ? AND ancestor_id <> ?",
		m.ID, *m.ParentID, m.ID).Error
}

// EnsureMenus creates those of menus whose code does not exist yet, parents before children
// (a menu's ParentID is ignored; parentCode names its parent), and returns every menu of
// codes by code.
func (s *Store) EnsureMenus(ctx context.Context, menus []Menu, parentCode map[string]string, now time.Time) (map[string]Menu, error) {
	byCode := make(map[string]Menu, len(menus))
	err := s.Transaction(ctx, func(tx *Store) error {
		codes := make([]string, len(menus))
		for i, m := range menus {
			codes[i] = m.Code
		}
		var existing []Menu
		if err := tx.db.WithContext(ctx).Where("code IN ?", codes).Find(&existing).Error; err != nil {
			return err
		}
		for _, m := range existing {
			byCode[m.Code] = m
		}
		for _, m := range menus {
			if _, ok := byCode[m.Code]; ok {
				continue
			}
			m.ID, m.ParentID = 0, nil
			if pc := parentCode[m.Code]; pc != "" {
				p, ok := byCode[pc]
				if !ok {
					return fmt.Errorf("menu %s: parent %s must come before it", m.Code, pc)
				}
				m.ParentID = &p.ID
			}
			m.CreatedAt, m.UpdatedAt = now, now
			if err := tx.CreateMenu(ctx, &m); err != nil {
				return fmt.Errorf("creating menu %s: %w", m.Code, err)
			}
			byCode[m.Code] = m
		}
		return tx.RebuildMenuAncestors(ctx)
	})
	return byCode, err
}

// MenusCounter names the change counter that every write to menus or to who has which menu
// bumps: the mini-program's info answers cached by a server instance are checked against it.
const MenusCounter = "menus"

// menusChanged bumps MenusCounter. Every write above that changes what some account's menuList
// holds calls it, inside the write's transaction where there is one.
func (s *Store) menusChanged(ctx context.Context) error {
	return s.db.WithContext(ctx).Exec("UPDATE change_counters SET value = value + 1 WHERE name = ?", MenusCounter).Error
}
