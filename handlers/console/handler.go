// Package console serves the admin console's pages: each handler loads what its page shows,
// calls the account rules for changes, and redirects after a POST. Who may do what is checked
// here on the server, by RequireLogin and RequireAdmin, never by hiding buttons.
package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/alexedwards/scs/v2"
	"github.com/gin-gonic/gin"

	"wxbind/account"
	"wxbind/models"
	"wxbind/templates"
)

// Session keys.
const (
	sessionAccountID = "account_id"
	sessionStamp     = "credential_stamp"
	sessionFlash     = "flash"
	sessionFlashKind = "flash_kind"
)

// Gin context key of the logged-in console user.
const userKey = "console.user"

// pageSize is how many rows a list shows.
const pageSize = 50

// Handler serves the console.
type Handler struct {
	accounts *account.Service
	store    *models.Store
	sessions *scs.SessionManager
	dash     *dashboardCache
}

// New builds the console over the rules, read-only list queries and the session manager.
func New(accounts *account.Service, store *models.Store, sessions *scs.SessionManager) *Handler {
	return &Handler{accounts: accounts, store: store, sessions: sessions, dash: &dashboardCache{}}
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
		acct, err := h.accounts.ConsoleAccount(ctx, id, h.sessions.GetString(ctx, sessionStamp))
		switch {
		case errors.Is(err, account.ErrUnauthenticated):
			_ = h.sessions.Destroy(ctx)
			h.toLogin(c)
			return
		case errors.Is(err, account.ErrNoConsoleAccess):
			h.forbidden(c, "Your account's role is "+acct.Role+"; the console is for staff and admins.")
			return
		case err != nil:
			h.fail(c, err)
			return
		}
		c.Set(userKey, templates.ConsoleUser{ID: acct.ID, Username: acct.Username, Role: acct.Role, IsAdmin: acct.Role == models.RoleAdmin})
		c.Set("user_id", acct.ID)
		c.Next()
	}
}

// RequireAdmin refuses everyone but admins with a 403 page that says why. Use after
// RequireLogin.
func (h *Handler) RequireAdmin() gin.HandlerFunc {
	return func(c *gin.Context) {
		if u, ok := currentUser(c); !ok || !u.IsAdmin {
			h.forbidden(c, "Only admins may manage accounts, menus and menu assignments; staff may view users and unbind them.")
			return
		}
		c.Next()
	}
}

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

// page is the layout data of the current request, with the flash message popped.
func (h *Handler) page(c *gin.Context, title, nav string) templates.Page {
	p := templates.Page{Title: title, Nav: nav}
	if u, ok := currentUser(c); ok {
		p.User = &u
	}
	ctx := c.Request.Context()
	if msg := h.sessions.PopString(ctx, sessionFlash); msg != "" {
		p.Flash = templates.Flash{Kind: h.sessions.PopString(ctx, sessionFlashKind), Msg: msg}
	}
	return p
}

// actor is who does what from where, for the audit log.
func actor(c *gin.Context) account.Actor {
	a := account.Actor{IP: c.ClientIP()}
	if u, ok := currentUser(c); ok {
		id := u.ID
		a.AccountID, a.Name = &id, u.Username
	}
	return a
}

// render writes a page. Pages are never cached: they show personal data.
func render(c *gin.Context, status int, page templ.Component) {
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	c.Status(status)
	if err := page.Render(c.Request.Context(), c.Writer); err != nil {
		_ = c.Error(err)
	}
}

// redirect ends a successful POST: a flash message for the next page, then 303 to it.
func (h *Handler) redirect(c *gin.Context, to, flash string) {
	if flash != "" {
		h.sessions.Put(c.Request.Context(), sessionFlash, flash)
		h.sessions.Put(c.Request.Context(), sessionFlashKind, "ok")
	}
	c.Redirect(http.StatusSeeOther, to)
}

