// Package console serves the admin console's pages: each handler loads what its page shows,
// calls the account rules for changes, and redirects after a POST. Who may do what is checked
// here on the server, by RequireLogin and RequireAdmin, never by hiding buttons. Every word a
// person reads comes from the i18n catalog (keys console.*), in the language of the session's
// choice, else the browser's Accept-Language, else DEFAULT_LANG.
package console

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/alexedwards/scs/v2"
	"github.com/gin-gonic/gin"

	"wxbind/account"
	"wxbind/i18n"
	"wxbind/templates"
	"wxbind/web/requestinfo"
)

// Session keys.
const (
	sessionAccountID = "account_id"
	sessionStamp     = "credential_stamp"
	sessionFlash     = "flash"
	sessionFlashKind = "flash_kind"
	sessionLang      = "lang"
	sessionTheme     = "theme" // light or dark; absent follows the system
	sessionSeen      = "seen"  // the last request, refreshed at most once a minute
)

// Gin context key of the logged-in console user.
const userKey = "console_user"

// IdleTimeout ends a console session after this long without a request. The session manager's
// own idle timeout would write the session back on every page view; RequireLogin keeps a "seen"
// time instead and writes it at most once a minute.
const IdleTimeout = 2 * time.Hour

// seenRefresh is how stale the "seen" time may get before a request writes it again.
const seenRefresh = time.Minute

// DefaultZone is where the console's times are shown when Config.Zone is nil.
const DefaultZone = "Asia/Shanghai"

// Config is what the console speaks and shows its times in.
type Config struct {
	Catalog *i18n.Catalog  // nil: the built-in catalog with zh-CN as the default
	Zone    *time.Location // nil: DefaultZone
	// IdleTimeout ends a session after this long without a request; default IdleTimeout.
	IdleTimeout time.Duration
	// SecureCookies marks the scan login cookie Secure (it is anyway on a TLS request).
	SecureCookies bool
	// Sandbox says WeChat is simulated: the scan tab points at the browser simulator.
	Sandbox bool
}

// Handler serves the console.
type Handler struct {
	accounts *account.Service
	sessions *scs.SessionManager
	dash     *dashboardCache
	cat      *i18n.Catalog
	zone     *time.Location
	idle     time.Duration
	secure   bool
	sandbox  bool
}

// New builds the console over the rules, the session manager and its catalog and time zone.
func New(accounts *account.Service, sessions *scs.SessionManager, cfg Config) (*Handler, error) {
	if cfg.Catalog == nil {
		cat, err := i18n.New(i18n.Chinese.String())
		if err != nil {
			return nil, err
		}
		cfg.Catalog = cat
	}
	if cfg.Zone == nil {
		zone, err := time.LoadLocation(DefaultZone)
		if err != nil {
			return nil, err
		}
		cfg.Zone = zone
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = IdleTimeout
	}
	return &Handler{accounts: accounts, sessions: sessions, dash: &dashboardCache{}, cat: cfg.Catalog, zone: cfg.Zone, idle: cfg.IdleTimeout,
		secure: cfg.SecureCookies, sandbox: cfg.Sandbox}, nil
}

// Language picks each console request's language — the one chosen with the layout's switch and
// kept in the session, else Accept-Language, else DEFAULT_LANG — for everything it shows,
// refusals by earlier middleware included. Use it first in the console's group.
func (h *Handler) Language() gin.HandlerFunc {
	return func(c *gin.Context) {
		h.tr(c)
		c.Next()
	}
}

// SetLanguage keeps the language chosen with the layout's switch (field lang) in the session
// and goes back to the page it was chosen on (field next).
func (h *Handler) SetLanguage(c *gin.Context) {
	for _, tag := range i18n.Supported {
		if c.PostForm("lang") == tag.String() {
			h.sessions.Put(c.Request.Context(), sessionLang, tag.String())
		}
	}
	next := c.PostForm("next")
	if (next == "/admin/login" || strings.HasPrefix(next, "/admin/login?")) && consolePath(next) {
		c.Redirect(http.StatusSeeOther, next) // the login form checks its own next= again
		return
	}
	c.Redirect(http.StatusSeeOther, safeNext(next))
}

