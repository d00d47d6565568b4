package models

import (
	"context"
	"time"

	"gorm.io/gorm/clause"
)

// WechatAccessToken is the access_token shared by every server instance, one row per appid.
type WechatAccessToken struct {
	AppID        string `gorm:"column:appid;primaryKey"`
	TokenSealed  string // sealed under SECRET_KEY; empty until first fetched
	ExpiresAt    *time.Time
	RefreshAfter *time.Time
	LeaseHolder  string
	LeaseUntil   *time.Time
	UpdatedAt    time.Time
}

// AccessToken loads appid's cached token; ErrNotFound when none was ever stored.
func (s *Store) AccessToken(ctx context.Context, appid string) (WechatAccessToken, error) {
	var t WechatAccessToken
	err := s.db.WithContext(ctx).Where("appid = ?", appid).Take(&t).Error
	return t, translate(err)
}

// LeaseAccessTokenRefresh makes holder the one renewer of appid's token until until, unless
// another holder's lease runs past now, and reports whether holder got it. The row is made on
// first use; the conditional UPDATE is what lets exactly one instance win.
func (s *Store) LeaseAccessTokenRefresh(ctx context.Context, appid, holder string, now, until time.Time) (bool, error) {
	db := s.db.WithContext(ctx)
	err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&WechatAccessToken{AppID: appid, UpdatedAt: now}).Error
	if err != nil {
		return false, translate(err)
	}
	res := db.Model(&WechatAccessToken{}).
		Where("appid = ? AND (lease_until IS NULL OR lease_until <= ? OR lease_holder = ?)", appid, now, holder).
		Updates(map[string]any{"lease_holder": holder, "lease_until": until, "updated_at": now})
	return res.RowsAffected == 1, translate(res.Error)
}

// SaveAccessToken stores a renewed token and ends holder's lease.
func (s *Store) SaveAccessToken(ctx context.Context, appid, holder, sealed string, expiresAt, refreshAfter, now time.Time) error {
	return s.Transaction(ctx, func(tx *Store) error {
		db := tx.db.WithContext(ctx)
		err := db.Model(&WechatAccessToken{}).Where("appid = ?", appid).
			Updates(map[string]any{"token_sealed": sealed, "expires_at": expiresAt, "refresh_after": refreshAfter, "updated_at": now}).Error
		if err != nil {
			return err
		}
		return tx.ReleaseAccessTokenLease(ctx, appid, holder)
	})
}

// ReleaseAccessTokenLease ends holder's lease, if it still holds it.
func (s *Store) ReleaseAccessTokenLease(ctx context.Context, appid, holder string) error {
	return s.db.WithContext(ctx).Model(&WechatAccessToken{}).Where("appid = ? AND lease_holder = ?", appid, holder).
		Updates(map[string]any{"lease_holder": "", "lease_until": nil}).Error
}
