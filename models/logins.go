package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// LoginWrite is what one checkBind writes: the session WeChat vouched for, and the hash of the
// token to issue should the identity turn out bound to an active account.
type LoginWrite struct {
	OpenID           string
	UnionID          string // "" keeps the stored one
	SessionKeySealed string
	TokenHash        string
}

// LoginWritten is what the database holds for one LoginWrite after the batch's commit.
type LoginWritten struct {
	Identity WechatIdentity // ID, AppID, OpenID, UnionID, Nickname, AvatarURL, AccountID
	// Account is the bound account's row, as far as the mini-program is shown it (ID, Username,
	// Name, Phone, PhoneCountryCode, Role, Status); zero when not bound.
	Account Account
	TokenID uint64 // the issued token's row; 0 when none was issued (unbound, or the account is not active)
	// Check carries the counters of the user's info view, as LoginByID reads them, for a cache
	// of info views; TokenHash is the issued token's.
	Check LoginCheck
	// Menus are the bound account's visible menus, sorted, read with Check.
	Menus []Menu
}

// WriteLogins records a batch of checkBinds in one transaction, in three statements whatever
// the batch's size: one multi-row write of the identities (session_key, unionid, last-seen and,
// when bound, last-login, as UpsertIdentity does), one read of them joined with their accounts,
// the accounts' menus and the counters of their info views, and one multi-row insert of the
// tokens of those bound to an active account, each with its identity's info_version. On MySQL
// the write is an UPDATE, and openids it did not find take two statements more (their upsert and
// read). out[i] answers ws[i]. Writes of one openid are applied in the order given, so the last
// session_key stays. When the database picks the transaction as a deadlock victim or TiDB
// reports a lost write conflict, the whole batch runs again.
func (s *Store) WriteLogins(ctx context.Context, appid string, now, expiresAt time.Time, ws []LoginWrite) ([]LoginWritten, error) {
	var (
		out []LoginWritten
		err error
	)
	// Read committed: the read-back must see every change committed before it, as a change
	// that bumped an identity's info_version first (see infoChanged) had to commit before the
	// batch's upsert of that identity could go on. TiDB's repeatable read would read from a
	// snapshot taken before that wait. SQLite runs one writer at a time.
	var opts []*sql.TxOptions
	if s.db.Dialector.Name() != "sqlite" {
		opts = append(opts, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	}
	for attempt := 1; ; attempt++ {
		err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			out, err = writeLogins(tx, s.returning(), appid, now, expiresAt, ws)
			return err
		}, opts...)
		if !isRetryable(err) || attempt == maxAttempts {
			break
		}
		if !pauseBeforeRetry(ctx, attempt) {
			return nil, err
		}
	}
	if err != nil {
		return nil, translate(err)
	}
	return out, nil
}

// returning reports whether INSERT … RETURNING works here (MariaDB, SQLite; not MySQL, TiDB).
func (s *Store) returning() bool {
	return slices.Contains(s.db.Callback().Create().Clauses, "RETURNING")
}