// SetTheme keeps the colour scheme chosen with the layout's switch (field theme: light, dark or
// auto) in the session and goes back to the page it was chosen on (field next).
func (h *Handler) SetTheme(c *gin.Context) {
	ctx := c.Request.Context()
	switch theme := c.PostForm("theme"); theme {
	case "light", "dark":
		h.sessions.Put(ctx, sessionTheme, theme)
	case "auto":
		h.sessions.Remove(ctx, sessionTheme)
	}
	next := c.PostForm("next")
	if (next == "/admin/login" || strings.HasPrefix(next, "/admin/login?")) && consolePath(next) {
		c.Redirect(http.StatusSeeOther, next)
		return
	}
	c.Redirect(http.StatusSeeOther, safeNext(next))
}

// tr is the request's catalog, in the language Language picked.
func (h *Handler) tr(c *gin.Context) i18n.Translator {
	if _, ok := c.Get(i18n.ContextKey); !ok {
		c.Set(i18n.ContextKey, h.cat.In(h.cat.ForConsole(c.Request, h.sessions.GetString(c.Request.Context(), sessionLang))))
	}
	return i18n.FromContext(c)
}

// locale is how the request's pages speak: its language and the console's time zone.
func (h *Handler) locale(c *gin.Context) templates.Locale {
	return templates.Locale{Tr: h.tr(c), Zone: h.zone}
}

// RequireLogin lets a request through only with a live console session of an active staff
// member or admin. Anyone else is sent to the login page; a session whose account was
// disabled or whose password changed is ended.
func (h *Handler) RequireLogin() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		id, _ := h.sessions.Get(ctx, sessionAccountID).(uint64)
		if id == 0 {
			h.toLogin(c)
			return
		}
		seen := h.sessions.GetInt64(ctx, sessionSeen) // Unix milliseconds: the session codec takes basic types
		idle := time.Since(time.UnixMilli(seen))
		if seen == 0 || idle > h.idle {
			h.endSessionSaying(ctx, "console.login.ended_idle")
			h.toLogin(c)
			return
		}
		if idle > min(seenRefresh, h.idle/2) { // a short idle timeout must still be kept alive by use
			h.sessions.Put(ctx, sessionSeen, time.Now().UnixMilli())
		}
		acct, err := h.accounts.ConsoleAccount(ctx, id, h.sessions.GetString(ctx, sessionStamp))
		switch {
		case errors.Is(err, account.ErrUnauthenticated):
			h.endSessionSaying(ctx, "console.login.ended_credentials")
			h.toLogin(c)
			return
		case errors.Is(err, account.ErrNoConsoleAccess):
			tr := h.tr(c)
			h.forbidden(c, tr.Tf("console.forbidden.role", map[string]any{"Role": tr.T("console.role." + acct.Role)}))
			return
		case err != nil:
			h.fail(c, err)
			return
		}
		c.Set(userKey, templates.ConsoleUser{ID: acct.ID, Username: acct.Username, Role: acct.Role, IsAdmin: acct.Role == account.RoleAdmin,
			MustChangePassword: acct.MustChangePassword})
		requestinfo.SetUser(c, acct.ID, acct.Username) // for the access log and the audit log
		// A generated password was shown once, maybe to others: nothing else until it is replaced.
		if acct.MustChangePassword && c.Request.URL.Path != PasswordPath && c.Request.URL.Path != "/admin/logout" {
			c.Redirect(http.StatusSeeOther, PasswordPath)
			c.Abort()
			return
		}
		c.Next()
	}
}

