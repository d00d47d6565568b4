package models

import (
	"context"
	"time"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm"
)

// AccountRow is an account with its WeChat binding in one mini-program, if any.
type AccountRow struct {
	Account
	IdentityID  *uint64 // nil when not bound; the strings below are then empty
	OpenID      string
	Nickname    string
	AvatarURL   string
	BoundAt     *time.Time
	LastLoginAt *time.Time
}

// AccountFilter selects a page of accounts, newest first.
type AccountFilter struct {
	AppID    string
	Query    string // prefix of username, name, nickname, openid or unionid
	Role     string // empty for any
	Bind     string // BindAny, BindBound or BindUnbound
	BeforeID uint64 // keyset cursor: only ids below it; 0 for the first page
	Limit    int
}

// ListAccounts returns up to f.Limit accounts matching f, newest first.
func (s *Store) ListAccounts(ctx context.Context, f AccountFilter) ([]AccountRow, error) {
	q := s.accountsMatching(ctx, f).
		Select("a.*, w.id AS identity_id, COALESCE(w.openid, '') AS open_id, COALESCE(w.nickname, '') AS nickname, " +
			"COALESCE(w.avatar_url, '') AS avatar_url, w.bound_at, w.last_login_at")
	if f.BeforeID > 0 {
		q = q.Where("a.id < ?", f.BeforeID)
	}
	var rows []AccountRow
	err := q.Order("a.id DESC").Limit(limit(f.Limit)).Scan(&rows).Error
	return rows, err
}

// AccountRef names an account.
type AccountRef struct {
	ID       uint64
	Username string
}

// AccountsMatching lists every account matching f's query, role and bind filters (not its
// cursor or limit), newest first, up to max+1 of them so that the caller can tell "too many".
func (s *Store) AccountsMatching(ctx context.Context, f AccountFilter, max int) ([]AccountRef, error) {
	var refs []AccountRef
	err := s.accountsMatching(ctx, f).Select("a.id, a.username").Order("a.id DESC").Limit(max + 1).Scan(&refs).Error
	return refs, err
}

// accountsMatching is the accounts (a) matching f's query, role and bind filters, each joined
// with its WeChat identity (w) in f.AppID if bound.
func (s *Store) accountsMatching(ctx context.Context, f AccountFilter) *gorm.DB {
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
	q = q.Joins("LEFT JOIN wechat_identities w ON w.account_id = a.id AND w.appid = ?", f.AppID)
	if f.Role != "" {
		q = q.Where("a.role = ?", f.Role)
	}
	switch f.Bind {
	case BindBound:
		q = q.Where("w.id IS NOT NULL")
	case BindUnbound:
		q = q.Where("w.id IS NULL")
	}
	return q
}

// UpdateAccountFields sets name, role and status.
func (s *Store) UpdateAccountFields(ctx context.Context, id uint64, name, role, status string, now time.Time) error {
	return s.db.WithContext(ctx).Model(&Account{}).Where("id = ?", id).
		Updates(map[string]any{"name": name, "role": role, "status": status, "updated_at": now, "info_version": gorm.Expr("info_version + 1")}).Error
}

// SetPasswordHash replaces the account's password hash.
func (s *Store) SetPasswordHash(ctx context.Context, id uint64, hash string, now time.Time) error {
	return s.db.WithContext(ctx).Model(&Account{}).Where("id = ?", id).
		Updates(map[string]any{"password_hash": hash, "updated_at": now}).Error
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

// CountAccounts counts every account.
func (s *Store) CountAccounts(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Account{}).Count(&n).Error
	return n, err
}

// Account roles.
const (
	RoleUser  = "user"
	RoleStaff = "staff"
	RoleAdmin = "admin"
)

// Account statuses.
const (
	StatusActive   = "active"
	StatusDisabled = "disabled"
)

// Account is a platform account: the one a WeChat user binds to, or a console login.
type Account struct {
	ID       uint64 `gorm:"primaryKey"`
	Username string
	// UsernameKey is UsernameKey(Username), unique: two usernames are the same account when
	// their keys are equal, on every database alike.
	UsernameKey  string
	Name         string
	PasswordHash string
	Role         string
	Status       string
	// Phone is the number WeChat vouched for, digits only without the country code; empty
	// until the user shares it. Show it masked to anyone but admins.
	Phone            string
	PhoneCountryCode string
	PhoneUpdatedAt   *time.Time
	// FirstBoundAt is when the account was first bound to a WeChat user: the default menu
	// role is given then, once.
	FirstBoundAt *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// CreateAccount inserts a; a taken username is ErrDuplicate.
func (s *Store) CreateAccount(ctx context.Context, a *Account) error {
	return translate(s.db.WithContext(ctx).Create(a).Error)
}

// AccountByID loads one account.
func (s *Store) AccountByID(ctx context.Context, id uint64) (Account, error) {
	var a Account
	err := s.db.WithContext(ctx).Take(&a, id).Error
	return a, translate(err)
}

// AccountByUsername loads the account whose username is the same as username after Unicode
// NFKC and case folding: Alice, ALICE and ａｌｉｃｅ find the same account.
func (s *Store) AccountByUsername(ctx context.Context, username string) (Account, error) {
	var a Account
	err := s.db.WithContext(ctx).Where("username_key = ?", UsernameKey(username)).Take(&a).Error
	return a, translate(err)
}

// UsernameKey is the form usernames are compared in: Unicode NFKC, then full case folding, then
// NFKC again (folding can undo the normal form). The database compares keys byte for byte
// (utf8mb4_bin on MySQL), so its collation adds no equivalences of its own.
func UsernameKey(username string) string {
	return norm.NFKC.String(cases.Fold().String(norm.NFKC.String(username)))
}

// BeforeCreate fills the username key of every account GORM inserts.
func (a *Account) BeforeCreate(*gorm.DB) error {
	a.UsernameKey = UsernameKey(a.Username)
	return nil
}

// CountActiveAdmins counts admins that can log in.
func (s *Store) CountActiveAdmins(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Account{}).
		Where("role = ? AND status = ?", RoleAdmin, StatusActive).Count(&n).Error
	return n, err
}

// SetAccountPhone stores the phone number WeChat vouched for on the account.
func (s *Store) SetAccountPhone(ctx context.Context, accountID uint64, phone, countryCode string, now time.Time) error {
	res := s.db.WithContext(ctx).Model(&Account{}).Where("id = ?", accountID).
		Updates(map[string]any{"phone": phone, "phone_country_code": countryCode, "phone_updated_at": now, "updated_at": now,
			"info_version": gorm.Expr("info_version + 1")})
	if res.Error == nil && res.RowsAffected == 0 {
		return ErrNotFound
	}
	return res.Error
}

// Bind filters of AccountFilter.
const (
	BindAny     = ""
	BindBound   = "bound"
	BindUnbound = "unbound"
)
