package console

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"wxbind/account"
	"wxbind/templates"
)

// Dashboard shows totals, today's and the last 7 days' binds, unbinds and logins. Each
// figure is an indexed count; days are UTC days.
func (h *Handler) Dashboard(c *gin.Context) {
	ctx := c.Request.Context()
	v, err := h.dashboard(ctx, time.Now().UTC())
	if err != nil {
		h.fail(c, err)
		return
	}
	render(c, http.StatusOK, templates.DashboardPage(h.page(c, "Dashboard", "dashboard"), v))
}

func (h *Handler) dashboard(ctx context.Context, now time.Time) (templates.DashboardView, error) {
	var v templates.DashboardView
	var err error
	appID := h.accounts.AppID()
	if v.Accounts, err = h.store.CountAccounts(ctx); err != nil {
		return v, err
	}
	if v.Identities, err = h.store.CountIdentities(ctx, appID); err != nil {
		return v, err
	}
	if v.Bound, err = h.store.CountBoundIdentities(ctx, appID); err != nil {
		return v, err
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	for i := 6; i >= 0; i-- {
		from := today.AddDate(0, 0, -i)
		to := from.AddDate(0, 0, 1)
		d := templates.DayFigures{Label: from.Format("01-02")}
		if d.Binds, err = h.store.CountAuditBetween(ctx, account.ActionBind, from, to); err != nil {
			return v, err
		}
		if d.Unbinds, err = h.store.CountAuditBetween(ctx, account.ActionUnbind, from, to); err != nil {
			return v, err
		}
		if d.Logins, err = h.store.CountLoginsBetween(ctx, from, to); err != nil {
			return v, err
		}
		v.Days = append(v.Days, d)
		v.BindsWeek += d.Binds
		v.UnbindsWeek += d.Unbinds
		v.LoginsWeek += d.Logins
		v.ChartMaxValue = max(v.ChartMaxValue, d.Binds, d.Unbinds, d.Logins)
	}
	last := v.Days[len(v.Days)-1]
	v.BindsToday, v.UnbindsToday, v.LoginsToday = last.Binds, last.Unbinds, last.Logins
	return v, nil
}
