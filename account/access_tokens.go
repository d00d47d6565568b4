package account

import (
	"context"
	"errors"
	"time"

	"wxbind/models"
	"wxbind/wechat"
)

// AccessTokenCache keeps WeChat's access_token in the database, sealed under a key derived from
// SECRET_KEY, so that every server instance shares one token and a database dump does not
// hand it out. It implements wechat.TokenCache.
type AccessTokenCache struct {
	store *models.Store
	sealer
}

var _ wechat.TokenCache = (*AccessTokenCache)(nil)

// NewAccessTokenCache builds the cache over store.
func NewAccessTokenCache(store *models.Store, secretKey string) (*AccessTokenCache, error) {
	if store == nil {
		return nil, errors.New("account: access token cache needs a Store")
	}
	sealed, err := newSealer(secretKey, "wxbind access_token seal v1")
	if err != nil {
		return nil, err
	}
	return &AccessTokenCache{store: store, sealer: sealed}, nil
}

func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// LoadToken implements wechat.TokenCache. A row that does not open (SECRET_KEY changed) reads
// as no token, so it is simply renewed.
func (c *AccessTokenCache) LoadToken(ctx context.Context, appid string) (wechat.CachedToken, error) {
	row, err := c.store.AccessToken(ctx, appid)
	if errors.Is(err, models.ErrNotFound) {
		return wechat.CachedToken{}, nil
	}
	if err != nil {
		return wechat.CachedToken{}, err
	}
	if row.TokenSealed == "" || row.ExpiresAt == nil || row.RefreshAfter == nil {
		return wechat.CachedToken{}, nil
	}
	token, err := c.open(row.TokenSealed, appid)
	if err != nil {
		return wechat.CachedToken{}, nil
	}
	return wechat.CachedToken{Token: token, ExpiresAt: *row.ExpiresAt, RefreshAfter: *row.RefreshAfter}, nil
}

// LeaseRefresh implements wechat.TokenCache.
func (c *AccessTokenCache) LeaseRefresh(ctx context.Context, appid, holder string, now, until time.Time) (bool, error) {
	return c.store.LeaseAccessTokenRefresh(ctx, appid, holder, dbTime(now), dbTime(until))
}

// SaveToken implements wechat.TokenCache.
func (c *AccessTokenCache) SaveToken(ctx context.Context, appid, holder string, t wechat.CachedToken) error {
	return c.store.SaveAccessToken(ctx, appid, holder, c.seal(t.Token, appid), dbTime(t.ExpiresAt), dbTime(t.RefreshAfter), dbTime(time.Now()))
}

// ReleaseLease implements wechat.TokenCache.
func (c *AccessTokenCache) ReleaseLease(ctx context.Context, appid, holder string) error {
	return c.store.ReleaseAccessTokenLease(ctx, appid, holder)
}
