package mobile_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"wxbind/account"
	"wxbind/models"
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

// lockoutApp is a server that believes X-Forwarded-For from the test client, so one test can
// speak from many addresses.
func lockoutApp(t *testing.T, driver string) (app *webtest.App, consoleLogin func(addr, username, password string) int, bind func(addr, ticket, username, password string) webtest.Response) {
	app = webtest.Start(t, webtest.Options{Driver: driver, TicketTTL: time.Hour, TrustedProxies: []string{"127.0.0.1"}})
	consoleLogin = func(addr, username, password string) int {
		t.Helper()
		form := url.Values{"username": {username}, "password": {password}}
		return app.Do(t, http.MethodPost, "/admin/login", form.Encode(), "Content-Type", "application/x-www-form-urlencoded", "X-Forwarded-For", addr).Status
	}
	bind = func(addr, ticket, username, password string) webtest.Response {
		t.Helper()
		return app.Do(t, http.MethodPost, bindPath, map[string]any{"bindTicket": ticket, "username": username, "password": password}, "X-Forwarded-For", addr)
	}
	return app, consoleLogin, bind
}

// TestStrangerCannotLockOwnerOut: five wrong guesses at a username lock that username out of
// the guesser's address only, at both doors; its owner, from another address, still logs in at
// both. Twenty failures from one address lock the address out for every username.
func TestStrangerCannotLockOwnerOut(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app, consoleLogin, bind := lockoutApp(t, driver)
		app.CreateAccount(t, "admin", "admin-password", "admin")
		const stranger, owner = "203.0.113.9", "198.51.100.7"
		_, strangerTicket := ticketFor(t, app, "stranger-phone")

		for i := range account.MaxFailedLoginsPerUserAddress {
			if got := consoleLogin(stranger, "admin", "guess-"+string(rune('a'+i))); got != http.StatusUnauthorized {
				t.Fatalf("stranger's wrong guess %d: want 401, got %d", i+1, got)
			}
		}
		// The stranger's address is locked for admin, even with the right password, at both doors.
		if got := consoleLogin(stranger, "admin", "admin-password"); got != http.StatusTooManyRequests {
			t.Fatalf("right password from the stranger's address after 5 failures: want 429, got %d", got)
		}
		r := bind(stranger, strangerTicket, "admin", "admin-password")
		if r.Status != http.StatusTooManyRequests || r.String("reason") != "too_many_attempts" || r.Header.Get("Retry-After") == "" {
			t.Fatalf("bind from the stranger's address: want 429 too_many_attempts with Retry-After, got %d %s", r.Status, r.Raw)
		}
		// The owner, from their own address, is not locked out at either door.
		if got := consoleLogin(owner, "admin", "admin-password"); got != http.StatusSeeOther {
			t.Fatalf("owner's console login from another address: want 303, got %d", got)
		}
		_, ownerTicket := ticketFor(t, app, "owner-phone")
		if r := bind(owner, ownerTicket, "admin", "admin-password"); r.Status != http.StatusOK || r.Code() != 1 {
			t.Fatalf("owner's bind from another address: want 200, got %d %s", r.Status, r.Raw)
		}

		// Per address across usernames: 20 failures from one address refuse it for any username.
		app.CreateAccount(t, "carol", "carol-password", "staff")
		const sprayer = "192.0.2.44"
		for i := range account.MaxFailedLoginsPerIP {
			if got := consoleLogin(sprayer, "user"+strconv.Itoa(i), "wrong-password"); got != http.StatusUnauthorized {
				t.Fatalf("sprayer's failure %d: want 401, got %d", i+1, got)
			}
		}
		if got := consoleLogin(sprayer, "carol", "carol-password"); got != http.StatusTooManyRequests {
			t.Fatalf("carol from an address with 20 failures: want 429, got %d", got)
		}
		if got := consoleLogin(owner, "carol", "carol-password"); got != http.StatusSeeOther {
			t.Fatalf("carol from her own address: want 303, got %d", got)
		}
	})
}

// TestManyAddressesSlowAUsernameDown: 50 failures at one username from ten addresses refuse
// nobody new; every further attempt at that username — the owner's, a fresh guesser's — waits
// LoginDelayStep first, at both doors.
func TestManyAddressesSlowAUsernameDown(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app, consoleLogin, bind := lockoutApp(t, driver)
		app.CreateAccount(t, "admin", "admin-password", "admin")
		_, ticket := ticketFor(t, app, "botnet-phone")
		for i := range account.SlowLoginsPerUser {
			addr := "203.0.113." + strconv.Itoa(1+i/account.MaxFailedLoginsPerUserAddress)
			if i%2 == 0 {
				if got := consoleLogin(addr, "admin", "guess-"+strconv.Itoa(i)); got != http.StatusUnauthorized {
					t.Fatalf("failure %d from %s: want 401, got %d", i+1, addr, got)
				}
			} else if r := bind(addr, ticket, "admin", "guess-"+strconv.Itoa(i)); r.Status != http.StatusUnauthorized {
				t.Fatalf("failure %d from %s: want 401, got %d %s", i+1, addr, r.Status, r.Raw)
			}
		}

		start := time.Now()
		if got := consoleLogin("198.51.100.7", "admin", "admin-password"); got != http.StatusSeeOther {
			t.Fatalf("owner after 50 failures from elsewhere: want 303 (slowed, not refused), got %d", got)
		}
		if d := time.Since(start); d < account.LoginDelayStep {
			t.Fatalf("owner's login after 50 failures took %v, want at least the delay %v", d, account.LoginDelayStep)
		}
		start = time.Now()
		if r := bind("198.51.100.8", ticket, "admin", "another-guess"); r.Status != http.StatusUnauthorized || r.String("reason") != "wrong_password" {
			t.Fatalf("a fresh address's wrong guess: want 401 wrong_password (slowed, not refused), got %d %s", r.Status, r.Raw)
		}
		if d := time.Since(start); d < account.LoginDelayStep {
			t.Fatalf("a guess after 50 failures took %v, want at least the delay %v", d, account.LoginDelayStep)
		}
		// Other usernames are not slowed by admin's failures.
		app.CreateAccount(t, "carol", "carol-password", "staff")
		if got := consoleLogin("198.51.100.9", "carol", "carol-password"); got != http.StatusSeeOther {
			t.Fatalf("carol: want 303, got %d", got)
		}
	})
}

// TestLoginDelayHonoursDeadline: at the longest delay, an attempt whose context ends first
// gives up with the context's error instead of sleeping on.
func TestLoginDelayHonoursDeadline(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		app.CreateAccount(t, "admin", "admin-password", "admin")
		ctx := context.Background()
		now := time.Now().UTC()
		var failures []models.AuditEntry
		for i := range 200 { // 10 per address, spread over 20 addresses, within the window
			failures = append(failures, models.AuditEntry{Action: account.ActionConsoleLoginFailed, Target: "login:admin",
				IP: "203.0.113." + strconv.Itoa(i%20), CreatedAt: now.Add(-time.Duration(i) * time.Second)})
		}
		if err := app.Store.AddAuditEntries(ctx, failures); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := app.Accounts.ConsoleLogin(ctx, "admin", "admin-password", "198.51.100.7")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("login during the delay past its deadline: want DeadlineExceeded, got %v", err)
		}
		if d := time.Since(start); d >= account.MaxLoginDelay {
			t.Fatalf("the attempt slept %v, through the whole delay, past its deadline", d)
		}
	})
}
