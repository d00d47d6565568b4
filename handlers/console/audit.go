package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"wxbind/account"
	"wxbind/templates"
)

// Audit lists console actions and mobile binds and unbinds, newest first, filtered by actor,
// action, target and days.
func (h *Handler) Audit(c *gin.Context) {
	ctx := c.Request.Context()
	f := account.ParseAuditFilter(c.Request.URL.Query(), h.zone)
	p := account.ParseListPage(c.Request.URL.Query())
	list, err := h.accounts.AuditLog(ctx, f, p)
	if err != nil {
		h.fail(c, err)
		return
	}
	total, err := h.accounts.CountAudit(ctx, f)
	if err != nil {
		h.fail(c, err)
		return
	}
	v := templates.AuditView{Filter: templates.AuditFilter{Actor: f.Actor, Action: f.Action, Target: f.Target, From: f.When.From, To: f.When.To, Size: p.Size},
		Actions: account.AuditActions, Rows: h.auditRows(c, list.Rows), Nav: h.listNav(c, f.Values(), p, list.Cursors, total)}
	h.render(c, http.StatusOK, templates.AuditPage(h.page(c, "console.audit.title", "audit"), v))
}

// auditRows are audit entries as the page shows them, times in the console's zone, actors and
// targets linked to their pages.
func (h *Handler) auditRows(c *gin.Context, es []account.AuditEntry) []templates.AuditRow {
	loc := h.locale(c)
	tr := h.tr(c)
	rows := make([]templates.AuditRow, 0, len(es))
	for _, e := range es {
		row := templates.AuditRow{
			ID: e.ID, When: loc.Seconds(e.CreatedAt), Actor: e.Actor, Action: e.Action,
			Target: e.Target, TargetURL: targetURL(e), Detail: auditDetail(tr, e), IP: e.IP,
		}
		switch {
		case e.ActorAccountID != nil:
			row.ActorURL = templates.UserURL(*e.ActorAccountID)
		case e.Action == account.ActionBindFailed || e.Action == account.ActionConsoleLoginFailed:
			// The typed username is what was tried, not who acted.
			tried := e.Actor
			if u, ok := e.Detail["Username"].(string); ok && u != "" {
				tried = u
			}
			row.Actor = tr.Tf("console.audit.tried", map[string]any{"Username": tried})
		case e.Actor == "":
			row.Actor = tr.T("console.audit.nobody")
		}
		rows = append(rows, row)
	}
	return rows
}

// targetURL is the page of what an entry is about: an account's page, a WeChat user in the
// WeChat users list, the accounts a login name matches, the menus page; "" when none is known.
func targetURL(e account.AuditEntry) string {
	kind, id, ok := strings.Cut(e.Target, ":")
	if !ok || id == "" {
		return ""
	}
	switch kind {
	case "account":
		if n, err := strconv.ParseUint(id, 10, 64); err == nil {
			return templates.UserURL(n)
		}
	case "wechat":
		if openid, _ := e.Detail["OpenID"].(string); openid != "" {
			return templates.IdentityURL(openid)
		}
		return "/admin/audit?target=" + url.QueryEscape(e.Target)
	case "login":
		return "/admin/users?q=" + url.QueryEscape(id)
	case "menu":
		return "/admin/menus?edit=" + url.QueryEscape(id)
	}
	return ""
}
