package models

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// loginMenuRow is one row of ActiveLoginWithMenus: the login, and one assigned menu or none.
type loginMenuRow struct {
	ActiveLogin
	MenuID       *uint64
	MenuParentID *uint64
	MenuCode     *string
	MenuName     *string
	MenuPath     *string
	MenuIcon     *string
	MenuSort     *int
}

// ActiveLoginWithMenus is ActiveLoginByTokenHash and MenusOfAccount in one statement: what the
// mini-program's info call needs, read in one round trip and still fresh on every instance.
func (s *Store) ActiveLoginWithMenus(ctx context.Context, hash string, now time.Time) (ActiveLogin, []Menu, error) {
	var rows []loginMenuRow
	err := s.db.WithContext(ctx).Table("login_tokens AS t").
		Select("t.id AS token_id, t.account_id, t.identity_id, t.expires_at, a.role, a.username, a.name, "+
			"a.phone, a.phone_country_code, w.nickname, w.avatar_url, w.openid, "+
			"m.id AS menu_id, m.parent_id AS menu_parent_id, m.code AS menu_code, m.name AS menu_name, "+
			"m.path AS menu_path, m.icon AS menu_icon, m.sort AS menu_sort").
		Joins("JOIN accounts a ON a.id = t.account_id").
		Joins("JOIN wechat_identities w ON w.id = t.identity_id").
		Joins("LEFT JOIN account_menus am ON am.account_id = t.account_id").
		Joins("LEFT JOIN menus m ON m.id = am.menu_id AND m.visible = ?", true).
		Where("t.token_hash = ? AND t.revoked_at IS NULL AND t.expires_at > ? AND a.status = ?", hash, now, StatusActive).
		Find(&rows).Error
	if err != nil {
		return ActiveLogin{}, nil, translate(err)
	}
	if len(rows) == 0 {
		return ActiveLogin{}, nil, ErrNotFound
	}
	menus := make([]Menu, 0, len(rows))
	for _, r := range rows {
		if r.MenuID == nil { // no menus, or a hidden one
			continue
		}
		menus = append(menus, Menu{
			ID: *r.MenuID, ParentID: r.MenuParentID, Code: deref(r.MenuCode), Name: deref(r.MenuName),
			Path: deref(r.MenuPath), Icon: deref(r.MenuIcon), Sort: deref(r.MenuSort), Visible: true,
		})
	}
	slices.SortFunc(menus, func(a, b Menu) int {
		return cmp.Or(cmp.Compare(a.Sort, b.Sort), cmp.Compare(a.ID, b.ID))
	})
	return rows[0].ActiveLogin, menus, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
