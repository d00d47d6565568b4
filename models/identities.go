package models

import (
	"context"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// IdentityRow is a WeChat identity with the username it is bound to, if any.
type IdentityRow struct {
	WechatIdentity
	Username string // the bound account's; empty when not bound
}

// IdentityFilter selects WeChat identities of one mini-program.
type IdentityFilter struct {
	AppID string
	Query string // prefix of nickname, openid, unionid or bound username
	Bind  string // BindAny, BindBound or BindUnbound
	// SeenFrom/SeenTo bound when the identity was first seen, [from, to); zero is open.
	SeenFrom, SeenTo time.Time
}

// identitiesMatching is the identities of f as "w", reached as a says.
func (s *Store) identitiesMatching(ctx context.Context, f IdentityFilter, a access) *gorm.DB {
	q := s.db.WithContext(ctx)
	if f.Query != "" {
		search := s.prefixSearch(f.Query)
		arg, match := search.arg, search.match
		// Go evaluates the calls left to right, so search.args follow the placeholders' order.
		sql := "SELECT id FROM wechat_identities WHERE appid = " + arg(f.AppID) + " AND " + match("nickname") +
			" UNION SELECT id FROM wechat_identities WHERE appid = " + arg(f.AppID) + " AND " + match("openid") +
			" UNION SELECT id FROM wechat_identities WHERE " + match("unionid") + " AND " + s.notIndexed("appid") + " = " + arg(f.AppID) +
			" UNION SELECT wi.id FROM accounts ac JOIN wechat_identities wi ON wi.account_id = ac.id WHERE " + s.notIndexed("wi.appid") + " = " + arg(f.AppID) + " AND " + match("ac.username") +
			" UNION SELECT wi.id FROM accounts ac JOIN wechat_identities wi ON wi.account_id = ac.id WHERE " + s.notIndexed("wi.appid") + " = " + arg(f.AppID) + " AND " + match("ac.name")
		matches := s.db.Raw(sql, search.args...)
		q = q.Table("(?) AS m", matches).Joins("JOIN wechat_identities w ON w.id = m.id")
	} else if a == byTime && s.db.Dialector.Name() == DriverMySQL {
		q = q.Table("wechat_identities AS w FORCE INDEX (idx_wechat_identities_created)")
	} else {
		q = q.Table(s.table("wechat_identities", "w", a))
	}
	if f.Query != "" {
		// The few matches first, then their rows by id: SQLite would rather walk every
		// identity of the appid in list order and look each up among the matches (50 ms).
		q = q.Where(s.notIndexed("w.appid")+" = ?", f.AppID)
	} else {
		q = q.Where("w.appid = ?", f.AppID)
	}
	switch f.Bind {
	case BindBound:
		q = q.Where("w.account_id IS NOT NULL")
	case BindUnbound:
		q = q.Where("w.account_id IS NULL")
	}
	return within(q, "w.created_at", f.SeenFrom, f.SeenTo)
}

// ListIdentities returns a page of the WeChat identities matching f, bound or not, in the order
// they were first seen (time, then id), and whether there are more in the direction it was
// read. The order is read from the (appid, created_at, id) index, which a seen range also uses;
// by id the plan hangs on the planner's statistics: without them (a server's SQLite has none)
// or with some, SQLite reads the rows through another appid index and sorts all of them for
// one page (0.4–1.2 s at a million). Ids are handed out in the order identities are first
// seen, so this is the order of ids too but for identities seen at the same moment.
func (s *Store) ListIdentities(ctx context.Context, f IdentityFilter, p Page) ([]IdentityRow, bool, error) {
	var val any
	if k := p.cursor(); k != nil {
		val = k.Time
	}
	q := s.identitiesMatching(ctx, f, byTime).Select("w.*, COALESCE(a.username, '') AS username").Joins("LEFT JOIN accounts a ON a.id = w.account_id")
	q = p.keyset(q, "w.created_at", "w.id", val, false)
	var rows []IdentityRow
	if err := q.Scan(&rows).Error; err != nil {
		return nil, false, err
	}
	rows, more := trim(p, rows)
	return rows, more, nil
}

// IdentityKey is a row's place in the WeChat users list, for the next or previous page.
func IdentityKey(r IdentityRow) Key { return Key{Time: r.CreatedAt, ID: r.ID} }

// CountIdentitiesMatching counts the identities matching f: exactly up to a bound, else
// estimated.
func (s *Store) CountIdentitiesMatching(ctx context.Context, f IdentityFilter) (Count, error) {
	bound := exactCountBound
	if ranged(f.SeenFrom, f.SeenTo) && f.Query == "" && f.Bind == BindAny {
		bound = rangeCountBound // a range of the (appid, created_at) index
	}
	return s.countMatching(ctx, s.identitiesMatching(ctx, f, plannerChoice).Select("w.id"), bound, "wechat_identities", func(lo, hi uint64) *gorm.DB {
		return s.identitiesMatching(ctx, f, inWindow).Where("w.id BETWEEN ? AND ?", lo, hi)
	})
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

// WechatIdentity is one WeChat user of one mini-program (appid+openid), bound or not.
type WechatIdentity struct {
	ID               uint64 `gorm:"primaryKey"`
	AppID            string `gorm:"column:appid"`
	OpenID           string `gorm:"column:openid"`
	UnionID          string `gorm:"column:unionid"`
	Nickname         string
	AvatarURL        string
	SessionKeySealed string
	AccountID        *uint64 // nil while not bound
	BoundAt          *time.Time
	UnboundAt        *time.Time
	LastLoginAt      *time.Time
	LastSeenAt       time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

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
		if !isRetryable(err) || s.inTx || attempt == maxAttempts {
			break
		}
		if !pauseBeforeRetry(ctx, attempt) {
			return WechatIdentity{}, err
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
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := infoChanged(tx, "id = ?", identityID); err != nil {
			return err
		}
		return tx.Model(&WechatIdentity{}).Where("id = ?", identityID).
			Updates(map[string]any{"nickname": nickname, "avatar_url": avatarURL, "updated_at": now}).Error
	})
}

// SetIdentityUnionID records the unionid WeChat revealed for the identity (it comes with
// decrypted user info when code2session did not give it).
func (s *Store) SetIdentityUnionID(ctx context.Context, identityID uint64, unionid string, now time.Time) error {
	return s.db.WithContext(ctx).Model(&WechatIdentity{}).Where("id = ?", identityID).
		Updates(map[string]any{"unionid": unionid, "updated_at": now}).Error
}
