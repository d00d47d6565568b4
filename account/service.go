// Package account holds the rules of login and binding: check-bind, bind, unbind, logout,
// tokens, bind tickets, accounts and a user's menus. The mini-program API and the console both
// call it; it knows nothing of HTTP.
package account

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"wxbind/models"
	"wxbind/wechat"
)

// Defaults for Config.
const (
	DefaultTokenTTL  = 168 * time.Hour
	DefaultTicketTTL = 10 * time.Minute
)

// Config is what the Service is built from; cmd/server and tests fill it.
type Config struct {
	Store     *models.Store
	WeChat    wechat.API
	SecretKey string           // derives the session_key seal and the ticket signing key
	TokenTTL  time.Duration    // login token lifetime; default DefaultTokenTTL
	TicketTTL time.Duration    // bind ticket lifetime; default DefaultTicketTTL
	Now       func() time.Time // default time.Now
	Logger    *slog.Logger
	// PasswordCost is the bcrypt cost for new password hashes; default bcrypt.DefaultCost.
	// Tests lower it to stay fast under the race detector.
	PasswordCost int
}

// Service applies the rules. It holds no mutable state; every instance on one database agrees.
type Service struct {
	store     *models.Store
	wechat    wechat.API
	keys      keys
	tokenTTL  time.Duration
	ticketTTL time.Duration
	now       func() time.Time
	log       *slog.Logger
	cost      int
	// dummyHash is compared against when a username does not exist, so that a wrong username
	// takes as long as a wrong password. Made on first use: commands that never log in skip it.
	dummyHash func() []byte
}

// New checks cfg and builds a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.WeChat == nil {
		return nil, errors.New("account: Store and WeChat are required")
	}
	k, err := deriveKeys(cfg.SecretKey)
	if err != nil {
		return nil, err
	}
	s := &Service{
		store: cfg.Store, wechat: cfg.WeChat, keys: k,
		tokenTTL: cfg.TokenTTL, ticketTTL: cfg.TicketTTL, now: cfg.Now, log: cfg.Logger,
		cost: cfg.PasswordCost,
	}
	if s.cost == 0 {
		s.cost = bcrypt.DefaultCost
	}
	if s.tokenTTL <= 0 {
		s.tokenTTL = DefaultTokenTTL
	}
	if s.ticketTTL <= 0 {
		s.ticketTTL = DefaultTicketTTL
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.dummyHash = sync.OnceValue(func() []byte {
		h, _ := bcrypt.GenerateFromPassword([]byte("wxbind timing equaliser"), s.cost)
		return h
	})
	return s, nil
}

// AppID is the mini-program whose identities this service binds.
func (s *Service) AppID() string { return s.wechat.AppID() }

// clock returns the current time as stored: UTC, millisecond precision.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// Actor says who asks for a change and from where, for the audit log.
type Actor struct {
	AccountID *uint64 // nil for the mini-program's own user before login
	Name      string
	IP        string
}

// exchange trades a wx.login code with WeChat and turns WeChat's refusals into the rules' errors.
func (s *Service) exchange(ctx context.Context, code string) (wechat.Session, error) {
	if code == "" {
		return wechat.Session{}, invalid("code", "the wx.login code is missing")
	}
	if len(code) > MaxCodeLen {
		return wechat.Session{}, invalid("code", "the wx.login code is longer than %d characters", MaxCodeLen)
	}
	sess, err := s.wechat.Code2Session(ctx, code)
	if err == nil {
		return sess, nil
	}
	switch wechat.KindOf(err) {
	case wechat.KindInvalidCode:
		return sess, fmt.Errorf("%w: %w", ErrWeChatCodeRejected, err)
	case wechat.KindRateLimited:
		return sess, fmt.Errorf("%w: %w", ErrWeChatRateLimited, err)
	case wechat.KindRiskyUser:
		return sess, fmt.Errorf("%w: %w", ErrWeChatRiskyUser, err)
	case wechat.KindBadCredentials:
		return sess, fmt.Errorf("%w: %w", ErrWeChatMisconfigured, err)
	}
	return sess, fmt.Errorf("%w: %w", ErrWeChatUnavailable, err)
}

// MaxCodeLen bounds a wx.login code; WeChat's are 32 characters.
const MaxCodeLen = 128

// recordIdentity stores what WeChat said about the user: every checkBind does, bound or not.
func (s *Service) recordIdentity(ctx context.Context, sess wechat.Session) (models.WechatIdentity, error) {
	sealed := s.keys.seal(sess.SessionKey, sess.OpenID)
	return s.store.UpsertIdentity(ctx, s.AppID(), sess.OpenID, sess.UnionID, sealed, s.clock())
}

// SessionKey opens the newest session_key WeChat gave for the identity.
func (s *Service) SessionKey(ident models.WechatIdentity) (string, error) {
	if ident.SessionKeySealed == "" {
		return "", errors.New("no session_key stored for this identity")
	}
	return s.keys.unseal(ident.SessionKeySealed, ident.OpenID)
}
