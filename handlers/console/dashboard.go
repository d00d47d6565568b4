package console

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"wxbind/templates"
)

// dashboardTTL is how long the dashboard's figures are reused. Its totals count whole tables
// (about 0.5 s at a million accounts on MariaDB), so at most one request per instance in this
// interval pays for them.
const dashboardTTL = 30 * time.Second

// dashboardCache keeps the last figures computed, per Handler.
type dashboardCache struct {
	mu   sync.Mutex
	at   time.Time
	view templates.DashboardView
}

// Dashboard shows totals, today's and the last 7 days' binds, unbinds and logins. Each
// figure is an indexed count; days are days in the console's time zone (CONSOLE_TZ), so
// "today" starts at midnight where the admins are.
func (h *Handler) Dashboard(c *gin.Context) {
	v, err := h.dashboardFigures(c.Request.Context(), time.Now().In(h.zone))
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, templates.DashboardPage(h.page(c, "console.dashboard.title", "dashboard"), v))
}

// dashboardFigures returns the cached figures, counting them again when they are older than
// dashboardTTL or from another day. One computation runs at a time; the others wait for it.
// The figures hold numbers and times, not text, so one copy serves every language.
func (h *Handler) dashboardFigures(ctx context.Context, now time.Time) (templates.DashboardView, error) {
	h.dash.mu.Lock()
	defer h.dash.mu.Unlock()
	if !h.dash.at.IsZero() && now.Sub(h.dash.at) < dashboardTTL && h.dash.at.In(now.Location()).YearDay() == now.YearDay() {
		return h.dash.view, nil
	}
	v, err := h.dashboard(ctx, now)
	if err != nil {
		return v, err
	}
	v.AsOf = now
	h.dash.at, h.dash.view = now, v
	return v, nil
}

func (h *Handler) dashboard(ctx context.Context, now time.Time) (templates.DashboardView, error) {
	var v templates.DashboardView
	totals, err := h.accounts.Totals(ctx)
	if err != nil {
		return v, err
	}
	v.Accounts, v.Identities, v.Bound = totals.Accounts, totals.Identities, totals.Bound
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	for i := 6; i >= 0; i-- {
		from := today.AddDate(0, 0, -i)
		a, err := h.accounts.ActivityBetween(ctx, from, from.AddDate(0, 0, 1))
		if err != nil {
			return v, err
		}
		d := templates.DayFigures{Day: from, Binds: a.Binds, Unbinds: a.Unbinds, Logins: a.Logins}
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
