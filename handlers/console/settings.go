package console

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"wxbind/account"
	"wxbind/templates"
	"wxbind/web/requestinfo"
)

// Settings shows how staff and admins may log in (GET /admin/settings, admins only).
func (h *Handler) Settings(c *gin.Context) {
	p, err := h.accounts.ConsolePolicy(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, templates.SettingsPage(h.page(c, "console.settings.title", "settings"),
		templates.SettingsView{ScanLoginRequired: p.ScanLoginRequired, BreakGlassAdmin: p.BreakGlassAdmin}))
}

// SaveSettings changes the login policy (POST /admin/settings, admins only).
func (h *Handler) SaveSettings(c *gin.Context) {
	p := account.ConsolePolicy{ScanLoginRequired: c.PostForm("scan_login_required") == "true"}
	err := h.accounts.SetConsolePolicy(c.Request.Context(), requestinfo.Actor(c), p)
	h.redirectAfter(c, "/admin/settings", err, "console.settings.saved", nil)
}
