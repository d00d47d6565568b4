package models

import (
	"context"
	"strings"
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

// AccountFilter selects accounts: every condition set must hold. The console's list, its count,
// its export and its bulk actions all read it through accountsMatching.
type AccountFilter struct {
	AppID  string
	Query  string // prefix of username, name, nickname, openid or unionid
	Role   string // empty for any
	Status string // empty for any
	Bind   string // BindAny, BindBound or BindUnbound
	// MenuRoleID keeps the accounts that have this menu role; 0 for any.
	MenuRoleID uint64
	// roleBy is how the menu role is read; set by withMenuRolePlan and CountAccountsMatching.
	roleBy roleRead
	// CreatedFrom/CreatedTo and LoginFrom/LoginTo bound the creation and last WeChat login time,
	// [from, to); zero is open. A login bound keeps only bound accounts.
	CreatedFrom, CreatedTo time.Time
	LoginFrom, LoginTo     time.Time
}

// AccountRef names an account.
type AccountRef struct {
	ID       uint64
	Username string
}

// AccountsMatching lists every account matching f, newest first, up to max+1 of them so that the caller can tell "too many".
func (s *Store) AccountsMatching(ctx context.Context, f AccountFilter, max int) ([]AccountRef, error) {
	var refs []AccountRef
	f, err := s.withMenuRolePlan(ctx, f)
	if err != nil {
		return nil, err
	}
	err = s.accountsMatching(ctx, f, "", false, plannerChoice).Select("a.id, a.username").Order("a.id DESC").Limit(max + 1).Scan(&refs).Error
	return refs, err
}

// Account sorts.
const (
	SortCreated   = "created"    // by id: ids are handed out in creation order
	SortLastLogin = "last_login" // bound accounts only: others have no last login
	SortUsername  = "username"
)

// AccountPage is a page of accounts in an order.
type AccountPage struct {
	Page
	Sort string // SortCreated (default), SortLastLogin or SortUsername
}

// roleRead is how a menu-role filter is read.
type roleRead int

const (
	// roleByExists: an EXISTS per account, a lookup in the primary key (account_id, role_id);
	// a page of a role that many accounts have is found after a few probes.
	roleByExists roleRead = iota
	// roleByFewMembers: the role's members, read whole from its index (role_id, account_id),
	// drive the query; for a role of a few, which an EXISTS per account would look for among
	// every account.
	roleByFewMembers
	// roleByMembers: the role's members joined to the accounts in whatever order the planner
	// picks; for counts, which read no order (up to the bound, then sampled id windows that
	// are ranges of the same index).
	roleByMembers
)

// fewMembersBound is the most members a menu role may have for its members to drive a page of
// the list: they are read and sorted whole for each page. A variable for tests.
var fewMembersBound = exactCountBound

// withMenuRolePlan is f with how its menu role is best read for a page: by its members when they
// are few, else by an EXISTS per account (many members in another order than the page's would
// be sorted whole for every page).
func (s *Store) withMenuRolePlan(ctx context.Context, f AccountFilter) (AccountFilter, error) {
	if f.MenuRoleID == 0 || f.Query != "" {
		return f, nil // a search's matches are few already: the role is an EXISTS on them
	}
	members := s.db.WithContext(ctx).Table("account_menu_roles").Select("account_id").Where("role_id = ?", f.MenuRoleID)
	n, err := countUpTo(members, s.db.WithContext(ctx), fewMembersBound)
	if n <= int64(fewMembersBound) {
		f.roleBy = roleByFewMembers
	}
	return f, err
}

// accountsMatching is the accounts of f as "a", with their binding in f.AppID as "w" when
// withIdentity is set or a condition needs it (a count of a filter on accounts alone joins
// nothing); the table the rows are read from is reached as a says.
func (s *Store) accountsMatching(ctx context.Context, f AccountFilter, sort string, withIdentity bool, a access) *gorm.DB {
	q := s.db.WithContext(ctx)
	byLogin := sort == SortLastLogin || f.loginRange()
	// "Unbound" is the LEFT JOIN's missing row, which MariaDB reads as an anti-join ("Not
	// exists"); SQLite builds a Bloom filter of every identity first for it (70 ms at a million),
	// so its count, which needs no identity columns, asks NOT EXISTS instead.
	sqlite := s.db.Dialector.Name() == DriverSQLite
	join := withIdentity || byLogin || (f.Bind == BindUnbound && !sqlite)
	// A derived table of account ids that the query starts from: the search's matches, or the
	// menu role's members (see roleRead).
	var drive *gorm.DB
	roleDrives := f.MenuRoleID != 0 && f.Query == "" && f.roleBy != roleByExists
	if f.Query != "" {
		// One indexed prefix lookup per column, unioned into a derived table that is read once,
		// instead of an OR (or an IN that MariaDB re-runs per row) that scans every account.
		search := s.prefixSearch(f.Query)
		arg, match := search.arg, search.match
		// Go evaluates the calls left to right, so search.args follow the placeholders' order.
		sql := "SELECT id FROM accounts WHERE " + match("username") +
			" UNION SELECT id FROM accounts WHERE " + match("name") +
			" UNION SELECT account_id FROM wechat_identities WHERE appid = " + arg(f.AppID) + " AND " + match("nickname") + " AND account_id IS NOT NULL" +
			" UNION SELECT account_id FROM wechat_identities WHERE appid = " + arg(f.AppID) + " AND " + match("openid") + " AND account_id IS NOT NULL" +
			" UNION SELECT account_id FROM wechat_identities WHERE " + match("unionid") + " AND " + s.notIndexed("appid") + " = " + arg(f.AppID) + " AND " + s.notIndexed("account_id") + " IS NOT NULL"
		drive = s.db.Raw(sql, search.args...)
	} else if roleDrives && f.roleBy == roleByFewMembers {
		// The LIMIT (never reached: there are fewer members) keeps the derived table whole, read
		// once from the role's index, rather than merged into a join that the planner may turn
		// around to scan every account.
		drive = s.db.Raw("SELECT account_id AS id FROM account_menu_roles WHERE role_id = ? LIMIT ?", f.MenuRoleID, fewMembersBound+1)
	} else if roleDrives {
		drive = s.db.Raw("SELECT account_id AS id FROM account_menu_roles WHERE role_id = ?", f.MenuRoleID)
	}
	if drive != nil {
		q = q.Table("(?) AS m", drive).Joins("JOIN accounts a ON a.id = m.id")
		if join {
			q = q.Joins("LEFT JOIN wechat_identities w ON w.account_id = a.id AND w.appid = ?", f.AppID)
		}
	} else if byLogin {
		// Only bound accounts have a last login: read them from the identities' login index.
		from := s.table("wechat_identities", "w", a)
		if sort == SortLastLogin && a == plannerChoice && s.db.Dialector.Name() == DriverMySQL && f.Role == "" && f.Status == "" && !f.createdRange() {
			// The page is read in the login index's order. Given a login range or a cursor,
			// MariaDB reads that index from the end by appid alone and skips row by row to
			// the range (300 ms for a day of a million, 365 ms for a page from the middle)
			// unless told to read the range. Not with a condition on the account: the few
			// staff are better found by role and sorted (forced: 2.2 s).
			from = "wechat_identities AS w FORCE INDEX (idx_wechat_identities_login)"
		}
		q = q.Table(from).Joins("JOIN accounts a ON a.id = w.account_id").Where("w.appid = ?", f.AppID)
	} else {
		q = q.Table(s.table("accounts", "a", a))
		if join {
			q = q.Joins("LEFT JOIN wechat_identities w ON w.account_id = a.id AND w.appid = ?", f.AppID)
		}
	}
	if f.Role != "" {
		q = q.Where("a.role = ?", f.Role)
	}
	if f.Status != "" {
		q = q.Where("a.status = ?", f.Status)
	}
	if f.MenuRoleID != 0 && !roleDrives {
		// Each account's probe is a lookup in the primary key (account_id, role_id). Written as
		// a row comparison so that MariaDB keeps it a probe: "amr.account_id = a.id AND …" it
		// turns into a semi-join driven by the role's members, all of them sorted for one page
		// (4 s by username for a role of 500,000).
		q = q.Where("EXISTS (SELECT 1 FROM account_menu_roles amr WHERE (amr.account_id, amr.role_id) = (a.id, ?))", f.MenuRoleID)
	}
	switch {
	case f.Bind == BindUnbound && join:
		q = q.Where("w.id IS NULL")
	case f.Bind == BindUnbound:
		q = q.Where("NOT EXISTS (SELECT 1 FROM wechat_identities wb WHERE wb.account_id = a.id AND wb.appid = ?)", f.AppID)
	case byLogin:
		q = q.Where("w.id IS NOT NULL")
	case f.Bind == BindBound:
		// EXISTS rather than the joined row's presence: SQLite turns that LEFT JOIN into an
		// inner join driven by the identities and sorts a third of the table for one page. The
		// LIMIT keeps SQLite from making the EXISTS a join too, for which it builds a Bloom
		// filter of every identity first (70 ms at a million, for a page of 50); it then probes
		// the (appid, account_id) index once per account. MariaDB reads both forms alike.
		if sort == SortUsername && !sqlite {
			// MariaDB ignores that LIMIT and makes the EXISTS a semi-join driven by the
			// identities, sorting every bound account by username (1.4 s at a million). A
			// scalar subquery it cannot: it walks the username index, probing as it goes.
			q = q.Where("(SELECT wb.id FROM wechat_identities wb WHERE wb.account_id = a.id AND wb.appid = ? LIMIT 1) IS NOT NULL", f.AppID)
		} else {
			q = q.Where("EXISTS (SELECT 1 FROM wechat_identities wb WHERE wb.account_id = a.id AND wb.appid = ? LIMIT 1)", f.AppID)
		}
	}
	q = within(q, "a.created_at", f.CreatedFrom, f.CreatedTo)
	return within(q, "w.last_login_at", f.LoginFrom, f.LoginTo)
}

func (f AccountFilter) loginRange() bool   { return ranged(f.LoginFrom, f.LoginTo) }
func (f AccountFilter) createdRange() bool { return ranged(f.CreatedFrom, f.CreatedTo) }

// bindingOnly is f's accounts as their bound identities "w" alone, when f's only conditions are
// on the binding (bound, a last-login range): every bound identity is one account (one per
// account and appid, and the foreign key keeps its account), so the identities' indexes answer
// without reading an account — (appid, account_id) for bound, (appid, last_login_at, id,
// account_id) for a login range.
func (s *Store) bindingOnly(ctx context.Context, f AccountFilter, a access) (*gorm.DB, bool) {
	if f.Query != "" || f.Role != "" || f.Status != "" || f.MenuRoleID != 0 || f.createdRange() || f.Bind == BindUnbound || (f.Bind != BindBound && !f.loginRange()) {
		return nil, false
	}
	q := s.db.WithContext(ctx).Table(s.table("wechat_identities", "w", a)).Where("w.appid = ? AND w.account_id IS NOT NULL", f.AppID)
	return within(q, "w.last_login_at", f.LoginFrom, f.LoginTo), true
}

const accountRowColumns = "a.*, w.id AS identity_id, COALESCE(w.openid, '') AS open_id, COALESCE(w.nickname, '') AS nickname, " +
	"COALESCE(w.avatar_url, '') AS avatar_url, w.bound_at, w.last_login_at"

// ListAccounts returns a page of the accounts matching f, and whether there are more in the
// direction it was read.
func (s *Store) ListAccounts(ctx context.Context, f AccountFilter, p AccountPage) ([]AccountRow, bool, error) {
	f, err := s.withMenuRolePlan(ctx, f)
	if err != nil {
		return nil, false, err
	}
	var q *gorm.DB
	var val any
	if k := p.cursor(); k != nil {
		val = k.Time
	}
	switch ids, ok := s.bindingOnly(ctx, f, plannerChoice); {
	case p.Sort == SortLastLogin:
		q = p.keyset(s.accountsMatching(ctx, f, p.Sort, true, plannerChoice).Select(accountRowColumns), "w.last_login_at", "w.id", val, false) // the login index ends in the identity's id
	case p.Sort == SortUsername:
		if k := p.cursor(); k != nil {
			val = k.Str
		}
		q = p.keyset(s.accountsMatching(ctx, f, p.Sort, true, plannerChoice).Select(accountRowColumns), "a.username", "a.id", val, true)
	case f.createdRange():
		// By creation time, ties by id (ids are handed out in creation order, so the order is
		// the same), read from the range's (created_at, id) index: by id, both databases sort
		// the whole range for one page (a day of a million accounts is 86,400).
		q = p.keyset(s.accountsMatching(ctx, f, p.Sort, true, plannerChoice).Select(accountRowColumns), "a.created_at", "a.id", val, false)
	case f.loginRange() && ok:
		// The page's account ids first, from the login index alone, then their rows: joined
		// before the sort, SQLite sorts every account of the range, whole (170 ms for a day).
		ids = p.keyset(ids.Select("w.account_id AS id"), "", "w.account_id", nil, true)
		dir := " ASC"
		if p.readDesc() {
			dir = " DESC"
		}
		q = s.db.WithContext(ctx).Table("(?) AS m", ids).Joins("JOIN accounts a ON a.id = m.id").
			Joins("JOIN wechat_identities w ON w.account_id = a.id AND w.appid = ?", f.AppID).Select(accountRowColumns).Order("a.id" + dir)
	default:
		q = p.keyset(s.accountsMatching(ctx, f, p.Sort, true, plannerChoice).Select(accountRowColumns), "", "a.id", nil, true)
	}
	var rows []AccountRow
	if err := q.Scan(&rows).Error; err != nil {
		return nil, false, err
	}
	rows, more := trim(p.Page, rows)
	return rows, more, nil
}

// AccountKey is a row's place in the list's sort, for the next or previous page.
func AccountKey(r AccountRow, sort string) Key {
	k := Key{ID: r.ID}
	switch sort {
	case SortLastLogin:
		k.Time, k.ID = deref(r.LastLoginAt), deref(r.IdentityID)
	case SortUsername:
		k.Str = r.Username
	default:
		k.Time = r.CreatedAt // read only with a created range, which orders by it
	}
	return k
}

// CountAccountsMatching counts the accounts matching f: exactly up to a bound, else estimated from
// samples spread over the id range.
func (s *Store) CountAccountsMatching(ctx context.Context, f AccountFilter) (Count, error) {
	if f.MenuRoleID != 0 && f == (AccountFilter{AppID: f.AppID, MenuRoleID: f.MenuRoleID}) {
		return s.countMenuRoleMembers(ctx, f.MenuRoleID)
	}
	f.roleBy = roleByMembers
	if ids, ok := s.bindingOnly(ctx, f, plannerChoice); ok {
		bound := exactCountBound
		if f.loginRange() {
			bound = rangeCountBound
		}
		return s.countMatching(ctx, ids.Select("w.id"), bound, "wechat_identities", func(lo, hi uint64) *gorm.DB {
			ids, _ := s.bindingOnly(ctx, f, inWindow)
			return ids.Where("w.id BETWEEN ? AND ?", lo, hi)
		})
	}
	bound := exactCountBound
	if f.createdRange() && f.Query == "" && f.Role == "" && f.Status == "" && f.MenuRoleID == 0 && f.Bind == BindAny && !f.loginRange() {
		bound = rangeCountBound // a range of the (created_at, id) index
	}
	table, idCol := "accounts", "a.id"
	if f.loginRange() {
		// Read from the identities (only bound accounts have logins): sample their ids.
		table, idCol = "wechat_identities", "w.id"
	}
	return s.countMatching(ctx, s.accountsMatching(ctx, f, "", false, plannerChoice).Select("a.id"), bound, table, func(lo, hi uint64) *gorm.DB {
		return s.accountsMatching(ctx, f, "", false, inWindow).Where(idCol+" BETWEEN ? AND ?", lo, hi)
	})
}

// countMenuRoleMembers counts the accounts that have a menu role from the role's index alone,
// without reading an account: a membership goes with its account (ON DELETE CASCADE).
func (s *Store) countMenuRoleMembers(ctx context.Context, roleID uint64) (Count, error) {
	members := func() *gorm.DB {
		return s.db.WithContext(ctx).Table("account_menu_roles").Where("role_id = ?", roleID)
	}
	return s.countMatching(ctx, members().Select("account_id"), exactCountBound, "accounts", func(lo, hi uint64) *gorm.DB {
		return members().Where("account_id BETWEEN ? AND ?", lo, hi)
	})
}

// UpdateAccountFields sets name, role and status.
func (s *Store) UpdateAccountFields(ctx context.Context, id uint64, name, role, status string, now time.Time) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := infoChanged(tx, "account_id = ?", id); err != nil {
			return err
		}
		return tx.Model(&Account{}).Where("id = ?", id).
			Updates(map[string]any{"name": name, "role": role, "status": status, "updated_at": now, "info_version": gorm.Expr("info_version + 1")}).Error
	})
}

