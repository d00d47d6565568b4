package wechat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"
)

// DefaultTokenRefreshAhead is how long before its expiry the access_token is renewed.
const DefaultTokenRefreshAhead = 5 * time.Minute

// tokenLease bounds how long one caller may hold the refresh before another may take over;
// longer than a stable_token call can take.
const tokenLease = 15 * time.Second

// renewBackoff is how long a failed renewal is not retried while the old token still works.
const renewBackoff = 10 * time.Second

// tokenPoll is how often a caller waiting for another instance's refresh looks again.
const tokenPoll = 100 * time.Millisecond

// CachedToken is an access_token as the cache holds it.
type CachedToken struct {
	Token        string
	ExpiresAt    time.Time // WeChat stops accepting it then
	RefreshAfter time.Time // renew it from then on, while it still works
}

// valid reports whether the token can still be sent at now.
func (t CachedToken) valid(now time.Time) bool { return t.Token != "" && now.Before(t.ExpiresAt) }

// fresh reports whether the token needs no renewal at now.
func (t CachedToken) fresh(now time.Time) bool { return t.Token != "" && now.Before(t.RefreshAfter) }

// TokenCache keeps the access_token where every server instance sees it, and lets one instance
// at a time renew it. The database implements it; a process-local one is the default.
type TokenCache interface {
	// LoadToken returns appid's cached token, or a zero CachedToken when there is none.
	LoadToken(ctx context.Context, appid string) (CachedToken, error)
	// LeaseRefresh makes holder the one renewer of appid's token until until, unless another
	// holder's lease is still running at now; it reports whether holder got the lease.
	LeaseRefresh(ctx context.Context, appid, holder string, now, until time.Time) (bool, error)
	// SaveToken stores a renewed token and ends holder's lease.
	SaveToken(ctx context.Context, appid, holder string, t CachedToken) error
	// ReleaseLease ends holder's lease after a failed renewal.
	ReleaseLease(ctx context.Context, appid, holder string) error
}

// tokenSource hands out the access_token: from memory while fresh, else from the shared cache,
// else renewed through stable_token by one caller per process (refreshing) and one instance
// at a time (the cache's lease).
type tokenSource struct {
	client *Client
	cache  TokenCache
	ahead  time.Duration
	holder string // this process's name on the lease

	refreshing chan struct{} // a one-slot semaphore a waiting caller can give up on
	mu         sync.Mutex
	current    CachedToken
	// renewAfter holds off renewing again after a failed renewal while the old token still
	// works, so a WeChat outage does not turn into a stable_token call per request.
	renewAfter time.Time
}

func newTokenSource(c *Client, cache TokenCache, ahead time.Duration) *tokenSource {
	if cache == nil {
		cache = &memoryTokenCache{}
	}
	if ahead <= 0 {
		ahead = DefaultTokenRefreshAhead
	}
	b := make([]byte, 8)
	rand.Read(b)
	return &tokenSource{client: c, cache: cache, ahead: ahead, holder: hex.EncodeToString(b), refreshing: make(chan struct{}, 1)}
}

// usableWithoutRenewal returns the remembered token when it needs no renewal now: it is fresh,
// or still valid while renewal backs off after a failure.
func (s *tokenSource) usableWithoutRenewal(now time.Time, rejected string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.current
	if t.Token == "" || t.Token == rejected {
		return "", false
	}
	if t.fresh(now) || (t.valid(now) && now.Before(s.renewAfter)) {
		return t.Token, true
	}
	return "", false
}

