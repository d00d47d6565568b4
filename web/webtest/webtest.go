// Package webtest starts the whole server for end-to-end tests: the real router, rules and
// database (SQLite or a throwaway MariaDB database), with a fake WeChat over HTTP, so a test
// reads like the mini-program's own steps.
package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/crypto/bcrypt"

	"wxbind/account"
	"wxbind/models"
	"wxbind/models/modelstest"
	"wxbind/web"
	"wxbind/wechat"
	"wxbind/wechat/wechattest"
)

// SecretKey is the SECRET_KEY test servers run with.
const SecretKey = "test-secret-key-0123456789abcdef0123456789"

// App is a running server.
type App struct {
	URL      string
	Server   *httptest.Server
	DB       modelstest.DB
	Store    *models.Store
	Accounts *account.Service
	WeChat   *wechattest.Fake
	Logs     *SyncBuffer    // everything the server logged, for tests that scan it
	Routes   gin.RoutesInfo // every route the server serves, for tests that must cover them all
	Client   *http.Client

	// DataDir is the server's DATA_DIR.
	DataDir string
}

// Options change how the app is built.
type Options struct {
	Driver        string        // default sqlite
	WeChatTimeout time.Duration // default 2s, so stall tests stay short
	TokenTTL      time.Duration
	TicketTTL     time.Duration
	Now           func() time.Time
	WeChat        wechat.API // default: a real client against the fake
	DB            *modelstest.DB
	Sandbox       bool // WeChat is the built-in sandbox (codes "sandbox:NAME") and the simulator is on
	// RateLimits per client address; nil turns them off, since every test request comes from
	// 127.0.0.1. Tests of the limits set them.
	RateLimits *web.RateLimits
	// SharedLimits counts RateLimits in Redis, shared with every app given one on the same Redis.
	SharedLimits *web.SharedLimits
	// TrustedProxies whose X-Forwarded-For is believed; default none.
	TrustedProxies []string
	// Metrics, when set, counts the server's requests there.
	Metrics *web.Metrics

	// WatermarkWindow is how old encrypted data may be; default account.DefaultWatermarkWindow.
	WatermarkWindow time.Duration
	// AvatarDecodes and AvatarDecodeWait bound avatar decodes; default as in production.
	AvatarDecodes    int
	AvatarDecodeWait time.Duration
	// RequestTimeout bounds each request's work; default as in production (10 s).
	RequestTimeout time.Duration
	// PublicURL starts uploaded avatars' URLs; default the test server's own URL. AvatarHosts
	// are the other hosts avatar URLs may point at; nil: account.DefaultAvatarHosts.
	PublicURL   string
	AvatarHosts []string

	// ConsoleZone is where the console shows times; default Asia/Shanghai, as in production.
	ConsoleZone *time.Location
	// ConsoleIdleTimeout ends console sessions sooner, for tests of it.
	ConsoleIdleTimeout time.Duration
	// BreakGlassAdmin may log in with a password while scan login is required.
	BreakGlassAdmin string
}

func (o Options) rateLimits() *web.RateLimits {
	if o.RateLimits == nil {
		return &web.RateLimits{}
	}
	return o.RateLimits
}

