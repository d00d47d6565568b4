package models

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Queries of `server demo`, which fills a database with generated accounts for demos and load
// tests. They insert many rows per statement: one row at a time, a million accounts would take
// an hour; this way it takes minutes.

// DemoAccount is one generated account, bound to one WeChat identity, with its menus.
type DemoAccount struct {
	Username string
	Name     string
	OpenID   string
	Nickname string
	MenuIDs  []uint64 // extra menus
	RoleIDs  []uint64 // menu roles
}

// demoRowsPerStatement keeps every multi-row INSERT far below MySQL's 65,535 and SQLite's
// 32,766 placeholders per statement, and below max_allowed_packet.
const demoRowsPerStatement = 1000

// LastDemo is the demo account with the greatest username.
type LastDemo struct {
	Username     string
	PasswordHash string
	AppID        string // where its identity is bound; "" when it is not
}

// LastDemoAccount finds the account with the greatest username of the form prefix+digits,
// zero-padded to length. found is false when there is none.
func (s *Store) LastDemoAccount(ctx context.Context, prefix string, length int) (last LastDemo, found bool, err error) {
	lo := prefix + strings.Repeat("0", length-len(prefix))
	hi := prefix + strings.Repeat("9", length-len(prefix))
	var row struct {
		Username     string
		PasswordHash string
		AppID        *string `gorm:"column:appid"`
	}
	// A range on the unique username index, so the answer is immediate at any size.
	res := s.db.WithContext(ctx).Table("accounts AS a").
		Select("a.username, a.password_hash, w.appid").
		Joins("LEFT JOIN wechat_identities w ON w.account_id = a.id").
		Where("a.username >= ? AND a.username <= ? AND LENGTH(a.username) = ?", lo, hi, length).
		Order("a.username DESC").Limit(1).Scan(&row)
	if res.Error != nil || res.RowsAffected == 0 {
		return LastDemo{}, false, res.Error
	}
	last = LastDemo{Username: row.Username, PasswordHash: row.PasswordHash}
	if row.AppID != nil {
		last.AppID = *row.AppID
	}
	return last, true, nil
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

// InsertDemoAccounts inserts accounts (all with passwordHash and the user role), binds each to
// its WeChat identity in appid and assigns its menus, all in one transaction: a batch is there
// entirely or not at all, so an interrupted fill can resume after its last account.
func (s *Store) InsertDemoAccounts(ctx context.Context, appid, passwordHash string, accounts []DemoAccount, now time.Time) error {
	if len(accounts) == 0 {
		return nil
	}
	return s.Transaction(ctx, func(tx *Store) error {
		db := tx.db.WithContext(ctx)
		for start := 0; start < len(accounts); start += demoRowsPerStatement {
			chunk := accounts[start:min(start+demoRowsPerStatement, len(accounts))]
			ins := newMultiInsert("accounts", "username", "username_key", "name", "password_hash", "role", "status", "created_at", "updated_at")
			usernames := make([]string, len(chunk))
			for i, a := range chunk {
				ins.row(a.Username, UsernameKey(a.Username), a.Name, passwordHash, RoleUser, StatusActive, now, now)
				usernames[i] = a.Username
			}
			if err := db.Exec(ins.sql(), ins.args...).Error; err != nil {
				return fmt.Errorf("inserting demo accounts: %w", translate(err))
			}
			// Read the ids back rather than count on a multi-row insert's ids being consecutive,
			// which InnoDB does not promise when other inserts interleave.
			var ids []struct {
				ID       uint64
				Username string
			}
			if err := db.Table("accounts").Select("id, username").Where("username IN ?", usernames).Scan(&ids).Error; err != nil {
				return err
			}
			if len(ids) != len(chunk) {
				return fmt.Errorf("inserted %d demo accounts but found %d", len(chunk), len(ids))
			}
			idOf := make(map[string]uint64, len(ids))
			for _, r := range ids {
				idOf[r.Username] = r.ID
			}
			idents := newMultiInsert("wechat_identities", "appid", "openid", "nickname", "account_id", "bound_at", "last_seen_at", "created_at", "updated_at")
			menus := newMultiInsert("account_extra_menus", "account_id", "menu_id")
			chunkIDs := make([]uint64, 0, len(chunk))
			for _, a := range chunk {
				id := idOf[a.Username]
				chunkIDs = append(chunkIDs, id)
				idents.row(appid, a.OpenID, a.Nickname, id, now, now, now, now)
				for _, m := range a.MenuIDs {
					menus.row(id, m)
				}
			}
			if err := db.Exec(idents.sql(), idents.args...).Error; err != nil {
				return fmt.Errorf("inserting demo WeChat identities: %w", translate(err))
			}
			for _, part := range menus.split(demoRowsPerStatement) {
				if err := db.Exec(part.sql(), part.args...).Error; err != nil {
					return fmt.Errorf("assigning demo menus: %w", translate(err))
				}
			}
			roles := newMultiInsert("account_menu_roles", "account_id", "role_id")
			for _, a := range chunk {
				for _, r := range a.RoleIDs {
					roles.row(idOf[a.Username], r)
				}
			}
			for _, part := range roles.split(demoRowsPerStatement) {
				if err := db.Exec(part.sql(), part.args...).Error; err != nil {
					return fmt.Errorf("giving demo menu roles: %w", translate(err))
				}
			}
			if err := tx.RecomputeEffectiveMenus(ctx, chunkIDs); err != nil {
				return fmt.Errorf("computing demo accounts' menus: %w", err)
			}
		}
		return nil
	})
}

// multiInsert builds one INSERT … VALUES (…), (…) statement that MySQL and SQLite both read.
type multiInsert struct {
	table string
	cols  []string
	rows  int
	args  []any
}

func newMultiInsert(table string, cols ...string) *multiInsert {
	return &multiInsert{table: table, cols: cols}
}

func (m *multiInsert) row(values ...any) {
	if len(values) != len(m.cols) {
		panic(fmt.Sprintf("multiInsert %s: %d values for %d columns", m.table, len(values), len(m.cols)))
	}
	m.rows++
	m.args = append(m.args, values...)
}

func (m *multiInsert) sql() string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(m.cols)), ",") + ")"
	var b strings.Builder
	b.Grow(32 + len(m.table) + 16*len(m.cols) + (len(one)+1)*m.rows)
	b.WriteString("INSERT INTO ")
	b.WriteString(m.table)
	b.WriteString(" (")
	b.WriteString(strings.Join(m.cols, ", "))
	b.WriteString(") VALUES ")
	for i := 0; i < m.rows; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(one)
	}
	return b.String()
}

// split cuts the rows into statements of at most n rows each.
func (m *multiInsert) split(n int) []*multiInsert {
	var parts []*multiInsert
	width := len(m.cols)
	for start := 0; start < m.rows; start += n {
		end := min(start+n, m.rows)
		parts = append(parts, &multiInsert{table: m.table, cols: m.cols, rows: end - start, args: m.args[start*width : end*width]})
	}
	return parts
}
