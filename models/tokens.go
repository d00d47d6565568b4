package models

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"gorm.io/gorm"
)

// CountLoginsBetween counts mini-program logins (tokens issued) in [from, to).
func (s *Store) CountLoginsBetween(ctx context.Context, from, to time.Time) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&LoginToken{}).
		Where("created_at >= ? AND created_at < ?", from, to).Count(&n).Error
	return n, err
}

// loginMenuRow is one row of ActiveLoginWithMenus: the login, and one of its effective menus or none.
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
	return s.activeLoginWithMenus(ctx, s.activeLoginWhere(ctx, "t.token_hash = ?", hash, now))
}

func (s *Store) activeLoginWithMenus(ctx context.Context, q *gorm.DB) (ActiveLogin, []Menu, error) {
	var rows []loginMenuRow
	err := q.Select(activeLoginColumns+", "+
		"m.id AS menu_id, m.parent_id AS menu_parent_id, m.code AS menu_code, m.name AS menu_name, "+
		"m.path AS menu_path, m.icon AS menu_icon, m.sort AS menu_sort").
		Joins("LEFT JOIN account_effective_menus am ON am.account_id = t.account_id").
		Joins("LEFT JOIN menus m ON m.id = am.menu_id AND m.visible = ?", true).
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
	sortMenus(menus)
	return rows[0].ActiveLogin, menus, nil
}

// LoginToken is a mini-program login; only the SHA-256 of the token is stored.
type LoginToken struct {
	ID         uint64 `gorm:"primaryKey"`
	TokenHash  string
	AccountID  uint64
	IdentityID uint64
	CreatedAt  time.Time
	ExpiresAt  time.Time
	RevokedAt  *time.Time
	// InfoVersion is a copy of the identity's, kept equal by infoChanged.
	InfoVersion uint64
}

// CreateLoginToken stores a token's hash, with its identity's info_version copied. Inside a
// transaction that has written the identity (as binding does), the copy is the identity's
// latest.
func (s *Store) CreateLoginToken(ctx context.Context, t *LoginToken) error {
	db := s.db.WithContext(ctx)
	if err := db.Table("wechat_identities").Where("id = ?", t.IdentityID).Select("info_version").Take(&t.InfoVersion).Error; err != nil {
		return translate(err)
	}
	return translate(db.Create(t).Error)
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
	err := s.activeLoginWhere(ctx, "t.token_hash = ?", hash, now).Select(activeLoginColumns).Take(&l).Error
	return l, translate(err)
}

// activeLoginColumns are ActiveLogin's, from the tables activeLoginWhere joins.
const activeLoginColumns = "t.id AS token_id, t.account_id, t.identity_id, t.expires_at, a.role, a.username, a.name, " +
	"a.phone, a.phone_country_code, w.nickname, w.avatar_url, w.openid"

// activeLoginWhere selects from a live token (unrevoked, unexpired, its account active), the one
// that where (with arg) picks, joined with its account (a) and WeChat identity (w).
func (s *Store) activeLoginWhere(ctx context.Context, where string, arg any, now time.Time) *gorm.DB {
	return s.db.WithContext(ctx).Table("login_tokens AS t").
		Joins("JOIN accounts a ON a.id = t.account_id").
		Joins("JOIN wechat_identities w ON w.id = t.identity_id").
		Where(where+" AND t.revoked_at IS NULL AND t.expires_at > ? AND a.status = ?", arg, now, StatusActive)
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

// LoginCheck is what checking a token by its id reads: the stored hash to compare, who it
// logs in, and the counters that say whether an instance's cached view of that user is current.
type LoginCheck struct {
	TokenHash  string
	AccountID  uint64
	IdentityID uint64
	// InfoVersion is the token's copy of its identity's info_version: whatever changes what the
	// user's info shows (the account, its phone, the WeChat profile) bumps both in one
	// transaction (see infoChanged).
	InfoVersion  uint64
	MenusVersion uint64
}

// loginCheckQuery reads a live token (unrevoked, unexpired) by primary key with the menus
// counter: the whole of a cached info call's database work. It reads no account: disabling one
// revokes its tokens, and every other change to what its info shows reaches the token's
// info_version.
const loginCheckQuery = "SELECT t.token_hash, t.account_id, t.identity_id, t.info_version, c.value " +
	"FROM login_tokens t JOIN change_counters c ON c.name = '" + MenusCounter + "' " +
	"WHERE t.id = ? AND t.revoked_at IS NULL AND t.expires_at > ?"

// LoginByID reads the live token with primary key id; ErrNotFound when there is none. The
// caller compares TokenHash with the token it was given.
func (s *Store) LoginByID(ctx context.Context, id uint64, now time.Time) (LoginCheck, error) {
	var l LoginCheck
	// Straight to the connection pool and scanned by hand, past GORM's callbacks and reflection:
	// this is every authenticated request's first statement, and most info calls' only one.
	err := s.db.ConnPool.QueryRowContext(ctx, loginCheckQuery, id, now).Scan(
		&l.TokenHash, &l.AccountID, &l.IdentityID, &l.InfoVersion, &l.MenusVersion)
	if errors.Is(err, sql.ErrNoRows) {
		return l, ErrNotFound
	}
	return l, err
}

// infoChanged records a change to what the info of the identities matching where (with arg)
// shows: it bumps their info_version and their tokens' copies. It runs before the change itself
// and in its transaction, so that it locks the identities first, as a checkBind's batch does:
// a batch then either commits before the change starts, and its tokens are bumped with the
// rest, or reads everything after the change.
func infoChanged(tx *gorm.DB, where string, arg any) error {
	if err := tx.Exec("UPDATE wechat_identities SET info_version = info_version + 1 WHERE "+where, arg).Error; err != nil {
		return err
	}
	// The ids first, then the tokens by their identity index: MariaDB before 11.1 runs an
	// UPDATE's IN (subquery) once per row of the whole table.
	var ids []uint64
	if err := tx.Table("wechat_identities").Where(where, arg).Pluck("id", &ids).Error; err != nil || len(ids) == 0 {
		return err
	}
	return tx.Exec("UPDATE login_tokens SET info_version = info_version + 1 WHERE identity_id IN ? AND revoked_at IS NULL", ids).Error
}

// ActiveLoginByID is ActiveLoginWithMenus for the token with primary key id.
func (s *Store) ActiveLoginByID(ctx context.Context, id uint64, now time.Time) (ActiveLogin, []Menu, error) {
	return s.activeLoginWithMenus(ctx, s.activeLoginWhere(ctx, "t.id = ?", id, now))
}
