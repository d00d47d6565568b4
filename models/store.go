package models

import (
	"cmp"
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// ErrDuplicate is returned when a unique key refuses a row.
var ErrDuplicate = errors.New("duplicate key")

// Store runs the queries. Inside Transaction it runs them in that transaction.
type Store struct {
	db   *gorm.DB
	inTx bool // inside Transaction: a deadlock has rolled back more than the statement
}

// NewStore wraps an open database.
func NewStore(db *gorm.DB) *Store { return &Store{db: db} }

// DB is the underlying handle, for health checks and closing.
func (s *Store) DB() *gorm.DB { return s.db }

// Transaction runs fn in one database transaction; fn's error rolls it back. When InnoDB picks
// the transaction as a deadlock victim (concurrent binds can), or TiDB reports a lost write
// conflict, fn runs again on a fresh transaction, up to three times: fn must not have effects
// outside the database.
func (s *Store) Transaction(ctx context.Context, fn func(tx *Store) error) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			return fn(&Store{db: tx, inTx: true})
		})
		if !isRetryable(err) || ctx.Err() != nil {
			return err
		}
	}
	return err
}

// isRetryable reports an error after which the database has rolled the statement's transaction
// back and running it again can succeed: MySQL's deadlock, and TiDB's answers to a lost write
// conflict, which its documentation calls safe to retry as a whole.
func isRetryable(err error) bool {
	var me *gomysql.MySQLError
	if !errors.As(err, &me) {
		return false
	}
	switch me.Number {
	case 1213, // deadlock (MySQL, MariaDB, TiDB)
		8002, // TiDB: SELECT FOR UPDATE met a write conflict at commit
		8005, // TiDB: write conflict, txnStartTS is stale
		8022, // TiDB: KV error safe to retry
		8028, // TiDB: the schema changed during the transaction
		9007: // TiDB: write conflict in TiKV
		return true
	case 1105: // TiDB's generic error; a pessimistic statement that kept losing its lock
		return strings.Contains(me.Message, "pessimistic lock retry limit reached")
	}
	return false
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// translate maps GORM's errors onto this package's.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return ErrNotFound
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return ErrDuplicate
	}
	return err
}

// ---- accounts

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

// AccountByUsername loads one account by its exact username.
func (s *Store) AccountByUsername(ctx context.Context, username string) (Account, error) {
	var a Account
	err := s.db.WithContext(ctx).Where("username = ?", username).Take(&a).Error
	return a, translate(err)
}

// CountActiveAdmins counts admins that can log in.
func (s *Store) CountActiveAdmins(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Account{}).
		Where("role = ? AND status = ?", RoleAdmin, StatusActive).Count(&n).Error
	return n, err
}

// ---- WeChat identities

// UpsertIdentity records that WeChat vouched for appid+openid now: it inserts the identity or
// refreshes its session_key, unionid (when given) and last-seen time — and, when the identity is
// bound, its last-login time, since this is its login — and returns the row. Concurrent calls
// for the same openid leave one row.
func (s *Store) UpsertIdentity(ctx context.Context, appid, openid, unionid, sealedKey string, now time.Time) (WechatIdentity, error) {
	db := s.db.WithContext(ctx)
	row := WechatIdentity{
		AppID: appid, OpenID: openid, UnionID: unionid, SessionKeySealed: sealedKey,
		LastSeenAt: now, CreatedAt: now, UpdatedAt: now,
	}
	updates := []string{"session_key_sealed", "last_seen_at", "updated_at"}
	if unionid != "" {
		updates = append(updates, "unionid")
	}
	// Where the database can (MariaDB, SQLite), the upsert hands back the whole row, inserted or
	// updated, saving checkBind a read; MySQL has no RETURNING and reads it afterwards.
	returning := slices.Contains(s.db.Callback().Create().Clauses, "RETURNING")
	var (
		r   WechatIdentity
		err error
	)
	for attempt := 1; ; attempt++ {
		r = row
		set := clause.AssignmentColumns(updates)
		set = append(set, clause.Assignment{Column: clause.Column{Name: "last_login_at"},
			Value: gorm.Expr("CASE WHEN account_id IS NULL THEN last_login_at ELSE ? END", now)})
		q := db.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "appid"}, {Name: "openid"}},
			DoUpdates: set,
		})
		if returning {
			q = q.Clauses(clause.Returning{})
		}
		err = q.Create(&r).Error
		// Two checkBinds of one bound user at once: this upsert can deadlock with the other's
		// login transaction (which holds the row shared through the login token's foreign key).
		// On its own the statement is idempotent, so InnoDB's victim simply runs it again; so
		// does the loser of TiDB's write conflict (1105 "pessimistic lock retry limit reached").
		if !isRetryable(err) || s.inTx || attempt == 10 {
			break
		}
		// A short, random pause, so that the same two do not collide again at once.
		select {
		case <-ctx.Done():
			return WechatIdentity{}, err
		case <-time.After(time.Duration(attempt) * time.Duration(1+rand.IntN(4)) * time.Millisecond):
		}
	}
	if err != nil {
		return WechatIdentity{}, translate(err)
	}
	if returning && r.ID != 0 && r.OpenID == openid {
		return r, nil
	}
	return s.IdentityByOpenID(ctx, appid, openid)
}