// redirectError ends a refused POST whose form need not be kept, with the reason shown.
func (h *Handler) redirectError(c *gin.Context, to string, err error) {
	h.sessions.Put(c.Request.Context(), sessionFlash, message(err))
	h.sessions.Put(c.Request.Context(), sessionFlashKind, "error")
	c.Redirect(http.StatusSeeOther, to)
}

// forbidden answers 403 with a page that says why.
func (h *Handler) forbidden(c *gin.Context, why string) {
	p := h.page(c, "Forbidden", "")
	p.Status = http.StatusForbidden
	render(c, http.StatusForbidden, templates.MessagePage(p, templates.MessageView{Heading: "Not allowed", Msg: why, BackURL: "/admin/"}))
	c.Abort()
}

// notFound answers 404 with a page.
func (h *Handler) notFound(c *gin.Context, what string) {
	p := h.page(c, "Not found", "")
	render(c, http.StatusNotFound, templates.MessagePage(p, templates.MessageView{Heading: "Not found", Msg: what, BackURL: "/admin/users"}))
	c.Abort()
}

// fail answers an error the rules did not expect, such as a database outage; the cause goes
// to the access log, not to the page.
func (h *Handler) fail(c *gin.Context, err error) {
	_ = c.Error(err)
	status := http.StatusInternalServerError
	msg := "Something went wrong on the server. Your change was not saved; please try again."
	if errors.Is(err, context.DeadlineExceeded) {
		status, msg = http.StatusServiceUnavailable, "The database took too long to answer. Please try again."
	}
	p := h.page(c, "Error", "")
	render(c, status, templates.MessagePage(p, templates.MessageView{Heading: "Server error", Msg: msg, BackURL: "/admin/"}))
	c.Abort()
}

// message is what a person is told about a refused change.
func message(err error) string {
	var in *account.InputError
	if errors.As(err, &in) {
		return in.Msg
	}
	for _, known := range []error{
		account.ErrLastAdmin, account.ErrAccountNotFound, account.ErrMenuNotFound, account.ErrMenuHasChildren,
		account.ErrMenuCodeTaken, account.ErrNotBoundAccount, account.ErrNotBound, account.ErrLoginThrottled,
		account.ErrNoConsoleAccess, account.ErrWrongCredentials, account.ErrAccountDisabled,
	} {
		if errors.Is(err, known) {
			s := known.Error()
			return strings.ToUpper(s[:1]) + s[1:] + "."
		}
	}
	if errors.Is(err, account.ErrUsernameTaken) {
		return "This username is already taken."
	}
	return ""
}

// refused reports whether err is a refusal the person can act on, rather than a failure.
func refused(err error) bool { return message(err) != "" }

// idParam reads a positive id from the path.
func idParam(c *gin.Context, name string) (uint64, bool) {
	id, err := strconv.ParseUint(c.Param(name), 10, 64)
	return id, err == nil && id > 0
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

// cursor reads the keyset cursor of a list page from page=: the last id the previous page
// showed, as the Next link carries it. A cursor, not a page number, so that page 20,000 costs
// what page 1 does.
func cursor(c *gin.Context) uint64 {
	id, _ := strconv.ParseUint(c.Query("page"), 10, 64)
	return id
}

// nextURL is the list's next page, or "" when this page was the last one.
func nextURL(c *gin.Context, got int, lastID uint64) string {
	if got < pageSize {
		return ""
	}
	q := c.Request.URL.Query()
	q.Set("page", strconv.FormatUint(lastID, 10))
	return c.Request.URL.Path + "?" + q.Encode()
}

// firstURL is the list's first page with the same filters, or "" when this is it.
func firstURL(c *gin.Context) string {
	q := c.Request.URL.Query()
	if q.Get("page") == "" {
		return ""
	}
	q.Del("page")
	if len(q) == 0 {
		return c.Request.URL.Path
	}
	return c.Request.URL.Path + "?" + q.Encode()
}

// Forbidden answers 403 with a page that says why; the web layer's cross-origin check uses it.
func (h *Handler) Forbidden(c *gin.Context, why string) { h.forbidden(c, why) }
