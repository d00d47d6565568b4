// Package account holds the rules of login and binding: check-bind, bind, unbind, logout,
// tokens, bind tickets, accounts and a user's menus. The mini-program API and the console both
// call it; it knows nothing of HTTP.
package account

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
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
	// DataDir holds uploaded avatars under DataDir/avatars; empty turns uploads off.
	DataDir string
	// WatermarkWindow is how old WeChat's encrypted data may be; default DefaultWatermarkWindow.
	WatermarkWindow time.Duration
	// AvatarDecodes is how many avatar uploads may decode at once; default half the cores (one
	// to four). AvatarDecodeWait is how long another waits for one; default AvatarDecodeWait.
	AvatarDecodes    int
	AvatarDecodeWait time.Duration
	// InfoCacheSize is how many users' info views this instance keeps (see Service.Info);
	// default DefaultInfoCacheSize, negative for none.
	InfoCacheSize int
	// PublicURL is how clients reach this server (e.g. https://api.example.com); uploaded
	// avatars' URLs start with it. Empty: they are site-relative (/avatars/NAME).
	PublicURL string
	// AvatarHosts are the hosts (besides this server) an avatar URL may point at; nil means
	// DefaultAvatarHosts, empty none.
	AvatarHosts []string
	// ScanLoginPage is the mini-program page a scan login code opens; default
	// DefaultScanLoginPage. ScanLoginEnvVersion is the version it opens: release (default),
	// trial or develop.
	ScanLoginPage       string
	ScanLoginEnvVersion string
	// BreakGlassAdmin is the username of an admin who may still log in with a password when
	// the console requires scan login (so a lost phone or a WeChat outage locks nobody out).
	BreakGlassAdmin string
}

// Service applies the rules. Its only mutable state is the avatar decode slots, the cache of
// info views, which is checked against the database on every use, and the queue of checkBind
// writes waiting for their commit; every instance on one database agrees.
type Service struct {
	store     *models.Store
	wechat    wechat.API
	keys      keys
	tokenTTL  time.Duration
	ticketTTL time.Duration
	now       func() time.Time
	log       *slog.Logger
	cost      int
	avatarDir string // "" when uploads are off
	// watermarkWindow is how old an encrypted payload's watermark may be.
	watermarkWindow time.Duration
	infoViews       *infoViews    // checked against the database on every use
	logins          *loginBatches // checkBind's writes, committed together
	decodes         chan struct{} // a slot per avatar decode that may run at once
	decodeWait      time.Duration
	publicURL       string   // without a trailing slash
	avatarHosts     []string // lower case
	scanPage        string
	scanEnvVersion  string
	breakGlass      string
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
		cost: cfg.PasswordCost, watermarkWindow: cfg.WatermarkWindow,
		decodes:    make(chan struct{}, cmp.Or(max(cfg.AvatarDecodes, 0), defaultAvatarDecodes())),
		decodeWait: cmp.Or(max(cfg.AvatarDecodeWait, 0), AvatarDecodeWait),
		scanPage:   cmp.Or(cfg.ScanLoginPage, DefaultScanLoginPage), scanEnvVersion: cfg.ScanLoginEnvVersion,
		breakGlass: cfg.BreakGlassAdmin,
	}
	switch cfg.ScanLoginEnvVersion {
	case "", "release", "trial", "develop":
	default:
		return nil, fmt.Errorf("account: scan login env version %q is not release, trial or develop", cfg.ScanLoginEnvVersion)
	}
	if s.publicURL = strings.TrimRight(cfg.PublicURL, "/"); s.publicURL != "" {
		if u, err := url.Parse(s.publicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("account: PublicURL %q is not an http(s) URL", cfg.PublicURL)
		}
	}
	if cfg.AvatarHosts == nil {
		cfg.AvatarHosts = strings.Split(DefaultAvatarHosts, ",")
	}
	for _, h := range cfg.AvatarHosts {
		s.avatarHosts = append(s.avatarHosts, strings.ToLower(h))
	}
	if cfg.DataDir != "" {
		dir, err := prepareAvatarDir(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		s.avatarDir = dir
	}
	if s.watermarkWindow <= 0 {
		s.watermarkWindow = DefaultWatermarkWindow
	}
	if cfg.InfoCacheSize == 0 {
		cfg.InfoCacheSize = DefaultInfoCacheSize
	}
	s.infoViews = newInfoViews(cfg.InfoCacheSize)
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
	s.logins = &loginBatches{store: s.store, appID: s.AppID(), clock: s.clock, tokenTTL: s.tokenTTL, timeout: loginBatchTimeout}
	s.dummyHash = sync.OnceValue(func() []byte {
		h, _ := bcrypt.GenerateFromPassword([]byte("wxbind timing equaliser"), s.cost)
		return h
	})
	return s, nil
}

// Ping checks that the database answers.
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

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
	if err != nil {
		return sess, wechatError(err, ErrWeChatCodeRejected)
	}
	return sess, nil
}

// MaxCodeLen bounds a wx.login code; WeChat's are 32 characters.
const MaxCodeLen = 128

// wechatError turns a WeChat failure into the rules' one WeChat error family; codeErr is what a
// rejected code means for the call (a login code, a phone code…). The cause stays wrapped, for
// the log only.
func wechatError(err error, codeErr error) error {
	kindErr := ErrWeChatUnavailable // no answer, or one that could not be read
	switch wechat.KindOf(err) {
	case wechat.KindInvalidCode:
		kindErr = codeErr
	case wechat.KindRateLimited:
		kindErr = ErrWeChatRateLimited
	case wechat.KindRiskyUser:
		kindErr = ErrWeChatRiskyUser
	case wechat.KindBadCredentials, wechat.KindAccessToken:
		kindErr = ErrWeChatMisconfigured
	case wechat.KindBusy:
	default:
		var we *wechat.Error
		if errors.As(err, &we) {
			kindErr = ErrWeChatRefused // an errcode we have no meaning for
		}
	}
	return fmt.Errorf("%w: %w", kindErr, err)
}
