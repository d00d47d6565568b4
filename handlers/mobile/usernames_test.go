package mobile_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"wxbind/account"
	"wxbind/models/modelstest"
	"wxbind/web/webtest"
)

// TestOneUsernameRule: Alice, ALICE and full-width ａｌｉｃｅ are one account on every database —
// for the console login, the mini-program's bind, the lockout's count and account creation —
// and the username is shown as it was typed.
func TestOneUsernameRule(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver, TicketTTL: time.Hour})
		created := app.CreateAccount(t, "Alice", "alice-password", "staff")
		consoleLogin := func(username, password string) int {
			form := url.Values{"username": {username}, "password": {password}}
			return app.Do(t, http.MethodPost, "/admin/login", form.Encode(), "Content-Type", "application/x-www-form-urlencoded").Status
		}
		for _, typed := range []string{"Alice", "alice", "ALICE", "ａｌｉｃｅ", "ＡＬＩＣＥ"} {
			if got := consoleLogin(typed, "alice-password"); got != http.StatusSeeOther {
				t.Fatalf("console login as %q: want 303, got %d", typed, got)
			}
		}
		_, ticket := ticketFor(t, app, "alice-phone")
		r := scenario{method: "POST", path: bindPath, body: map[string]any{"bindTicket": ticket, "username": "ａｌｉｃｅ", "password": "alice-password"}, wantStatus: 200, wantCode: 1}.run(t, app)
		if got := r.Body["userInfo"].(map[string]any)["username"]; got != "Alice" || int(r.Body["userInfo"].(map[string]any)["userId"].(float64)) != int(created.ID) {
			t.Fatalf("bind as ａｌｉｃｅ: want Alice's account shown as typed at creation, got %s", r.Raw)
		}

		ctx := context.Background()
		for _, typed := range []string{"alice", "ALICE", "ａｌｉｃｅ", " Alice "} {
			if _, err := app.Accounts.CreateAccount(ctx, account.NewAccount{Username: typed, Password: "another-password"}); !errors.Is(err, account.ErrUsernameTaken) {
				t.Fatalf("creating %q beside Alice: want username_taken, got %v", typed, err)
			}
		}
		// Full-width input is stored in its NFKC form, so it passes the pattern and shows as ASCII.
		bob, err := app.Accounts.CreateAccount(ctx, account.NewAccount{Username: "ＢｏＢ", Password: "bob-password", Role: "staff"})
		if err != nil || bob.Username != "BoB" {
			t.Fatalf("creating ＢｏＢ: want the account BoB, got %q %v", bob.Username, err)
		}
		if got := consoleLogin("bob", "bob-password"); got != http.StatusSeeOther {
			t.Fatalf("console login as bob: want 303, got %d", got)
		}

		// The lockout counts the spellings together: five failures in five spellings lock them all.
		for _, typed := range []string{"alice", "ALICE", "ａｌｉｃｅ", "Alice", "aLiCe"} {
			if got := consoleLogin(typed, "wrong-password"); got != http.StatusUnauthorized {
				t.Fatalf("wrong password as %q: want 401, got %d", typed, got)
			}
		}
		if got := consoleLogin("ＡＬＩＣＥ", "alice-password"); got != http.StatusTooManyRequests {
			t.Fatalf("after five failures in other spellings: want 429, got %d", got)
		}
	})
}