// ReadForm reads a POST's form before its handler does, so that a body over the size limit
// answers 413 with a page that says so (nothing is saved), instead of reaching the handler as an
// empty form. Use after the body limit and the cross-site check.
func (h *Handler) ReadForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.Method != http.MethodPost {
			c.Next()
			return
		}
		var tooBig *http.MaxBytesError
		err := c.Request.ParseForm() // ParseMultipartForm alone drops this error for other types
		if err == nil {
			err = c.Request.ParseMultipartForm(32 << 10)
		}
		if errors.As(err, &tooBig) {
			tr := h.tr(c)
			p := h.page(c, "console.too_large.title", "")
			h.render(c, http.StatusRequestEntityTooLarge, templates.MessagePage(p, templates.MessageView{
				Heading: tr.T("console.too_large.heading"), Msg: tr.Tf("console.too_large.text", map[string]any{"KB": tooBig.Limit >> 10}), BackURL: "/admin/",
			}))
			c.Abort()
			return
		}
		c.Next() // other malformed bodies are the handler's to refuse
	}
}

// RequireAdmin refuses everyone but admins with a 403 page that says why. Use after
// RequireLogin.
func (h *Handler) RequireAdmin() gin.HandlerFunc {
	return func(c *gin.Context) {
		if u, ok := currentUser(c); !ok || !u.IsAdmin {
			h.forbidden(c, h.tr(c).T("console.forbidden.admin_only"))
			return
		}
		c.Next()
	}
}

// endSession ends the console session but keeps the language and colour scheme the person chose.
func (h *Handler) endSession(ctx context.Context) error {
	lang, theme := h.sessions.GetString(ctx, sessionLang), h.sessions.GetString(ctx, sessionTheme)
	if err := h.sessions.Destroy(ctx); err != nil {
		return err
	}
	if lang != "" {
		h.sessions.Put(ctx, sessionLang, lang)
	}
	if theme != "" {
		h.sessions.Put(ctx, sessionTheme, theme)
	}
	return nil
}

// endSessionSaying ends a session the person did not end themselves and leaves the login page
// a notice (a catalog message) saying why.
func (h *Handler) endSessionSaying(ctx context.Context, whyKey string) {
	if h.endSession(ctx) != nil {
		return
	}
	h.sessions.Put(ctx, sessionFlash, whyKey)
	h.sessions.Put(ctx, sessionFlashKind, flashNoticeKey)
}

// flashNoticeKey marks a flash whose message is a catalog key, worded when it is shown (the
// language may be chosen on the login page in between).
const flashNoticeKey = "notice-key"

// toLogin redirects to the login page, remembering where a GET was going.
func (h *Handler) toLogin(c *gin.Context) {
	target := "/admin/login"
	if c.Request.Method == http.MethodGet && c.Request.URL.Path != "/admin/login" {
		target += "?next=" + url.QueryEscape(c.Request.URL.RequestURI())
	}
	c.Redirect(http.StatusSeeOther, target)
	c.Abort()
}

func currentUser(c *gin.Context) (templates.ConsoleUser, bool) {
	v, ok := c.Get(userKey)
	if !ok {
		return templates.ConsoleUser{}, false
	}
	u, ok := v.(templates.ConsoleUser)
	return u, ok
}

// page is the layout data of the current request, with the flash message popped. titleKey is
// the page title's catalog message.
func (h *Handler) page(c *gin.Context, titleKey, nav string) templates.Page {
	p := templates.Page{Nav: nav, Here: "/admin/", Theme: h.sessions.GetString(c.Request.Context(), sessionTheme)}
	if titleKey != "" {
		p.Title = h.tr(c).T(titleKey)
	}
	if c.Request.Method == http.MethodGet {
		p.Here = c.Request.URL.RequestURI()
	}
	if u, ok := currentUser(c); ok {
		p.User = &u
	}
	ctx := c.Request.Context()
	if msg := h.sessions.PopString(ctx, sessionFlash); msg != "" {
		p.Flash = templates.Flash{Kind: h.sessions.PopString(ctx, sessionFlashKind), Msg: msg}
		if p.Flash.Kind == flashNoticeKey {
			p.Flash = templates.Flash{Kind: "notice", Msg: h.tr(c).T(msg)}
		}
	}
	return p
}