// SetPasswordHash replaces the account's password hash; a chosen password need not be changed.
func (s *Store) SetPasswordHash(ctx context.Context, id uint64, hash string, now time.Time) error {
	return s.db.WithContext(ctx).Model(&Account{}).Where("id = ?", id).
		Updates(map[string]any{"password_hash": hash, "password_must_change": false, "updated_at": now}).Error
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
	// MenuRolesChosen is set when an admin chose the account's menu roles at its creation, none
	// too: its first bind then adds no default menu role.
	MenuRolesChosen bool
	// PasswordMustChange is set on a generated password: the console asks for a new one first.
	PasswordMustChange bool
	CreatedAt          time.Time
	UpdatedAt          time.Time
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
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := infoChanged(tx, "account_id = ?", accountID); err != nil {
			return err
		}
		res := tx.Model(&Account{}).Where("id = ?", accountID).
			Updates(map[string]any{"phone": phone, "phone_country_code": countryCode, "phone_updated_at": now, "updated_at": now,
				"info_version": gorm.Expr("info_version + 1")})
		if res.Error == nil && res.RowsAffected == 0 {
			return ErrNotFound
		}
		return res.Error
	})
}

// Bind filters of AccountFilter.
const (
	BindAny     = ""
	BindBound   = "bound"
	BindUnbound = "unbound"
)

// NumberedAccount is the account LastNumberedAccount finds.
type NumberedAccount struct {
	Username     string
	PasswordHash string
	AppID        string // where its identity is bound; "" when it is not
}

// LastNumberedAccount finds the account with the greatest username of the form prefix+digits,
// zero-padded to length (how `server demo` names the accounts it generates, so that a fill can
// resume). found is false when there is none.
func (s *Store) LastNumberedAccount(ctx context.Context, prefix string, length int) (last NumberedAccount, found bool, err error) {
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
		return NumberedAccount{}, false, res.Error
	}
	last = NumberedAccount{Username: row.Username, PasswordHash: row.PasswordHash}
	if row.AppID != nil {
		last.AppID = *row.AppID
	}
	return last, true, nil
}
