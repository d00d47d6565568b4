package console

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"wxbind/account"
	"wxbind/templates"
)

// Audit lists console actions and mobile binds and unbinds, newest first, filtered by actor,
// action and target.
func (h *Handler) Audit(c *gin.Context) {
	f := templates.AuditFilter{Actor: query(c, "actor"), Action: query(c, "action"), Target: query(c, "target")}
	entries, err := h.accounts.AuditLog(c.Request.Context(), account.AuditFilter{
		Actor: f.Actor, Action: f.Action, Target: f.Target, BeforeID: cursor(c), Limit: pageSize,
	})
	if err != nil {
		h.fail(c, err)
		return
	}
	v := templates.AuditView{Filter: f, Actions: account.AuditActions, Rows: h.auditRows(c, entries), FirstURL: firstURL(c)}
	if len(entries) > 0 {
		v.NextURL = nextURL(c, len(entries), entries[len(entries)-1].ID)
	}
	h.render(c, http.StatusOK, templates.AuditPage(h.page(c, "console.audit.title", "audit"), v))
}

// auditRows are audit entries as the page shows them, times in the console's zone.
func (h *Handler) auditRows(c *gin.Context, es []account.AuditEntry) []templates.AuditRow {
	loc := h.locale(c)
	tr := h.tr(c)
	rows := make([]templates.AuditRow, 0, len(es))
	for _, e := range es {
		rows = append(rows, templates.AuditRow{
			ID: e.ID, When: loc.Seconds(e.CreatedAt), Actor: e.Actor, Action: e.Action,
			Target: e.Target, Detail: auditDetail(tr, e), IP: e.IP,
		})
	}
	return rows
}