func writeLogins(tx *gorm.DB, returning bool, appid string, now, expiresAt time.Time, ws []LoginWrite) ([]LoginWritten, error) {
	sqlite := tx.Dialector.Name() == "sqlite"
	// Straight to the transaction's connection, past GORM's callbacks and reflection, as
	// LoginByID does: these are every checkBind's statements.
	conn, ctx := tx.Statement.ConnPool, tx.Statement.Context
	// One row per openid, its writes merged in order: the last session_key, the last unionid
	// given. In openid order, so that concurrent batches lock identities in the same order.
	merged := map[string]LoginWrite{}
	for _, w := range ws {
		m, seen := merged[w.OpenID]
		if seen && w.UnionID == "" {
			w.UnionID = m.UnionID
		}
		merged[w.OpenID] = w
	}
	openids := make([]string, 0, len(merged))
	for o := range merged {
		openids = append(openids, o)
	}
	slices.Sort(openids)

	// MySQL's INSERT … ON DUPLICATE KEY UPDATE of an existing identity first inserts a new
	// clustered record, meets the duplicate openid and takes it back: measured, 0.53 ms of
	// MariaDB's CPU per identity at a million, against 0.33 for an UPDATE. Most checkBinds are
	// of identities that exist, so those are updated, and only the rest are upserted.
	var (
		byOpenID map[string]*LoginWritten
		err      error
	)
	if sqlite {
		if err := upsertIdentities(conn, ctx, true, appid, now, openids, merged); err != nil {
			return nil, err
		}
		if byOpenID, err = readLogins(conn, ctx, appid, openids); err != nil {
			return nil, err
		}
	} else {
		if err := updateIdentities(conn, ctx, appid, now, openids, merged); err != nil {
			return nil, err
		}
		if byOpenID, err = readLogins(conn, ctx, appid, openids); err != nil {
			return nil, err
		}
		var missing []string
		for _, o := range openids {
			if byOpenID[o] == nil {
				missing = append(missing, o)
			}
		}
		if len(missing) > 0 {
			if err := upsertIdentities(conn, ctx, false, appid, now, missing, merged); err != nil {
				return nil, err
			}
			more, err := readLogins(conn, ctx, appid, missing)
			if err != nil {
				return nil, err
			}
			maps.Copy(byOpenID, more)
		}
	}

	// The tokens, one per write whose identity is bound to an active account.
	out := make([]LoginWritten, len(ws))
	var issue []int // indexes into ws
	for i, w := range ws {
		r, ok := byOpenID[w.OpenID]
		if !ok {
			return nil, fmt.Errorf("identity %s not found after its upsert", w.OpenID)
		}
		out[i] = *r
		if r.Identity.AccountID != nil && r.Account.Status == StatusActive {
			out[i].Check.TokenHash = w.TokenHash
			issue = append(issue, i)
		}
	}
	if len(issue) == 0 {
		return out, nil
	}
	ins := newMultiInsert("login_tokens", "token_hash", "account_id", "identity_id", "created_at", "expires_at", "info_version")
	hashes := make([]string, len(issue))
	for n, i := range issue {
		ins.row(ws[i].TokenHash, out[i].Account.ID, out[i].Identity.ID, now, expiresAt, out[i].Check.InfoVersion)
		hashes[n] = ws[i].TokenHash
	}
	var rows *sql.Rows
	if returning {
		rows, err = conn.QueryContext(ctx, ins.sql()+" RETURNING id, token_hash", ins.args...)
	} else {
		// No RETURNING (MySQL, TiDB): the new ids are read back by their unique hashes.
		if _, err := conn.ExecContext(ctx, ins.sql(), ins.args...); err != nil {
			return nil, err
		}
		var q strings.Builder
		q.WriteString("SELECT id, token_hash FROM login_tokens WHERE token_hash IN ")
		args := writeInList(&q, nil, hashes)
		rows, err = conn.QueryContext(ctx, q.String(), args...)
	}
	if err != nil {
		return nil, err
	}
	ids := make(map[string]uint64, len(issue))
	for rows.Next() {
		var (
			id   uint64
			hash string
		)
		if err := rows.Scan(&id, &hash); err != nil {
			rows.Close()
			return nil, err
		}
		ids[hash] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, i := range issue {
		out[i].TokenID = ids[ws[i].TokenHash]
		if out[i].TokenID == 0 {
			return nil, errors.New("a login token's id was not returned")
		}
	}
	return out, nil
}

// upsertIdentities inserts the identities of openids, or updates those that exist, with the
// writes merged: the new session_key, last seen, unionid when one came, last login when bound.
func upsertIdentities(conn gorm.ConnPool, ctx context.Context, sqlite bool, appid string, now time.Time, openids []string, merged map[string]LoginWrite) error {
	ins := newMultiInsert("wechat_identities", "appid", "openid", "unionid", "session_key_sealed", "last_seen_at", "created_at", "updated_at")
	for _, o := range openids {
		w := merged[o]
		ins.row(appid, o, w.UnionID, w.SessionKeySealed, now, now, now)
	}
	var q strings.Builder
	q.WriteString(ins.sql())
	if sqlite {
		q.WriteString(" ON CONFLICT (appid, openid) DO UPDATE SET session_key_sealed = excluded.session_key_sealed, " +
			"last_seen_at = excluded.last_seen_at, updated_at = excluded.updated_at, " +
			"unionid = CASE WHEN excluded.unionid = '' THEN wechat_identities.unionid ELSE excluded.unionid END, " +
			"last_login_at = CASE WHEN wechat_identities.account_id IS NULL THEN wechat_identities.last_login_at ELSE excluded.last_seen_at END")
	} else {
		q.WriteString(" ON DUPLICATE KEY UPDATE last_login_at = CASE WHEN account_id IS NULL THEN last_login_at ELSE VALUES(last_seen_at) END, " +
			"session_key_sealed = VALUES(session_key_sealed), last_seen_at = VALUES(last_seen_at), updated_at = VALUES(updated_at), " +
			"unionid = CASE WHEN VALUES(unionid) = '' THEN unionid ELSE VALUES(unionid) END")
	}
	_, err := conn.ExecContext(ctx, q.String(), ins.args...)
	return err
}

// updateIdentities is upsertIdentities for the openids that exist, in one UPDATE; the others are
// left alone.
func updateIdentities(conn gorm.ConnPool, ctx context.Context, appid string, now time.Time, openids []string, merged map[string]LoginWrite) error {
	var q strings.Builder
	args := make([]any, 0, 4*len(openids)+5)
	q.WriteString("UPDATE wechat_identities SET session_key_sealed = CASE openid")
	for _, o := range openids {
		q.WriteString(" WHEN ? THEN ?")
		args = append(args, o, merged[o].SessionKeySealed)
	}
	q.WriteString(" ELSE session_key_sealed END")
	unionids := false
	for _, o := range openids {
		if u := merged[o].UnionID; u != "" {
			if !unionids {
				q.WriteString(", unionid = CASE openid")
				unionids = true
			}
			q.WriteString(" WHEN ? THEN ?")
			args = append(args, o, u)
		}
	}
	if unionids {
		q.WriteString(" ELSE unionid END")
	}
	q.WriteString(", last_login_at = CASE WHEN account_id IS NULL THEN last_login_at ELSE ? END, last_seen_at = ?, updated_at = ? " +
		"WHERE appid = ? AND openid IN ")
	args = writeInList(&q, append(args, now, now, now, appid), openids)
	_, err := conn.ExecContext(ctx, q.String(), args...)
	return err
}

// readLogins reads the identities of openids back inside the transaction, which holds them:
// their accounts, the accounts' menus (a row each; the menus are few) and the counters an info
// view is checked against, all in one statement. An openid with no identity has no entry.
func readLogins(conn gorm.ConnPool, ctx context.Context, appid string, openids []string) (map[string]*LoginWritten, error) {
	var q strings.Builder
	args := make([]any, 0, len(openids)+2)
	args = append(args, true, appid)
	q.WriteString("SELECT w.id, w.openid, w.unionid, w.nickname, w.avatar_url, w.account_id, w.info_version, " +
		"COALESCE(a.username, ''), COALESCE(a.name, ''), COALESCE(a.phone, ''), COALESCE(a.phone_country_code, ''), " +
		"COALESCE(a.role, ''), COALESCE(a.status, ''), c.value, " +
		"m.id, m.parent_id, m.code, m.name, m.path, m.icon, m.sort " +
		"FROM wechat_identities w LEFT JOIN accounts a ON a.id = w.account_id " +
		"JOIN change_counters c ON c.name = '" + MenusCounter + "' " +
		"LEFT JOIN account_effective_menus am ON am.account_id = w.account_id " +
		"LEFT JOIN menus m ON m.id = am.menu_id AND m.visible = ? " +
		"WHERE w.appid = ? AND w.openid IN ")
	args = writeInList(&q, args, openids)
	rows, err := conn.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, err
	}
	byOpenID := make(map[string]*LoginWritten, len(openids))
	for rows.Next() {
		var (
			r                                  LoginWritten
			accountID, menuID, menuParent      sql.NullInt64
			menuCode, menuName, menuPath, icon sql.NullString
			menuSort                           sql.NullInt64
		)
		w := &r.Identity
		a := &r.Account
		if err := rows.Scan(&w.ID, &w.OpenID, &w.UnionID, &w.Nickname, &w.AvatarURL, &accountID, &r.Check.InfoVersion,
			&a.Username, &a.Name, &a.Phone, &a.PhoneCountryCode, &a.Role, &a.Status, &r.Check.MenusVersion,
			&menuID, &menuParent, &menuCode, &menuName, &menuPath, &icon, &menuSort); err != nil {
			rows.Close()
			return nil, err
		}
		got, seen := byOpenID[w.OpenID]
		if !seen {
			w.AppID = appid
			if accountID.Valid {
				id := uint64(accountID.Int64)
				w.AccountID, a.ID = &id, id
				r.Check.AccountID = id
			}
			r.Check.IdentityID = w.ID
			got = &r
			byOpenID[w.OpenID] = got
		}
		if menuID.Valid { // none, or a hidden one, when not
			m := Menu{ID: uint64(menuID.Int64), Code: menuCode.String, Name: menuName.String, Path: menuPath.String,
				Icon: icon.String, Sort: int(menuSort.Int64), Visible: true}
			if menuParent.Valid {
				p := uint64(menuParent.Int64)
				m.ParentID = &p
			}
			got.Menus = append(got.Menus, m)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, r := range byOpenID {
		sortMenus(r.Menus)
	}
	return byOpenID, nil
}

// writeInList writes the placeholders of an IN list, (?, ?, …), for values and returns args with
// them appended.
func writeInList(q *strings.Builder, args []any, values []string) []any {
	q.WriteByte('(')
	for i, v := range values {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteByte('?')
		args = append(args, v)
	}
	q.WriteByte(')')
	return args
}