// render writes a page in the request's language. Pages are never cached: they show personal
// data.
func (h *Handler) render(c *gin.Context, status int, page templ.Component) {
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Language", h.tr(c).Lang())
	// Rendered whole first: one write to the socket instead of one per few kilobytes, and a
	// template that fails halfway sends no half page.
	var buf bytes.Buffer
	buf.Grow(32 << 10)
	if err := page.Render(templates.WithLocale(c.Request.Context(), h.locale(c)), &buf); err != nil {
		_ = c.Error(err)
		c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte(h.tr(c).T("console.error.server")))
		c.Abort()
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// redirect ends a successful POST: a flash message (a catalog message filled with data) for the
// next page, then 303 to it.
func (h *Handler) redirect(c *gin.Context, to, flashKey string, data map[string]any) {
	if flashKey != "" {
		h.sessions.Put(c.Request.Context(), sessionFlash, h.tr(c).Tf(flashKey, data))
		h.sessions.Put(c.Request.Context(), sessionFlashKind, "ok")
	}
	c.Redirect(http.StatusSeeOther, to)
}

// redirectError ends a refused POST whose form need not be kept, with the reason shown.
func (h *Handler) redirectError(c *gin.Context, to string, err error) {
	h.sessions.Put(c.Request.Context(), sessionFlash, h.message(c, err))
	h.sessions.Put(c.Request.Context(), sessionFlashKind, "error")
	c.Redirect(http.StatusSeeOther, to)
}

// redirectAfter ends a POST whose form need not be kept once the rules have answered err: back
// to to with the flash flashKey on success, or with the reason on a refusal; a failure gets the
// error page.
func (h *Handler) redirectAfter(c *gin.Context, to string, err error, flashKey string, data map[string]any) {
	switch {
	case err == nil:
		h.redirect(c, to, flashKey, data)
	case refused(err):
		h.redirectError(c, to, err)
	default:
		h.fail(c, err)
	}
}

// forbidden answers 403 with a page that says why.
func (h *Handler) forbidden(c *gin.Context, why string) {
	p := h.page(c, "console.forbidden.title", "")
	h.render(c, http.StatusForbidden, templates.MessagePage(p, templates.MessageView{Heading: h.tr(c).T("console.forbidden.heading"), Msg: why, BackURL: "/admin/"}))
	c.Abort()
}

// notFound answers 404 with a page; whatKey is the catalog message saying what is missing.
func (h *Handler) notFound(c *gin.Context, whatKey string) {
	p := h.page(c, "console.not_found.title", "")
	tr := h.tr(c)
	h.render(c, http.StatusNotFound, templates.MessagePage(p, templates.MessageView{Heading: tr.T("console.not_found.heading"), Msg: tr.T(whatKey), BackURL: "/admin/users"}))
	c.Abort()
}

// NotFound is the console's page for a URL under /admin/ that does not exist.
func (h *Handler) NotFound(c *gin.Context) { h.notFound(c, "console.not_found.page") }

// fail answers an error the rules did not expect, such as a database outage; the cause goes
// to the access log, not to the page.
func (h *Handler) fail(c *gin.Context, err error) {
	_ = c.Error(err)
	status, msgKey := http.StatusInternalServerError, "console.error.server"
	if errors.Is(err, context.DeadlineExceeded) {
		status, msgKey = http.StatusServiceUnavailable, "console.error.timeout"
	}
	p := h.page(c, "console.error.title", "")
	tr := h.tr(c)
	h.render(c, status, templates.MessagePage(p, templates.MessageView{Heading: tr.T("console.error.heading"), Msg: tr.T(msgKey), BackURL: "/admin/"}))
	c.Abort()
}

// refusals are the rules' refusals a person can act on, with their catalog messages.
var refusals = []struct {
	err error
	key string
}{
	{account.ErrLastAdmin, "console.error.last_admin"},
	{account.ErrAccountNotFound, "console.error.account_not_found"},
	{account.ErrMenuNotFound, "console.error.menu_not_found"},
	{account.ErrMenuHasChildren, "console.error.menu_has_children"},
	{account.ErrMenuCodeTaken, "console.error.menu_code_taken"},
	{account.ErrMenuRoleNotFound, "console.error.menu_role_not_found"},
	{account.ErrMenuRoleNameTaken, "console.error.menu_role_name_taken"},
	{account.ErrNotBoundAccount, "console.error.not_bound_account"},
	{account.ErrNotBound, "console.error.not_bound"},
	{account.ErrLoginThrottled, "console.error.login_throttled"},
	{account.ErrNoConsoleAccess, "console.error.no_console_access"},
	{account.ErrWrongCredentials, "console.error.wrong_credentials"},
	{account.ErrAccountDisabled, "console.error.account_disabled"},
	{account.ErrUsernameTaken, "console.error.username_taken"},
	{account.ErrScanLoginRequired, "console.error.scan_login_required"},
	{account.ErrScanLoginExpired, "console.error.scan_login_expired"},
	{account.ErrScanLoginUsed, "console.error.scan_login_used"},
	{account.ErrScanLoginTaken, "console.error.scan_login_taken"},
	{account.ErrScanLoginNotScanned, "console.error.scan_login_not_scanned"},
	{account.ErrScanLoginNotFound, "console.error.scan_login_not_found"},
	{account.ErrScanLoginOtherBrowser, "console.error.scan_login_other_browser"},
	{account.ErrBreakGlassUnset, "console.error.break_glass_unset"},
	{account.ErrWrongPassword, "console.error.wrong_password"},
}

// refusalKey is the catalog message of a refusal, or "" for an error that is not one.
func refusalKey(err error) string {
	for _, r := range refusals {
		if errors.Is(err, r.err) {
			return r.key
		}
	}
	return ""
}

// message is what a person is told about a refused change, in the request's language. Input
// the rules refused is worded the way the mini-program words it, with the console's own
// messages (console.input.*) first.
func (h *Handler) message(c *gin.Context, err error) string {
	var in *account.InputError
	if errors.As(err, &in) {
		return h.tr(c).InputMessage(in.Key, in.Field, in.Data, "console.input.", "input.")
	}
	if key := refusalKey(err); key != "" {
		return h.tr(c).T(key)
	}
	return ""
}

// refused reports whether err is a refusal the person can act on, rather than a failure.
func refused(err error) bool {
	var in *account.InputError
	return errors.As(err, &in) || refusalKey(err) != ""
}

// pathID reads the positive id in the path's :id, answering 404 with the catalog message
// notFoundKey when there is none.
func (h *Handler) pathID(c *gin.Context, notFoundKey string) (uint64, bool) {
	id, err := strconv.ParseUint(c.Param("id"), 10, 64)
	if err != nil || id == 0 {
		h.notFound(c, notFoundKey)
		return 0, false
	}
	return id, true
}

// answeredFailure answers err when it is not a refusal the page can show again: 404 with
// notFoundKey when err is notFound, else the failure page. It reports whether it answered.
func (h *Handler) answeredFailure(c *gin.Context, err, notFound error, notFoundKey string) bool {
	switch {
	case errors.Is(err, notFound):
		h.notFound(c, notFoundKey)
	case !refused(err):
		h.fail(c, err)
	default:
		return false
	}
	return true
}

// ids reads the positive ids of a repeated form or query field, ignoring anything else.
func ids(values []string) []uint64 {
	var out []uint64
	for _, v := range values {
		if id, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64); err == nil && id > 0 {
			out = append(out, id)
		}
	}
	return out
}

// Forbidden answers 403 with a page saying why (the catalog message whyKey); the web layer's
// cross-origin check uses it.
func (h *Handler) Forbidden(c *gin.Context, whyKey string) { h.forbidden(c, h.tr(c).T(whyKey)) }
