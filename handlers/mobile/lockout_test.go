package mobile_test

import (
	"sync"
	"testing"
	"time"

	"wxbind/models/modelstest"
	"wxbind/web/webtest"
)

// TestPasswordLockout: after repeated wrong passwords the username is locked for a cooling
// period, even for the right password; other usernames are not.
func TestPasswordLockout(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		var mu sync.Mutex
		now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		app := webtest.Start(t, webtest.Options{Driver: driver, Now: clock, TicketTTL: time.Hour})
		app.CreateAccount(t, "victim", "victim-password", "user")
		app.CreateAccount(t, "bystander", "bystander-pw", "user")
		_, ticket := ticketFor(t, app, "guesser-phone")
		for i := range 5 {
			scenario{method: "POST", path: bindPath, body: map[string]any{"bindTicket": ticket, "username": "victim", "password": "guess-" + string(rune('a'+i))}, wantStatus: 401, wantReason: "wrong_password"}.run(t, app)
		}
		r := scenario{method: "POST", path: bindPath, body: map[string]any{"bindTicket": ticket, "username": "victim", "password": "victim-password"}, wantStatus: 429, wantReason: "too_many_attempts"}.run(t, app)
		if r.Header.Get("Retry-After") == "" {
			t.Fatal("a lockout must say when to retry")
		}
		scenario{method: "POST", path: bindPath, body: map[string]any{"bindTicket": ticket, "username": "bystander", "password": "bystander-pw"}, wantStatus: 200, wantCode: 1}.run(t, app)

		mu.Lock()
		now = now.Add(16 * time.Minute)
		mu.Unlock()
		_, ticket2 := ticketFor(t, app, "victim-phone")
		scenario{method: "POST", path: bindPath, body: map[string]any{"bindTicket": ticket2, "username": "victim", "password": "victim-password"}, wantStatus: 200, wantCode: 1}.run(t, app)
	})
}
