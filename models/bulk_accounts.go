package models

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Many accounts at once, as `server demo` and the load tests make them: each bound to a WeChat
// identity, with its menus and menu roles. One row at a time, a million accounts would take an
// hour; with many rows per statement it takes minutes.

// BulkAccount is one account of InsertAccountsInBulk, bound to one WeChat identity, with its menus.
type BulkAccount struct {
	Username string
	Name     string
	OpenID   string
	Nickname string
	MenuIDs  []uint64 // extra menus
	RoleIDs  []uint64 // menu roles
}

// rowsPerStatement keeps every multi-row INSERT far below MySQL's 65,535 and SQLite's 32,766
// placeholders per statement, and below max_allowed_packet.
const rowsPerStatement = 1000

// InsertAccountsInBulk inserts accounts (all with passwordHash and the user role), binds each to
// its WeChat identity in appid and gives it its menus and menu roles, all in one transaction: a
// batch is there entirely or not at all, so an interrupted fill can resume after its last account.
func (s *Store) InsertAccountsInBulk(ctx context.Context, appid, passwordHash string, accounts []BulkAccount, now time.Time) error {
	if len(accounts) == 0 {
		return nil
	}
	return s.Transaction(ctx, func(tx *Store) error {
		db := tx.db.WithContext(ctx)
		for start := 0; start < len(accounts); start += rowsPerStatement {
			chunk := accounts[start:min(start+rowsPerStatement, len(accounts))]
			ins := newMultiInsert("accounts", "username", "username_key", "name", "password_hash", "role", "status", "created_at", "updated_at")
			usernames := make([]string, len(chunk))
			for i, a := range chunk {
				ins.row(a.Username, UsernameKey(a.Username), a.Name, passwordHash, RoleUser, StatusActive, now, now)
				usernames[i] = a.Username
			}
			if err := db.Exec(ins.sql(), ins.args...).Error; err != nil {
				return fmt.Errorf("inserting accounts: %w", translate(err))
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
				return fmt.Errorf("inserted %d accounts but found %d", len(chunk), len(ids))
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
				return fmt.Errorf("inserting WeChat identities: %w", translate(err))
			}
			for _, part := range menus.split(rowsPerStatement) {
				if err := db.Exec(part.sql(), part.args...).Error; err != nil {
					return fmt.Errorf("giving extra menus: %w", translate(err))
				}
			}
			roles := newMultiInsert("account_menu_roles", "account_id", "role_id")
			for _, a := range chunk {
				for _, r := range a.RoleIDs {
					roles.row(idOf[a.Username], r)
				}
			}
			for _, part := range roles.split(rowsPerStatement) {
				if err := db.Exec(part.sql(), part.args...).Error; err != nil {
					return fmt.Errorf("giving menu roles: %w", translate(err))
				}
			}
			if err := tx.RecomputeEffectiveMenus(ctx, chunkIDs); err != nil {
				return fmt.Errorf("computing the accounts' menus: %w", err)
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