// Start runs the app until t ends.
func Start(t testing.TB, opt Options) *App {
	t.Helper()
	if opt.Driver == "" {
		opt.Driver = models.DriverSQLite
	}
	if opt.WeChatTimeout == 0 {
		opt.WeChatTimeout = 2 * time.Second
	}
	var db modelstest.DB
	if opt.DB != nil {
		db = *opt.DB
	} else {
		db = modelstest.Open(t, opt.Driver)
	}
	fake := wechattest.Start(t)
	wx := opt.WeChat
	if opt.Sandbox && wx == nil {
		wx = wechat.Sandbox{}
	}
	if wx == nil {
		// The access_token is shared through the database, as between real instances.
		cache, err := account.NewAccessTokenCache(models.NewStore(db.Gorm), SecretKey)
		if err != nil {
			t.Fatal(err)
		}
		wx = fake.ClientWithCache(t, opt.WeChatTimeout, cache)
	}
	logs := &SyncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	store := models.NewStore(db.Gorm)
	dataDir := filepath.Join(t.TempDir(), "data")
	srv := httptest.NewUnstartedServer(nil) // listening already: its URL is the public URL
	if opt.PublicURL == "" {
		opt.PublicURL = "http://" + srv.Listener.Addr().String()
	}
	accounts, err := account.New(account.Config{
		Store: store, WeChat: wx, SecretKey: SecretKey, Logger: log,
		TokenTTL: opt.TokenTTL, TicketTTL: opt.TicketTTL, Now: opt.Now,
		PasswordCost: bcrypt.MinCost, DataDir: dataDir, WatermarkWindow: opt.WatermarkWindow,
		AvatarDecodes: opt.AvatarDecodes, AvatarDecodeWait: opt.AvatarDecodeWait,
		PublicURL: opt.PublicURL, AvatarHosts: opt.AvatarHosts, BreakGlassAdmin: opt.BreakGlassAdmin,
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := web.NewHandler(web.Deps{Accounts: accounts, DB: db.Gorm, Logger: log, Sandbox: opt.Sandbox, RateLimits: opt.rateLimits(), SharedLimits: opt.SharedLimits, TrustedProxies: opt.TrustedProxies, Metrics: opt.Metrics,
		ConsoleZone: opt.ConsoleZone, ConsoleIdleTimeout: opt.ConsoleIdleTimeout, RequestTimeout: opt.RequestTimeout})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)
	return &App{
		DataDir: dataDir, URL: srv.URL, Server: srv, DB: db, Store: store, Accounts: accounts, WeChat: fake, Logs: logs, Routes: h.Routes(),
		Client: &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
}

// CreateAccount makes an account through the same rule `server user add` uses.
func (a *App) CreateAccount(t testing.TB, username, password, role string) account.Account {
	t.Helper()
	acct, err := a.Accounts.CreateAccount(context.Background(), account.NewAccount{Username: username, Password: password, Name: "Name of " + username, Role: role})
	if err != nil {
		t.Fatalf("creating account %s: %v", username, err)
	}
	return acct
}

// Response is a decoded JSON answer.
type Response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

// Code is the body's business code.
func (r Response) Code() int {
	n, _ := r.Body["code"].(float64)
	return int(n)
}

// String is the body field key as a string.
func (r Response) String(key string) string {
	s, _ := r.Body[key].(string)
	return s
}

// Do sends a request; body, when not nil and not a string, is sent as JSON. headers are
// name, value pairs.
func (a *App) Do(t testing.TB, method, path string, body any, headers ...string) Response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, a.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := a.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := Response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &r.Body); err != nil {
			t.Fatalf("%s %s: body is not JSON: %v\n%s", method, path, err, raw)
		}
	}
	return r
}

// CheckBind calls checkBind with a code.
func (a *App) CheckBind(t testing.TB, code string) Response {
	t.Helper()
	return a.Do(t, http.MethodGet, "/mobileApi/user/checkBind?code="+code, nil)
}

// BindNew takes the WeChat user name through checkBind (301) and binds it to username,
// returning the login token. It fails the test on any other outcome.
func (a *App) BindNew(t testing.TB, name, username, password string) string {
	t.Helper()
	r := a.CheckBind(t, wechattest.Code(name))
	if r.Code() != 301 {
		t.Fatalf("checkBind for %s: want 301, got %d %s", name, r.Status, r.Raw)
	}
	b := a.Do(t, http.MethodPost, "/mobileApi/user/bind", map[string]any{
		"bindTicket": r.String("bindTicket"), "openId": r.String("openId"), "username": username, "password": password,
	})
	if b.Status != 200 || b.Code() != 1 || b.String("token") == "" {
		t.Fatalf("bind %s to %s: %d %s", name, username, b.Status, b.Raw)
	}
	return b.String("token")
}

// Authed sends a request with "Authorization: Bearer token".
func (a *App) Authed(t testing.TB, method, path, token string, body any) Response {
	t.Helper()
	return a.Do(t, method, path, body, "Authorization", "Bearer "+token)
}

// SyncBuffer is a bytes.Buffer safe for a logger and a test to share.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String is everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