// IdentityByOpenID loads one identity.
func (s *Store) IdentityByOpenID(ctx context.Context, appid, openid string) (WechatIdentity, error) {
	var w WechatIdentity
	err := s.db.WithContext(ctx).Where("appid = ? AND openid = ?", appid, openid).Take(&w).Error
	return w, translate(err)
}

// IdentityByID loads one identity.
func (s *Store) IdentityByID(ctx context.Context, id uint64) (WechatIdentity, error) {
	var w WechatIdentity
	err := s.db.WithContext(ctx).Take(&w, id).Error
	return w, translate(err)
}

// IdentityOfAccount loads the identity bound to account in appid.
func (s *Store) IdentityOfAccount(ctx context.Context, appid string, accountID uint64) (WechatIdentity, error) {
	var w WechatIdentity
	err := s.db.WithContext(ctx).Where("appid = ? AND account_id = ?", appid, accountID).Take(&w).Error
	return w, translate(err)
}

// BindIdentity binds an unbound identity to account. It reports false when the identity was
// already bound; a unique-key refusal (the account is bound elsewhere) is ErrDuplicate.
func (s *Store) BindIdentity(ctx context.Context, identityID, accountID uint64, now time.Time) (bool, error) {
	res := s.db.WithContext(ctx).Model(&WechatIdentity{}).
		Where("id = ? AND account_id IS NULL", identityID).
		Updates(map[string]any{"account_id": accountID, "bound_at": now, "last_login_at": now, "updated_at": now})
	return res.RowsAffected == 1, translate(res.Error)
}

// UnbindIdentity ends the identity's binding, if any, and reports whether it had one.
func (s *Store) UnbindIdentity(ctx context.Context, identityID uint64, now time.Time) (bool, error) {
	res := s.db.WithContext(ctx).Model(&WechatIdentity{}).
		Where("id = ? AND account_id IS NOT NULL", identityID).
		Updates(map[string]any{"account_id": nil, "unbound_at": now, "updated_at": now})
	return res.RowsAffected == 1, translate(res.Error)
}

// UpdateIdentityProfile sets the nickname and avatar WeChat's user chose.
func (s *Store) UpdateIdentityProfile(ctx context.Context, identityID uint64, nickname, avatarURL string, now time.Time) error {
	return s.db.WithContext(ctx).Model(&WechatIdentity{}).Where("id = ?", identityID).
		Updates(map[string]any{"nickname": nickname, "avatar_url": avatarURL, "updated_at": now}).Error
}

// ---- bind tickets

// SpendBindTicket marks a ticket used; a ticket spent before is ErrDuplicate.
func (s *Store) SpendBindTicket(ctx context.Context, ticketID string, expiresAt, now time.Time) error {
	return translate(s.db.WithContext(ctx).Create(&SpentBindTicket{TicketID: ticketID, ExpiresAt: expiresAt, SpentAt: now}).Error)
}

// PruneSpentBindTickets forgets tickets that have expired anyway.
func (s *Store) PruneSpentBindTickets(ctx context.Context, now time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Where("expires_at < ?", now).Delete(&SpentBindTicket{})
	return res.RowsAffected, res.Error
}

// ---- login tokens

// CreateLoginToken stores a token's hash.
func (s *Store) CreateLoginToken(ctx context.Context, t *LoginToken) error {
	return translate(s.db.WithContext(ctx).Create(t).Error)
}

// ActiveLogin is a live token together with its account's role.
type ActiveLogin struct {
	TokenID    uint64
	AccountID  uint64
	IdentityID uint64
	ExpiresAt  time.Time
	Role       string
	// What the mini-program is told about its user, read in the same statement.
	Username         string
	Name             string
	Phone            string
	PhoneCountryCode string
	Nickname         string
	AvatarURL        string
	OpenID           string `gorm:"column:openid"`
}

// ActiveLoginByTokenHash finds a token that is unrevoked, unexpired and whose account is active,
// in one indexed read.
func (s *Store) ActiveLoginByTokenHash(ctx context.Context, hash string, now time.Time) (ActiveLogin, error) {
	var l ActiveLogin
	err := s.activeLogin(ctx, hash, now, activeLoginColumns).Take(&l).Error
	return l, translate(err)
}

// activeLoginColumns are ActiveLogin's, from the tables activeLogin joins.
const activeLoginColumns = "t.id AS token_id, t.account_id, t.identity_id, t.expires_at, a.role, a.username, a.name, " +
	"a.phone, a.phone_country_code, w.nickname, w.avatar_url, w.openid"