func (s *tokenSource) remembered() CachedToken {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

func (s *tokenSource) remember(t CachedToken) {
	s.mu.Lock()
	s.current = t
	s.mu.Unlock()
}

// token returns a usable access_token. rejected, when not empty, is a token WeChat just
// refused (40001/42001): it is not handed out again, and the renewal forces a new one.
func (s *tokenSource) token(ctx context.Context, rejected string) (string, error) {
	if t, ok := s.usableWithoutRenewal(time.Now(), rejected); ok {
		return t, nil
	}
	select {
	case s.refreshing <- struct{}{}:
	case <-ctx.Done():
		return "", fmt.Errorf("%w: access_token: gave up waiting for the refresh", ErrUnavailable)
	}
	defer func() { <-s.refreshing }()

	usable := func(t CachedToken, now time.Time) bool { return t.valid(now) && t.Token != rejected }
	for {
		now := time.Now()
		if t, ok := s.usableWithoutRenewal(now, rejected); ok {
			return t, nil // renewed by the caller we waited for, or renewal is backing off
		}
		shared, err := s.cache.LoadToken(ctx, s.client.appID)
		if err != nil {
			if t := s.remembered(); usable(t, now) {
				return t.Token, nil
			}
			return "", fmt.Errorf("%w: access_token cache: %s", ErrUnavailable, safeCacheError(err))
		}
		if usable(shared, now) {
			s.remember(shared)
			if shared.fresh(now) {
				return shared.Token, nil
			}
		}
		leased, err := s.cache.LeaseRefresh(ctx, s.client.appID, s.holder, now, now.Add(tokenLease))
		if err != nil {
			if usable(shared, now) {
				return shared.Token, nil
			}
			return "", fmt.Errorf("%w: access_token cache: %s", ErrUnavailable, safeCacheError(err))
		}
		if leased {
			// Another instance may have saved a token between our read and our lease (saving
			// ends its lease); read again so it is not fetched twice.
			if again, err := s.cache.LoadToken(ctx, s.client.appID); err == nil && usable(again, now) && again.fresh(now) {
				_ = s.cache.ReleaseLease(ctx, s.client.appID, s.holder)
				s.remember(again)
				return again.Token, nil
			}
			return s.renew(ctx, rejected != "", shared, usable)
		}
		// Another instance is renewing; its old token still works meanwhile.
		if usable(shared, now) {
			return shared.Token, nil
		}
		select {
		case <-time.After(tokenPoll):
		case <-ctx.Done():
			return "", fmt.Errorf("%w: access_token: gave up waiting for another instance's refresh", ErrUnavailable)
		}
	}
}

// renew fetches a token from WeChat while holding the lease, and shares it.
func (s *tokenSource) renew(ctx context.Context, force bool, old CachedToken, usable func(CachedToken, time.Time) bool) (string, error) {
	fetched, err := s.client.stableToken(ctx, force)
	if err != nil {
		// The lease must not outlive a failed attempt, or others wait for nothing; a detached
		// context still releases it when the caller's has run out.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		_ = s.cache.ReleaseLease(rctx, s.client.appID, s.holder)
		cancel()
		if usable(old, time.Now()) {
			// Renewing ahead of expiry failed; the old token still works for now.
			s.mu.Lock()
			s.current, s.renewAfter = old, time.Now().Add(renewBackoff)
			s.mu.Unlock()
			return old.Token, nil
		}
		return "", err
	}
	ahead := min(s.ahead, fetched.lifetime/4)
	t := CachedToken{Token: fetched.token, ExpiresAt: fetched.at.Add(fetched.lifetime), RefreshAfter: fetched.at.Add(fetched.lifetime - ahead)}
	s.remember(t)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	// Should saving fail, this process still has the token in memory and others renew their own.
	_ = s.cache.SaveToken(sctx, s.client.appID, s.holder, t)
	return t.Token, nil
}

// safeCacheError describes a cache failure. The cache is our database, whose errors hold no
// token, but they are cut short anyway.
func safeCacheError(err error) string {
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}

type fetchedToken struct {
	token    string
	lifetime time.Duration
	at       time.Time
}

// stableToken calls cgi-bin/stable_token. force asks WeChat for a new token even though the
// old one has not expired; WeChat rations that, so it is used only after a 40001/42001.
func (c *Client) stableToken(ctx context.Context, force bool) (fetchedToken, error) {
	at := time.Now()
	var reply struct {
		ErrCode     int    `json:"errcode"`
		ErrMsg      string `json:"errmsg"`
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	body := map[string]any{"grant_type": "client_credential", "appid": c.appID, "secret": c.secret, "force_refresh": force}
	if err := c.postJSON(ctx, "stable_token", "/cgi-bin/stable_token", nil, body, &reply); err != nil {
		return fetchedToken{}, err
	}
	if reply.ErrCode != 0 {
		return fetchedToken{}, &Error{API: "stable_token", Code: reply.ErrCode, Msg: redact(reply.ErrMsg, c.secret)}
	}
	if reply.AccessToken == "" || reply.ExpiresIn <= 0 {
		return fetchedToken{}, fmt.Errorf("%w: stable_token answered without access_token or expires_in", ErrUnavailable)
	}
	return fetchedToken{token: reply.AccessToken, lifetime: time.Duration(reply.ExpiresIn) * time.Second, at: at}, nil
}

// withAccessToken runs call with the current access_token; when WeChat says the token is
// invalid or expired, it renews the token once and runs call again.
func (c *Client) withAccessToken(ctx context.Context, call func(token string) error) error {
	token, err := c.tokens.token(ctx, "")
	if err != nil {
		return err
	}
	err = call(token)
	if KindOf(err) != KindAccessToken {
		return err
	}
	token, err = c.tokens.token(ctx, token)
	if err != nil {
		return err
	}
	return call(token)
}

// redact removes secrets from a message WeChat echoed back.
func redact(msg string, secrets ...string) string {
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	return msg
}

// memoryTokenCache is the cache of a single process, for a Client built without one.
type memoryTokenCache struct {
	mu         sync.Mutex
	token      CachedToken
	holder     string
	leaseUntil time.Time
}

func (m *memoryTokenCache) LoadToken(context.Context, string) (CachedToken, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.token, nil
}

func (m *memoryTokenCache) LeaseRefresh(_ context.Context, _, holder string, now, until time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.holder != "" && m.holder != holder && now.Before(m.leaseUntil) {
		return false, nil
	}
	m.holder, m.leaseUntil = holder, until
	return true, nil
}

func (m *memoryTokenCache) SaveToken(_ context.Context, _, holder string, t CachedToken) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.token = t
	if m.holder == holder {
		m.holder = ""
	}
	return nil
}

func (m *memoryTokenCache) ReleaseLease(_ context.Context, _, holder string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.holder == holder {
		m.holder = ""
	}
	return nil
}
