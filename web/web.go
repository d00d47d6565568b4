// Package web is the HTTP wiring: the Gin engine, the routes, the middleware and the server's
// start and graceful stop. Handlers live in handlers/; rules in account/.
package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"wxbind/account"
	"wxbind/i18n"
)

// Deps are the values the web layer is built from; cmd/server and tests fill them.
type Deps struct {
	Accounts       *account.Service
	DB             *gorm.DB // holds the console's sessions
	Logger         *slog.Logger
	TrustedProxies []string      // CIDRs or IPs whose X-Forwarded-For is believed; default none
	MaxBodyBytes   int64         // mobile JSON bodies; default 64 KiB
	RequestTimeout time.Duration // bounds each mobile request's database and WeChat calls; default 10s
	Sandbox        bool          // WeChat is simulated: serve the browser simulator at /dev/simulator
	SecureCookies  bool          // console cookies only over HTTPS; set when the console is served over HTTPS
	TrustedOrigins []string      // origins besides the request's own Host allowed to post console forms
	RateLimits     *RateLimits   // per client address; nil means DefaultRateLimits
	SharedLimits   *SharedLimits // counts RateLimits in Redis for every instance; nil: per instance
	Metrics        *Metrics      // nil: counted on a registry nobody serves
	Catalog        *i18n.Catalog // messages people read; nil: the built-in catalog, zh-CN first

	// ConsoleZone is where the console shows times (CONSOLE_TZ); nil: Asia/Shanghai.
	ConsoleZone *time.Location
	// ConsoleIdleTimeout ends a console session without requests; 0: console.IdleTimeout.
	ConsoleIdleTimeout time.Duration
}

type site struct {
	engine   *gin.Engine
	deps     Deps
	sessions *scs.SessionManager // console sessions
	limits   RateLimits
}

// Handler is the whole HTTP handler.
type Handler struct {
	http.Handler
	engine *gin.Engine
}

// Routes lists every route served, so that a test can insist each one is covered.
func (h *Handler) Routes() gin.RoutesInfo { return h.engine.Routes() }

// NewHandler builds the whole HTTP handler.
func NewHandler(d Deps) (*Handler, error) {
	if d.Accounts == nil || d.DB == nil {
		return nil, errors.New("web: Accounts and DB are required")
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.MaxBodyBytes <= 0 {
		d.MaxBodyBytes = 64 << 10
	}
	if d.RequestTimeout <= 0 {
		d.RequestTimeout = 10 * time.Second
	}
	e := gin.New()
	// Gin trusts every proxy by default, which would let anyone pick their own client IP with a
	// made-up X-Forwarded-For.
	if err := e.SetTrustedProxies(d.TrustedProxies); err != nil {
		return nil, err
	}
	e.ContextWithFallback = true
	e.HandleMethodNotAllowed = true
	if d.Metrics == nil {
		d.Metrics = NewMetrics()
	}
	if d.Catalog == nil {
		cat, err := i18n.New("zh-CN")
		if err != nil {
			return nil, err
		}
		d.Catalog = cat
	}
	if d.SharedLimits != nil {
		d.Metrics.watchSharedLimits(d.SharedLimits)
	}
	e.Use(requestID(), accessLog(d.Logger), d.Metrics.middleware(), mobileLanguage(d.Catalog), recovery(d.Logger))
	e.NoRoute(notFound)
	e.NoMethod(methodNotAllowed)
	sessions, err := newSessionManager(d)
	if err != nil {
		return nil, err
	}
	limits := DefaultRateLimits
	if d.RateLimits != nil {
		limits = *d.RateLimits
	}
	s := &site{engine: e, deps: d, sessions: sessions, limits: limits}
	if err := s.routes(); err != nil {
		return nil, err
	}
	return &Handler{Handler: withConsoleSessions(sessions, e), engine: e}, nil
}

func (s *site) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz answers 200 only while the database answers. It also tells how the rate limits are
// counted: an unreachable Redis does not make the instance unready, since it serves on with
// limits of its own.
func (s *site) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	limits := gin.H{"counted": "per-instance"}
	if sl := s.deps.SharedLimits; sl != nil {
		sl.Check(ctx)
		st := sl.State()
		if st.Shared {
			limits = gin.H{"counted": "redis"}
		} else {
			limits = gin.H{"counted": "per-instance", "redis": "unreachable since " + st.DownSince.UTC().Format(time.RFC3339)}
		}
	}
	if err := s.deps.Accounts.Ping(ctx); err != nil {
		_ = c.Error(err)
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "database unreachable", "rateLimits": limits})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "rateLimits": limits})
}

func isMobile(c *gin.Context) bool {
	return strings.HasPrefix(c.Request.URL.Path, "/mobileApi/")
}

func notFound(c *gin.Context) {
	if isMobile(c) {
		c.JSON(http.StatusNotFound, gin.H{"code": 0, "msg": i18n.FromContext(c).T("mobile.not_found"), "reason": "not_found"})
		return
	}
	c.String(http.StatusNotFound, "404 page not found")
}

func methodNotAllowed(c *gin.Context) {
	if isMobile(c) {
		c.JSON(http.StatusMethodNotAllowed, gin.H{"code": 0, "msg": i18n.FromContext(c).T("mobile.method_not_allowed"), "reason": "method_not_allowed"})
		return
	}
	c.String(http.StatusMethodNotAllowed, "405 method not allowed")
}