// activeLogin selects columns from a live token (unrevoked, unexpired, its account active)
// joined with its account (a) and WeChat identity (w).
func (s *Store) activeLogin(ctx context.Context, hash string, now time.Time, columns string) *gorm.DB {
	return s.db.WithContext(ctx).Table("login_tokens AS t").Select(columns).
		Joins("JOIN accounts a ON a.id = t.account_id").
		Joins("JOIN wechat_identities w ON w.id = t.identity_id").
		Where("t.token_hash = ? AND t.revoked_at IS NULL AND t.expires_at > ? AND a.status = ?", hash, now, StatusActive)
}

// RevokeLoginToken kills one token.
func (s *Store) RevokeLoginToken(ctx context.Context, tokenID uint64, now time.Time) error {
	return s.db.WithContext(ctx).Model(&LoginToken{}).Where("id = ? AND revoked_at IS NULL", tokenID).
		Update("revoked_at", now).Error
}

// RevokeLoginTokensOfIdentity kills every token issued through the identity.
func (s *Store) RevokeLoginTokensOfIdentity(ctx context.Context, identityID uint64, now time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Model(&LoginToken{}).Where("identity_id = ? AND revoked_at IS NULL", identityID).
		Update("revoked_at", now)
	return res.RowsAffected, res.Error
}

// RevokeLoginTokensOfAccount kills every token of the account.
func (s *Store) RevokeLoginTokensOfAccount(ctx context.Context, accountID uint64, now time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Model(&LoginToken{}).Where("account_id = ? AND revoked_at IS NULL", accountID).
		Update("revoked_at", now)
	return res.RowsAffected, res.Error
}

// CountActiveLoginTokens counts the account's live tokens.
func (s *Store) CountActiveLoginTokens(ctx context.Context, accountID uint64, now time.Time) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&LoginToken{}).
		Where("account_id = ? AND revoked_at IS NULL AND expires_at > ?", accountID, now).Count(&n).Error
	return n, err
}

// PruneLoginTokens deletes tokens that expired or were revoked before cutoff.
func (s *Store) PruneLoginTokens(ctx context.Context, cutoff time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Where("expires_at < ? OR revoked_at < ?", cutoff, cutoff).Delete(&LoginToken{})
	return res.RowsAffected, res.Error
}

// ---- menus

// MenusOfAccount lists the visible menus assigned to the account, ordered by sort then id.
func (s *Store) MenusOfAccount(ctx context.Context, accountID uint64) ([]Menu, error) {
	var ms []Menu
	err := s.db.WithContext(ctx).Table("menus AS m").Select("m.*").
		Joins("JOIN account_menus am ON am.menu_id = m.id").
		Where("am.account_id = ? AND m.visible = ?", accountID, true).
		Find(&ms).Error
	// Sorted here, not by ORDER BY: the join is driven by account_menus, so MySQL would sort
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

// CreateMenu inserts m; a taken code is ErrDuplicate.
func (s *Store) CreateMenu(ctx context.Context, m *Menu) error {
	return translate(s.db.WithContext(ctx).Create(m).Error)
}

// AssignMenus adds menus to the account, keeping those it has.
func (s *Store) AssignMenus(ctx context.Context, accountID uint64, menuIDs ...uint64) error {
	return s.AssignMenusToAccounts(ctx, []uint64{accountID}, menuIDs)
}

// AssignMenusToAccounts adds every menu to every account, keeping what they have, in batched
// inserts.
func (s *Store) AssignMenusToAccounts(ctx context.Context, accountIDs, menuIDs []uint64) error {
	rows := make([]AccountMenu, 0, len(accountIDs)*len(menuIDs))
	for _, a := range accountIDs {
		for _, m := range menuIDs {
			rows = append(rows, AccountMenu{AccountID: a, MenuID: m})
		}
	}
	if len(rows) == 0 {
		return nil
	}
	return translate(s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(&rows, 1000).Error)
}

// AccountHasMenuCode reports whether a visible menu with code is assigned to the account.
func (s *Store) AccountHasMenuCode(ctx context.Context, accountID uint64, code string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Table("account_menus AS am").
		Joins("JOIN menus m ON m.id = am.menu_id").
		Where("am.account_id = ? AND m.code = ? AND m.visible = ?", accountID, code, true).
		Limit(1).Count(&n).Error
	return n > 0, err
}

// ---- audit

// AddAuditEntry appends to the audit log.
func (s *Store) AddAuditEntry(ctx context.Context, e *AuditEntry) error {
	return s.db.WithContext(ctx).Create(e).Error
}

// AddAuditEntries appends many entries in batched inserts.
func (s *Store) AddAuditEntries(ctx context.Context, es []AuditEntry) error {
	if len(es) == 0 {
		return nil
	}
	return s.db.WithContext(ctx).CreateInBatches(&es, 500).Error
}
