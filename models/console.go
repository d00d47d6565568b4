package models

import (
	"context"
	"strings"
	"time"
)

// Queries the admin console runs. Lists page by keyset (the last id seen), never by OFFSET or
// a COUNT of the whole table, so a page costs the same at a million rows as at a hundred.

// AccountRow is an account with its WeChat binding in one mini-program, if any.
type AccountRow struct {
	Account
	IdentityID  *uint64
	OpenID      *string
	Nickname    *string
	AvatarURL   *string
	BoundAt     *time.Time
	LastLoginAt *time.Time
}

// Bind filters of AccountFilter.
const (
	BindAny     = ""
	BindBound   = "bound"
	BindUnbound = "unbound"
)

// AccountFilter selects a page of accounts, newest first.
type AccountFilter struct {
	AppID    string
	Query    string // prefix of username, name, nickname, openid or unionid
	Role     string // empty for any
	Bind     string // BindAny, BindBound or BindUnbound
	BeforeID uint64 // keyset cursor: only ids below it; 0 for the first page
	Limit    int
}

// likePrefix escapes q for a LIKE 'q%' ESCAPE '!' that an index can serve. The escape is not a
// backslash, which MySQL and SQLite read differently inside a string literal.
func likePrefix(q string) string {
	r := strings.NewReplacer(`!`, `!!`, `%`, `!%`, `_`, `!_`)
	return r.Replace(q) + "%"
}

// ListAccounts returns up to f.Limit accounts matching f, newest first.
func (s *Store) ListAccounts(ctx context.Context, f AccountFilter) ([]AccountRow, error) {
	q := s.db.WithContext(ctx)
	if f.Query != "" {
		// One indexed prefix lookup per column, unioned into a derived table that is read once,
		// instead of an OR (or an IN that MariaDB re-runs per row) that scans every account.
		p := likePrefix(f.Query)
		matches := s.db.Raw(`SELECT id FROM accounts WHERE username LIKE ? ESCAPE '!'
			UNION SELECT id FROM accounts WHERE name LIKE ? ESCAPE '!'
			UNION SELECT account_id FROM wechat_identities WHERE appid = ? AND nickname LIKE ? ESCAPE '!' AND account_id IS NOT NULL
			UNION SELECT account_id FROM wechat_identities WHERE appid = ? AND openid LIKE ? ESCAPE '!' AND account_id IS NOT NULL
			UNION SELECT account_id FROM wechat_identities WHERE unionid LIKE ? ESCAPE '!' AND appid = ? AND account_id IS NOT NULL`,
			p, p, f.AppID, p, f.AppID, p, p, f.AppID)
		q = q.Table("(?) AS m", matches).Joins("JOIN accounts a ON a.id = m.id")
	} else {
		q = q.Table("accounts AS a")
	}
	q = q.Select("a.*, w.id AS identity_id, w.openid AS open_id, w.nickname, w.avatar_url, w.bound_at, w.last_login_at").
		Joins("LEFT JOIN wechat_identities w ON w.account_id = a.id AND w.appid = ?", f.AppID)
	if f.Role != "" {
		q = q.Where("a.role = ?", f.Role)
	}
	switch f.Bind {
	case BindBound:
		q = q.Where("w.id IS NOT NULL")
	case BindUnbound:
		q = q.Where("w.id IS NULL")
	}
	if f.BeforeID > 0 {
		q = q.Where("a.id < ?", f.BeforeID)
	}
	var rows []AccountRow
	err := q.Order("a.id DESC").Limit(limit(f.Limit)).Scan(&rows).Error
	return rows, err
}

func limit(n int) int {
	if n <= 0 || n > 500 {
		return 50
	}
	return n
}

// IdentityRow is a WeChat identity with the username it is bound to, if any.
type IdentityRow struct {
	WechatIdentity
	Username *string
}

// IdentityFilter selects a page of WeChat identities, newest first.
type IdentityFilter struct {
	AppID    string
	Query    string // prefix of nickname, openid, unionid or bound username
	BeforeID uint64
	Limit    int
}

