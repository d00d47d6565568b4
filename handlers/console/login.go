package console

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gin-gonic/gin"

	"wxbind/account"
	"wxbind/templates"
)

// LoginForm shows the login form; someone already logged in goes to the dashboard.
func (h *Handler) LoginForm(c *gin.Context) {
	if id, _ := h.sessions.Get(c.Request.Context(), sessionAccountID).(uint64); id != 0 {
		c.Redirect(http.StatusSeeOther, "/admin/")
		return
	}
	policy, err := h.accounts.ConsolePolicy(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, templates.LoginPage(h.page(c, "console.login.title", ""), templates.LoginView{Next: safeNext(c.Query("next")), ScanRequired: policy.ScanLoginRequired}))
}

// Login checks the form's username and password and opens a console session with a fresh
// token, so a token planted before login is worth nothing after it.
func (h *Handler) Login(c *gin.Context) {
	username, password := strings.TrimSpace(c.PostForm("username")), c.PostForm("password")
	next := safeNext(c.PostForm("next"))
	acct, err := h.accounts.ConsoleLogin(c.Request.Context(), username, password, c.ClientIP())
	if err != nil {
		status := http.StatusUnauthorized
		switch {
		case errors.Is(err, account.ErrLoginThrottled):
			status = http.StatusTooManyRequests
			c.Header("Retry-After", strconv.Itoa(int(account.LockoutRetryAfter().Seconds())))
		case errors.Is(err, account.ErrScanLoginRequired):
			status = http.StatusForbidden
		case errors.Is(err, account.ErrInvalidInput):
			status = http.StatusBadRequest
		case !refused(err):
			h.fail(c, err)
			return
		}
		h.render(c, status, templates.LoginPage(h.page(c, "console.login.title", ""), templates.LoginView{Username: username, Error: h.message(c, err), Next: next}))
		return
	}
	if err := h.openSession(c, acct); err != nil {
		h.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, next)
}

// openSession makes the request's console session acct's, under a fresh token, so a token
// planted before login is worth nothing after it. Password and scan login both open it here.
func (h *Handler) openSession(c *gin.Context, acct account.Account) error {
	ctx := c.Request.Context()
	if err := h.sessions.RenewToken(ctx); err != nil {
		return err
	}
	h.sessions.Put(ctx, sessionAccountID, acct.ID)
	h.sessions.Put(ctx, sessionStamp, acct.CredentialStamp())
	h.sessions.Put(ctx, sessionSeen, time.Now().UnixMilli())
	return nil
}

// Logout ends the console session.
func (h *Handler) Logout(c *gin.Context) {
	ctx := c.Request.Context()
	if id, _ := h.sessions.Get(ctx, sessionAccountID).(uint64); id != 0 {
		h.accounts.ConsoleLogout(ctx, id, c.ClientIP())
	}
	if err := h.endSession(ctx); err != nil {
		h.fail(c, err)
		return
	}
	h.sessions.Put(ctx, sessionFlash, "console.login.logged_out")
	h.sessions.Put(ctx, sessionFlashKind, flashNoticeKey)
	c.Redirect(http.StatusSeeOther, "/admin/login")
}

// safeNext keeps a post-login destination only when it is a console path on this site, so the
// login form cannot be used to send someone elsewhere.
func safeNext(next string) string {
	if !consolePath(next) || strings.HasPrefix(next, "/admin/login") {
		return "/admin/"
	}
	return next
}

// consolePath reports whether p is a path under /admin/ on this site, safe to redirect to. It
// refuses any control character or backslash, raw or percent-encoded (a browser drops a tab or
// newline from a URL and reads a backslash as a slash, so /admin/../%09/x could become //x),
// and any dot segment in the path (which climbs out of /admin/).
func consolePath(p string) bool {
	if !strings.HasPrefix(p, "/admin/") {
		return false
	}
	decoded, err := url.PathUnescape(p)
	if err != nil {
		return false
	}
	unsafe := func(r rune) bool { return unicode.IsControl(r) || r == '\\' }
	if strings.ContainsFunc(p, unsafe) || strings.ContainsFunc(decoded, unsafe) {
		return false
	}
	path, _, _ := strings.Cut(p, "?") // the query may hold dots; only the path can climb
	path, _, _ = strings.Cut(path, "#")
	if path, err = url.PathUnescape(path); err != nil {
		return false
	}
	for seg := range strings.SplitSeq(path, "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}
