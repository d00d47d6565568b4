package console

import (
	"context"
	"testing"
	"time"

	"wxbind/account"
	"wxbind/models"
	"wxbind/models/modelstest"
	"wxbind/wechat"
)

// TestDashboardDaysInConsoleZone: the dashboard's days start at midnight in the console's zone,
// not UTC: a bind at 20:30 UTC on Jan 2 is Jan 3 in Shanghai and counts as that day's.
func TestDashboardDaysInConsoleZone(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		db := modelstest.Open(t, driver)
		store := models.NewStore(db.Gorm)
		accounts, err := account.New(account.Config{Store: store, WeChat: wechat.Sandbox{}, SecretKey: "test-secret-key-0123456789abcdef0123456789"})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		for _, at := range []time.Time{
			time.Date(2026, 1, 2, 20, 30, 0, 0, time.UTC), // Jan 3, 04:30 in Shanghai
			time.Date(2026, 1, 2, 15, 59, 0, 0, time.UTC), // Jan 2, 23:59 in Shanghai
		} {
			if err := store.AddAuditEntry(ctx, &models.AuditEntry{Action: account.ActionBind, Actor: "x", Target: "wechat:1", CreatedAt: at}); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			zone          string
			now           time.Time
			today, before int64
			lastDay       string
		}{
			{"Asia/Shanghai", time.Date(2026, 1, 3, 12, 0, 0, 0, time.UTC), 1, 1, "2026-01-03"},
			{"UTC", time.Date(2026, 1, 3, 12, 0, 0, 0, time.UTC), 0, 2, "2026-01-03"},
			{"America/New_York", time.Date(2026, 1, 2, 22, 0, 0, 0, time.UTC), 2, 0, "2026-01-02"},
		} {
			zone, err := time.LoadLocation(tc.zone)
			if err != nil {
				t.Fatal(err)
			}
			h, err := New(accounts, nil, Config{Zone: zone})
			if err != nil {
				t.Fatal(err)
			}
			v, err := h.dashboard(ctx, tc.now.In(zone))
			if err != nil {
				t.Fatal(err)
			}
			last, prev := v.Days[6], v.Days[5]
			if last.Day.Format("2006-01-02") != tc.lastDay || last.Day.Location() != zone || last.Day.Hour() != 0 {
				t.Errorf("%s: today starts %v, want midnight of %s there", tc.zone, last.Day, tc.lastDay)
			}
			if v.BindsToday != tc.today || prev.Binds != tc.before || v.BindsWeek != tc.today+tc.before {
				t.Errorf("%s: binds today %d, the day before %d, week %d; want %d, %d", tc.zone, v.BindsToday, prev.Binds, v.BindsWeek, tc.today, tc.before)
			}
		}
	})
}
