package mobile_test

import (
	"net/http"
	"net/url"
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

// TestLockoutSpansBothDoors: the mini-program's bind and the console's login count password
// failures together, so a guesser gains nothing by switching doors: five wrong binds lock the
// username's console login, and five wrong console logins lock its binds.
func TestLockoutSpansBothDoors(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver, TicketTTL: time.Hour})
		app.CreateAccount(t, "alice", "alice-password", "staff")
		app.CreateAccount(t, "bob", "bob-password", "staff")
		consoleLogin := func(username, password string) int {
			form := url.Values{"username": {username}, "password": {password}}
			r := app.Do(t, http.MethodPost, "/admin/login", form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
			return r.Status
		}
		_, ticket := ticketFor(t, app, "guesser-phone")

		// Door one, then door two: wrong binds lock alice's console login.
		if got := consoleLogin("alice", "alice-password"); got != http.StatusSeeOther {
			t.Fatalf("alice's console login before any failure: want 303, got %d", got)
		}
		for i := range 5 {
			scenario{method: "POST", path: bindPath, body: map[string]any{"bindTicket": ticket, "username": "alice", "password": "guess-" + string(rune('a'+i))}, wantStatus: 401, wantReason: "wrong_password"}.run(t, app)
		}
		if got := consoleLogin("alice", "alice-password"); got != http.StatusTooManyRequests {
			t.Fatalf("console login after 5 wrong binds: want 429, got %d", got)
		}

		// Door two, then door one: wrong console logins lock bob's binds.
		for i := range 5 {
			if got := consoleLogin("bob", "guess-"+string(rune('a'+i))); got != http.StatusUnauthorized {
				t.Fatalf("wrong console login %d: want 401, got %d", i+1, got)
			}
		}
		scenario{method: "POST", path: bindPath, body: map[string]any{"bindTicket": ticket, "username": "bob", "password": "bob-password"}, wantStatus: 429, wantReason: "too_many_attempts"}.run(t, app)
	})
}