// ListIdentities returns every WeChat identity seen, bound or not, newest first.
func (s *Store) ListIdentities(ctx context.Context, f IdentityFilter) ([]IdentityRow, error) {
	q := s.db.WithContext(ctx)
	if f.Query != "" {
		p := likePrefix(f.Query)
		matches := s.db.Raw(`SELECT id FROM wechat_identities WHERE appid = ? AND nickname LIKE ? ESCAPE '!'
			UNION SELECT id FROM wechat_identities WHERE appid = ? AND openid LIKE ? ESCAPE '!'
			UNION SELECT id FROM wechat_identities WHERE unionid LIKE ? ESCAPE '!' AND appid = ?
			UNION SELECT wi.id FROM accounts ac JOIN wechat_identities wi ON wi.account_id = ac.id
			      WHERE wi.appid = ? AND ac.username LIKE ? ESCAPE '!'
			UNION SELECT wi.id FROM accounts ac JOIN wechat_identities wi ON wi.account_id = ac.id
			      WHERE wi.appid = ? AND ac.name LIKE ? ESCAPE '!'`,
			f.AppID, p, f.AppID, p, p, f.AppID, f.AppID, p, f.AppID, p)
		q = q.Table("(?) AS m", matches).Joins("JOIN wechat_identities w ON w.id = m.id")
	} else {
		q = q.Table("wechat_identities AS w")
	}
	q = q.Select("w.*, a.username").
		Joins("LEFT JOIN accounts a ON a.id = w.account_id").
		Where("w.appid = ?", f.AppID)
	if f.BeforeID > 0 {
		q = q.Where("w.id < ?", f.BeforeID)
	}
	var rows []IdentityRow
	err := q.Order("w.id DESC").Limit(limit(f.Limit)).Scan(&rows).Error
	return rows, err
}

// UpdateAccountFields sets name, role and status.
func (s *Store) UpdateAccountFields(ctx context.Context, id uint64, name, role, status string, now time.Time) error {
	return s.db.WithContext(ctx).Model(&Account{}).Where("id = ?", id).
		Updates(map[string]any{"name": name, "role": role, "status": status, "updated_at": now}).Error
}

// SetPasswordHash replaces the account's password hash.
func (s *Store) SetPasswordHash(ctx context.Context, id uint64, hash string, now time.Time) error {
	return s.db.WithContext(ctx).Model(&Account{}).Where("id = ?", id).
		Updates(map[string]any{"password_hash": hash, "updated_at": now}).Error
}

// ---- menus

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

// UpdateMenu writes every field of m; a taken code is ErrDuplicate.
func (s *Store) UpdateMenu(ctx context.Context, m *Menu) error {
	return translate(s.db.WithContext(ctx).Model(&Menu{}).Where("id = ?", m.ID).Updates(map[string]any{
		"parent_id": m.ParentID, "code": m.Code, "name": m.Name, "path": m.Path, "icon": m.Icon,
		"sort": m.Sort, "visible": m.Visible, "updated_at": m.UpdatedAt,
	}).Error)
}

// SetMenuSort changes only a menu's sort key.
func (s *Store) SetMenuSort(ctx context.Context, id uint64, sort int, now time.Time) error {
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
	res := s.db.WithContext(ctx).Delete(&Menu{}, id)
	return res.RowsAffected == 1, res.Error
}

// MenuIDsOfAccount lists the ids of every menu assigned to the account, visible or not.
func (s *Store) MenuIDsOfAccount(ctx context.Context, accountID uint64) ([]uint64, error) {
	var ids []uint64
	err := s.db.WithContext(ctx).Model(&AccountMenu{}).Where("account_id = ?", accountID).
		Order("menu_id").Pluck("menu_id", &ids).Error
	return ids, err
}

// ClearAccountMenus removes every menu assignment of the accounts.
func (s *Store) ClearAccountMenus(ctx context.Context, accountIDs ...uint64) error {
	if len(accountIDs) == 0 {
		return nil
	}
	return s.db.WithContext(ctx).Where("account_id IN ?", accountIDs).Delete(&AccountMenu{}).Error
}

