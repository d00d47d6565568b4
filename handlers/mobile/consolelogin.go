package mobile

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"wxbind/account"
	"wxbind/web/requestinfo"
)

// sceneRequest is the body of the three console login calls: the scene the mini-program code
// opened the page with.
type sceneRequest struct {
	Scene string `json:"scene"`
}

// consoleLoginBody is what the phone shows before its user confirms: which browser asks to log
// in to the console, from where and since when.
type consoleLoginBody struct {
	Code        int       `json:"code"`
	Msg         string    `json:"msg"`
	Scene       string    `json:"scene"`
	Browser     string    `json:"browser"` // e.g. Chrome; "" when the User-Agent is not recognised
	OS          string    `json:"os"`      // e.g. Windows
	IP          string    `json:"ip"`
	RequestedAt time.Time `json:"requestedAt"`
	ExpiresAt   time.Time `json:"expiresAt"`
	ExpiresIn   int64     `json:"expiresIn"` // seconds left, so a phone with a wrong clock counts right
}

func (h *Handler) scene(c *gin.Context) (string, bool) {
	var req sceneRequest
	if !readJSON(c, &req) {
		return "", false
	}
	return trimmed(req.Scene), true
}

// ScanConsoleLogin answers POST /mobileApi/consoleLogin/scan {scene}.
func (h *Handler) ScanConsoleLogin(c *gin.Context) {
	scene, ok := h.scene(c)
	if !ok {
		return
	}
	p, _ := principal(c)
	r, err := h.accounts.ScanConsoleLogin(c.Request.Context(), p, scene, c.ClientIP())
	if err != nil {
		fail(c, err)
		return
	}
	requestinfo.SetOutcome(c, "scanned")
	left := max(0, int64(time.Until(r.ExpiresAt).Seconds()))
	c.JSON(http.StatusOK, consoleLoginBody{Code: CodeOK, Msg: "ok", Scene: r.Scene, Browser: r.Browser.Name, OS: r.Browser.OS,
		IP: r.IP, RequestedAt: r.RequestedAt, ExpiresAt: r.ExpiresAt, ExpiresIn: left})
}

// ConfirmConsoleLogin answers POST /mobileApi/consoleLogin/confirm {scene}.
func (h *Handler) ConfirmConsoleLogin(c *gin.Context) {
	h.answerConsoleLogin(c, h.accounts.ConfirmConsoleLogin, "confirmed")
}

// CancelConsoleLogin answers POST /mobileApi/consoleLogin/cancel {scene}.
func (h *Handler) CancelConsoleLogin(c *gin.Context) {
	h.answerConsoleLogin(c, h.accounts.CancelConsoleLogin, "cancelled")
}

func (h *Handler) answerConsoleLogin(c *gin.Context, answer func(ctx context.Context, p account.Principal, scene, ip string) error, outcome string) {
	scene, ok := h.scene(c)
	if !ok {
		return
	}
	p, _ := principal(c)
	if err := answer(c.Request.Context(), p, scene, c.ClientIP()); err != nil {
		fail(c, err)
		return
	}
	requestinfo.SetOutcome(c, outcome)
	c.JSON(http.StatusOK, gin.H{"code": CodeOK, "msg": "ok"})
}
