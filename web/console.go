package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/alexedwards/scs/gormstore"
	"github.com/alexedwards/scs/v2"
	"github.com/gin-gonic/gin"

	"wxbind/handlers/console"
	"wxbind/static"
)

// ConsoleSessionLifetime ends a console session in any case; console.IdleTimeout ends it
// sooner without requests.
const (
	ConsoleSessionLifetime = 12 * time.Hour
	consoleCookieName      = "wxbind_console"
)

// newSessionManager keeps console sessions in the database's sessions table (migration
// 00002), so every server instance shares them. Expired rows are deleted by the server's
// hourly prune, not by a goroutine per handler.
func newSessionManager(d Deps) (*scs.SessionManager, error) {
	store, err := gormstore.NewWithCleanupInterval(d.DB, 0)
	if err != nil {
		return nil, fmt.Errorf("console session store: %w", err)
	}
	sm := scs.New()
	sm.Store = store
	sm.HashTokenInStore = true // a read of the sessions table yields no usable cookie
	sm.Lifetime = ConsoleSessionLifetime
	sm.Cookie.Name = consoleCookieName
	sm.Cookie.Path = "/admin"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = d.SecureCookies
	sm.Cookie.Persist = false
	sm.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		d.Logger.Error("console session store failed", "path", r.URL.Path, "error", err)
		tr := d.Catalog.In(d.Catalog.ForConsole(r, "")) // no session to hold a choice
		http.Error(w, tr.T("console.error.session_store"), http.StatusServiceUnavailable)
	}
	return sm, nil
}

// withConsoleSessions loads and saves the console session around every /admin request. A
// request that arrived over TLS gets its session cookie marked Secure even when
// Deps.SecureCookies is off (set that behind a TLS-terminating proxy).
func withConsoleSessions(sm *scs.SessionManager, next http.Handler) http.Handler {
	withSession := sm.LoadAndSave(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/admin" && !strings.HasPrefix(r.URL.Path, "/admin/") {
			next.ServeHTTP(w, r)
			return
		}
		if r.TLS != nil && !sm.Cookie.Secure {
			sw := &secureCookieWriter{ResponseWriter: w}
			withSession.ServeHTTP(sw, r)
			sw.secure() // in case nothing was written
			return
		}
		withSession.ServeHTTP(w, r)
	})
}

// secureCookieWriter adds Secure to the console cookie before the headers go out.
type secureCookieWriter struct {
	http.ResponseWriter
	done bool
}

func (w *secureCookieWriter) secure() {
	if w.done {
		return
	}
	w.done = true
	cookies := w.Header()["Set-Cookie"]
	for i, c := range cookies {
		if strings.HasPrefix(c, consoleCookieName+"=") && !strings.Contains(c, "; Secure") {
			cookies[i] = c + "; Secure"
		}
	}
}

func (w *secureCookieWriter) WriteHeader(code int) {
	w.secure()
	w.ResponseWriter.WriteHeader(code)
}

func (w *secureCookieWriter) Write(b []byte) (int, error) {
	w.secure()
	return w.ResponseWriter.Write(b)
}

func (w *secureCookieWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// sameOrigin refuses a state-changing request that a browser says came from another site
// (Sec-Fetch-Site, else Origin against Host), with a 403 page that says why. Behind a reverse
// proxy the proxy must forward the Host header, or the console's origin must be listed in
// Deps.TrustedOrigins.
func sameOrigin(trusted []string, con *console.Handler) (gin.HandlerFunc, error) {
	cop := http.NewCrossOriginProtection()
	for _, o := range trusted {
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("trusted origin %q: %w", o, err)
		}
	}
	return func(c *gin.Context) {
		if err := cop.Check(c.Request); err != nil {
			con.Forbidden(c, "console.forbidden.cross_site")
			return
		}
		c.Next()
	}, nil
}

// consoleOrPlainNotFound answers an unknown URL under /admin/ with the console's 404 page, in
// the reader's language, and any other with the plain answer.
func consoleOrPlainNotFound(con *console.Handler, headers gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !strings.HasPrefix(c.Request.URL.Path, "/admin/") {
			notFound(c)
			return
		}
		headers(c)
		con.NotFound(c)
	}
}

// serveStatic serves the console's vendored files under their content hash, cacheable for a
// year; a stale hash is a 404 so that no old URL serves new content.
func serveStatic(c *gin.Context) {
	name := strings.TrimPrefix(c.Param("file"), "/")
	b, ok := static.Lookup(c.Param("hash"), name)
	if !ok {
		c.String(http.StatusNotFound, "404 page not found")
		return
	}
	c.Header("Cache-Control", "public, max-age=31536000, immutable")
	c.Header("X-Content-Type-Options", "nosniff")
	ct := "application/octet-stream"
	switch {
	case strings.HasSuffix(name, ".css"):
		ct = "text/css; charset=utf-8"
	case strings.HasSuffix(name, ".js"):
		ct = "text/javascript; charset=utf-8"
	case strings.HasSuffix(name, ".svg"):
		ct = "image/svg+xml"
	}
	c.Data(http.StatusOK, ct, b)
}

// favicon answers browsers that ask /favicon.ico whatever the page links: the console's icon
// (an SVG, which browsers take at this address too).
func favicon(c *gin.Context) {
	b, _ := static.Lookup(static.Hash("favicon.svg"), "favicon.svg")
	c.Header("Cache-Control", "public, max-age=86400")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, "image/svg+xml", b)
}