// CountMenusByIDs counts how many of ids are menus, to refuse an assignment of one that is not.
func (s *Store) CountMenusByIDs(ctx context.Context, ids []uint64) (int64, error) {
	var n int64
	if len(ids) == 0 {
		return 0, nil
	}
	err := s.db.WithContext(ctx).Model(&Menu{}).Where("id IN ?", ids).Count(&n).Error
	return n, err
}

// AccountsByIDs loads the accounts among ids that exist.
func (s *Store) AccountsByIDs(ctx context.Context, ids []uint64) ([]Account, error) {
	var as []Account
	if len(ids) == 0 {
		return nil, nil
	}
	err := s.db.WithContext(ctx).Where("id IN ?", ids).Order("id").Find(&as).Error
	return as, err
}

// ---- audit

// AuditFilter selects a page of audit entries, newest first.
type AuditFilter struct {
	Actor    string // exact actor name
	Action   string
	Target   string
	BeforeID uint64
	Limit    int
}

// ListAuditEntries returns audit entries matching f, newest first.
func (s *Store) ListAuditEntries(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	q := s.db.WithContext(ctx).Model(&AuditEntry{})
	if f.Actor != "" {
		q = q.Where("actor = ?", f.Actor)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.Target != "" {
		q = q.Where("target = ?", f.Target)
	}
	if f.BeforeID > 0 {
		q = q.Where("id < ?", f.BeforeID)
	}
	var es []AuditEntry
	err := q.Order("id DESC").Limit(limit(f.Limit)).Find(&es).Error
	return es, err
}

// AuditEntriesOfTargets lists the newest entries about any of targets.
func (s *Store) AuditEntriesOfTargets(ctx context.Context, targets []string, n int) ([]AuditEntry, error) {
	var es []AuditEntry
	err := s.db.WithContext(ctx).Where("target IN ?", targets).Order("id DESC").Limit(limit(n)).Find(&es).Error
	return es, err
}

// CountAuditSince counts entries with action since a time, optionally only for one target or IP.
func (s *Store) CountAuditSince(ctx context.Context, action string, since time.Time, target, ip string) (int64, error) {
	q := s.db.WithContext(ctx).Model(&AuditEntry{}).Where("action = ? AND created_at >= ?", action, since)
	if target != "" {
		q = q.Where("target = ?", target)
	}
	if ip != "" {
		q = q.Where("ip = ?", ip)
	}
	var n int64
	err := q.Count(&n).Error
	return n, err
}

// CountAuditBetween counts entries with action in [from, to).
func (s *Store) CountAuditBetween(ctx context.Context, action string, from, to time.Time) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&AuditEntry{}).
		Where("action = ? AND created_at >= ? AND created_at < ?", action, from, to).Count(&n).Error
	return n, err
}

// ---- dashboard

// CountAccounts counts every account.
func (s *Store) CountAccounts(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Account{}).Count(&n).Error
	return n, err
}

// CountBoundIdentities counts WeChat identities bound to an account.
func (s *Store) CountBoundIdentities(ctx context.Context, appid string) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&WechatIdentity{}).
		Where("appid = ? AND account_id IS NOT NULL", appid).Count(&n).Error
	return n, err
}

// CountIdentities counts every WeChat identity seen.
func (s *Store) CountIdentities(ctx context.Context, appid string) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&WechatIdentity{}).Where("appid = ?", appid).Count(&n).Error
	return n, err
}

// CountLoginsBetween counts mini-program logins (tokens issued) in [from, to).
func (s *Store) CountLoginsBetween(ctx context.Context, from, to time.Time) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&LoginToken{}).
		Where("created_at >= ? AND created_at < ?", from, to).Count(&n).Error
	return n, err
}

// PruneConsoleSessions deletes console sessions that have expired.
func (s *Store) PruneConsoleSessions(ctx context.Context, now time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Exec("DELETE FROM sessions WHERE expiry < ?", now)
	return res.RowsAffected, res.Error
}
