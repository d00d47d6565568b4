package console_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"wxbind/web/webtest"
)

// TestPhoneMaskedForStaff: a user's shared phone number shows whole to admins and masked to
// staff, on the user page.
func TestPhoneMaskedForStaff(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	app.CreateAccount(t, "chief", "chief-password", "admin")
	app.CreateAccount(t, "clerk", "clerk-password", "staff")
	user := app.CreateAccount(t, "phoned", "phoned-password", "user")
	if err := app.Store.SetAccountPhone(context.Background(), user.ID, "13800138000", "86", time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/admin/users/%d", user.ID)

	admin := newBrowser(t, app)
	admin.login("chief", "chief-password")
	p := admin.get(path)
	if p.Status != http.StatusOK || strings.TrimSpace(p.testid("user-phone").Text()) != "+86 13800138000" {
		t.Fatalf("admin: want the whole number, got %d %q", p.Status, p.testid("user-phone").Text())
	}

	staff := newBrowser(t, app)
	staff.login("clerk", "clerk-password")
	p = staff.get(path)
	got := strings.TrimSpace(p.testid("user-phone").Text())
	if got != "+86 138****8000" || strings.Contains(p.Body, "13800138000") {
		t.Fatalf("staff: want the number masked everywhere on the page, got %q", got)
	}
}
