package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
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
	// Menus are the account's visible menus, sorted, read in the same transaction as Check,
	// when MenusRead; see WriteLogins.
	Menus     []Menu
	MenusRead bool
}

// WriteLogins records a batch of checkBinds in one transaction, in three statements whatever
// the batch's size: one multi-row upsert of the identities (session_key, unionid, last-seen and,
// when bound, last-login, as UpsertIdentity does), one read of them joined with their accounts
// and the counters of their info views, and one multi-row insert of the tokens of those bound to
// an active account; and, for the tokens whose menus needMenus (if not nil) asks for, one read of
// their accounts' menus. out[i] answers ws[i]. Writes of one openid are applied in the order given,
// so the last session_key stays. When the database picks the transaction as a deadlock victim
// or TiDB reports a lost write conflict, the whole batch runs again.
func (s *Store) WriteLogins(ctx context.Context, appid string, now, expiresAt time.Time, ws []LoginWrite, needMenus func(LoginCheck) bool) ([]LoginWritten, error) {
	var (
		out []LoginWritten
		err error
	)
	for attempt := 1; ; attempt++ {
		err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			out, err = writeLogins(tx, s.returning(), appid, now, expiresAt, ws)
			if err == nil && needMenus != nil {
				err = readLoginMenus(tx, out, needMenus)
			}
			return err
		})
		if !isRetryable(err) || attempt == 10 {
			break
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(time.Duration(attempt) * time.Duration(1+rand.IntN(4)) * time.Millisecond):
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

	var q strings.Builder
	args := make([]any, 0, 7*len(openids))
	q.WriteString("INSERT INTO wechat_identities (appid, openid, unionid, session_key_sealed, last_seen_at, created_at, updated_at) VALUES ")
	for i, o := range openids {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?, ?, ?)")
		w := merged[o]
		args = append(args, appid, o, w.UnionID, w.SessionKeySealed, now, now, now)
	}
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
	if err := tx.Exec(q.String(), args...).Error; err != nil {
		return nil, err
	}

	// Read back inside the transaction, which holds the identities: their accounts, and the
	// counters an info view is checked against.
	q.Reset()
	args = append(args[:0], appid)
	q.WriteString("SELECT w.id, w.openid, w.unionid, w.nickname, w.avatar_url, w.account_id, w.info_version, " +
		"COALESCE(a.username, ''), COALESCE(a.name, ''), COALESCE(a.phone, ''), COALESCE(a.phone_country_code, ''), " +
		"COALESCE(a.role, ''), COALESCE(a.status, ''), COALESCE(a.info_version, 0), c.value " +
		"FROM wechat_identities w LEFT JOIN accounts a ON a.id = w.account_id " +
		"JOIN change_counters c ON c.name = '" + MenusCounter + "' WHERE w.appid = ? AND w.openid IN (")
	for i, o := range openids {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("?")
		args = append(args, o)
	}
	q.WriteString(")")
	rows, err := tx.Raw(q.String(), args...).Rows()
	if err != nil {
		return nil, err
	}
	byOpenID := make(map[string]LoginWritten, len(openids))
	for rows.Next() {
		var (
			r         LoginWritten
			accountID sql.NullInt64
		)
		w := &r.Identity
		a := &r.Account
		if err := rows.Scan(&w.ID, &w.OpenID, &w.UnionID, &w.Nickname, &w.AvatarURL, &accountID, &r.Check.IdentityVersion,
			&a.Username, &a.Name, &a.Phone, &a.PhoneCountryCode, &a.Role, &a.Status, &r.Check.AccountVersion, &r.Check.MenusVersion); err != nil {
			rows.Close()
			return nil, err
		}
		w.AppID = appid
		if accountID.Valid {
			id := uint64(accountID.Int64)
			w.AccountID, a.ID = &id, id
			r.Check.AccountID, r.Check.Role = id, a.Role
		}
		r.Check.IdentityID = w.ID
		byOpenID[w.OpenID] = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	// The tokens, one per write whose identity is bound to an active account.
	out := make([]LoginWritten, len(ws))
	var issue []int // indexes into ws
	for i, w := range ws {
		r, ok := byOpenID[w.OpenID]
		if !ok {
			return nil, fmt.Errorf("identity %s not found after its upsert", w.OpenID)
		}
		out[i] = r
		if r.Identity.AccountID != nil && r.Account.Status == StatusActive {
			out[i].Check.TokenHash = w.TokenHash
			issue = append(issue, i)
		}
	}
	if len(issue) == 0 {
		return out, nil
	}
	q.Reset()
	args = args[:0]
	q.WriteString("INSERT INTO login_tokens (token_hash, account_id, identity_id, created_at, expires_at) VALUES ")
	for n, i := range issue {
		if n > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?)")
		args = append(args, ws[i].TokenHash, out[i].Account.ID, out[i].Identity.ID, now, expiresAt)
	}
	if returning {
		q.WriteString(" RETURNING id, token_hash")
		rows, err = tx.Raw(q.String(), args...).Rows()
	} else {
		// No RETURNING (MySQL, TiDB): the new ids are read back by their unique hashes.
		if err := tx.Exec(q.String(), args...).Error; err != nil {
			return nil, err
		}
		q.Reset()
		args = args[:0]
		q.WriteString("SELECT id, token_hash FROM login_tokens WHERE token_hash IN (")
		for n, i := range issue {
			if n > 0 {
				q.WriteString(", ")
			}
			q.WriteString("?")
			args = append(args, ws[i].TokenHash)
		}
		q.WriteString(")")
		rows, err = tx.Raw(q.String(), args...).Rows()
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

// readLoginMenus reads, in one statement, the menus of the logins in out that were issued a
// token and for which need says so.
func readLoginMenus(tx *gorm.DB, out []LoginWritten, need func(LoginCheck) bool) error {
	var q strings.Builder
	var args []any
	q.WriteString("SELECT am.account_id, m.id, m.parent_id, m.code, m.name, m.path, m.icon, m.sort " +
		"FROM account_menus am JOIN menus m ON m.id = am.menu_id WHERE m.visible = ? AND am.account_id IN (")
	args = append(args, true)
	wanted := map[uint64]bool{}
	for i := range out {
		r := &out[i]
		if r.TokenID == 0 || !need(r.Check) {
			continue
		}
		r.MenusRead = true
		if !wanted[r.Account.ID] {
			if len(wanted) > 0 {
				q.WriteString(", ")
			}
			q.WriteString("?")
			args = append(args, r.Account.ID)
			wanted[r.Account.ID] = true
		}
	}
	if len(wanted) == 0 {
		return nil
	}
	q.WriteString(")")
	rows, err := tx.Raw(q.String(), args...).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	menus := map[uint64][]Menu{}
	for rows.Next() {
		var (
			accountID uint64
			m         Menu
			parent    sql.NullInt64
		)
		if err := rows.Scan(&accountID, &m.ID, &parent, &m.Code, &m.Name, &m.Path, &m.Icon, &m.Sort); err != nil {
			return err
		}
		if parent.Valid {
			p := uint64(parent.Int64)
			m.ParentID = &p
		}
		m.Visible = true
		menus[accountID] = append(menus[accountID], m)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, ms := range menus {
		sortMenus(ms)
	}
	for i := range out {
		if out[i].MenusRead {
			out[i].Menus = menus[out[i].Account.ID]
		}
	}
	return nil
}
