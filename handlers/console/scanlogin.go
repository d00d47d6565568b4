package console

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"wxbind/account"
	"wxbind/templates"
)

// The scan tab binds its request to the browser with a cookie per request, holding the secret
// whose hash the request keeps: only the browser that showed the code can complete its login.
const (
	scanCookiePrefix = "wxbind_scan_"
	scanCookiePath   = "/admin/login/scan"
)

// ScanLoginPage opens a scan login request and shows its code (GET /admin/login/scan); someone
// already logged in goes to the dashboard.
func (h *Handler) ScanLoginPage(c *gin.Context) {
	if id, _ := h.sessions.Get(c.Request.Context(), sessionAccountID).(uint64); id != 0 {
		c.Redirect(http.StatusSeeOther, "/admin/")
		return
	}
	next := safeNext(c.Query("next"))
	start, err := h.accounts.StartScanLogin(c.Request.Context(), account.ScanLoginBrowser{IP: c.ClientIP(), UserAgent: c.Request.UserAgent()}, next)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.setScanCookie(c, start.Scene, start.Secret, int(time.Until(start.ExpiresAt).Seconds())+60)
	v := templates.ScanLoginView{Scene: start.Scene, Next: next, ExpiresAt: start.ExpiresAt, Sandbox: h.sandbox,
		Status: templates.ScanLoginStatus{Scene: start.Scene, Next: next, State: account.ScanWaiting}}
	h.render(c, http.StatusOK, templates.ScanLoginPage(h.page(c, "console.login.title", ""), v))
}

func (h *Handler) setScanCookie(c *gin.Context, scene, secret string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: scanCookiePrefix + scene, Value: secret, Path: scanCookiePath, MaxAge: maxAge,
		HttpOnly: true, Secure: h.secure || c.Request.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
}

// scanSecret is the secret this browser holds for scene; "" when it holds none.
func scanSecret(c *gin.Context, scene string) string {
	v, _ := c.Cookie(scanCookiePrefix + scene)
	return v
}

// ScanLoginCode serves the request's mini-program code (GET /admin/login/scan/:scene/code),
// to the browser that opened the request only.
func (h *Handler) ScanLoginCode(c *gin.Context) {
	scene := c.Param("scene")
	img, err := h.accounts.ScanLoginCode(c.Request.Context(), scene, scanSecret(c, scene))
	if err != nil {
		status := http.StatusServiceUnavailable
		switch {
		case errors.Is(err, account.ErrScanLoginNotFound):
			status = http.StatusNotFound
		case errors.Is(err, account.ErrScanLoginOtherBrowser):
			status = http.StatusForbidden
		case errors.Is(err, account.ErrScanLoginExpired):
			status = http.StatusGone
		case errors.Is(err, account.ErrWeChatRateLimited):
			status = http.StatusTooManyRequests
		case !refused(err):
			_ = c.Error(err) // WeChat or the database failed: the log says which, the page says try again
		}
		msg := h.message(c, err)
		if msg == "" {
			msg = h.tr(c).T("console.scan.code_failed")
		}
		c.Header("Cache-Control", "no-store")
		c.Data(status, "text/plain; charset=utf-8", []byte(msg))
		return
	}
	c.Header("Cache-Control", "private, max-age="+strconv.Itoa(int(account.ScanLoginTTL.Seconds())))
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, img.ContentType, img.Bytes)
}

// ScanLoginPoll says where the request stands (POST /admin/login/scan/:scene): htmx asks every
// two seconds and swaps in the answer. Once the phone has confirmed, this same call opens the
// console session of the browser holding the request's secret and sends it on to its next.
func (h *Handler) ScanLoginPoll(c *gin.Context) {
	ctx := c.Request.Context()
	scene := c.Param("scene")
	secret := scanSecret(c, scene)
	st, err := h.accounts.ScanLoginStatus(ctx, scene, secret)
	if err != nil {
		h.scanRefused(c, scene, err)
		return
	}
	view := templates.ScanLoginStatus{Scene: st.Scene, Next: safeNext(st.Next), State: st.State, ScannedBy: st.ScannedBy}
	if st.State == account.ScanConfirmed {
		acct, err := h.accounts.CompleteScanLogin(ctx, scene, secret, c.ClientIP())
		if err != nil {
			h.scanRefused(c, scene, err)
			return
		}
		if err := h.openSession(c, acct); err != nil {
			h.fail(c, err)
			return
		}
		h.setScanCookie(c, scene, "", -1) // spent
		if c.GetHeader("HX-Request") == "true" {
			view.State = account.ScanCompleted
			c.Header("HX-Redirect", view.Next)
			h.render(c, http.StatusOK, templates.ScanLoginStatusPart(view))
			return
		}
		c.Redirect(http.StatusSeeOther, view.Next)
		return
	}
	h.scanStatus(c, http.StatusOK, view)
}

// scanStatus answers a poll: the status part to htmx, the whole tab to a plain form post.
func (h *Handler) scanStatus(c *gin.Context, status int, view templates.ScanLoginStatus) {
	if c.GetHeader("HX-Request") == "true" {
		h.render(c, status, templates.ScanLoginStatusPart(view))
		return
	}
	h.render(c, status, templates.ScanLoginPage(h.page(c, "console.login.title", ""), templates.ScanLoginView{Next: view.Next, Status: view}))
}

// scanRefused tells the browser why its request cannot go on, with a button for a new one.
func (h *Handler) scanRefused(c *gin.Context, scene string, err error) {
	if !refused(err) {
		h.fail(c, err)
		return
	}
	status := http.StatusConflict
	switch {
	case errors.Is(err, account.ErrScanLoginNotFound):
		status = http.StatusNotFound
	case errors.Is(err, account.ErrScanLoginOtherBrowser), errors.Is(err, account.ErrNoConsoleAccess), errors.Is(err, account.ErrAccountDisabled):
		status = http.StatusForbidden
	case errors.Is(err, account.ErrScanLoginExpired):
		status = http.StatusGone
	}
	// htmx swaps only what the layout's responseHandling allows; a refusal still replaces the
	// status, so the person sees it and the polling stops.
	h.scanStatus(c, status, templates.ScanLoginStatus{Scene: scene, Next: "/admin/", State: account.ScanExpired, Error: h.message(c, err)})
}
