package console_test

import (
	"net/http"
	"testing"
	"time"

	"wxbind/web/webtest"
)

// TestSessionNotWrittenPerPage: viewing pages does not write the session back each time (the
// idle clock is refreshed at most once a minute), so a page view costs no session UPDATE.
func TestSessionNotWrittenPerPage(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	app.CreateAccount(t, "reader", "reader-password", "staff")
	b := newBrowser(t, app)
	b.login("reader", "reader-password")
	type row struct {
		Data   []byte
		Expiry time.Time
	}
	read := func() row {
		var r row
		if err := app.DB.Gorm.Raw("SELECT data, expiry FROM sessions").Scan(&r).Error; err != nil {
			t.Fatal(err)
		}
		return r
	}
	before := read()
	for _, path := range []string{"/admin/", "/admin/users", "/admin/audit"} {
		if p := b.get(path); p.Status != http.StatusOK {
			t.Fatalf("%s: %d", path, p.Status)
		}
	}
	after := read()
	if string(before.Data) != string(after.Data) || !before.Expiry.Equal(after.Expiry) {
		t.Fatal("page views wrote the session back")
	}
}

// TestIdleSessionEnds: a session unused for longer than the idle timeout sends its next
// request to the login page.
func TestIdleSessionEnds(t *testing.T) {
	app := webtest.Start(t, webtest.Options{ConsoleIdleTimeout: 2 * time.Second})
	app.CreateAccount(t, "napper", "napper-password", "staff")
	b := newBrowser(t, app)
	b.login("napper", "napper-password")
	if p := b.get("/admin/users"); p.Status != http.StatusOK {
		t.Fatalf("fresh session: %d", p.Status)
	}
	time.Sleep(2500 * time.Millisecond)
	mustRedirect(t, "idle session", b.get("/admin/users"), "/admin/login?next=%2Fadmin%2Fusers")
}

// TestUseKeepsSessionAlive: requests spaced under the idle timeout keep a session open well past
// it — the idle clock is refreshed by use, also when the timeout is shorter than a minute.
func TestUseKeepsSessionAlive(t *testing.T) {
	app := webtest.Start(t, webtest.Options{ConsoleIdleTimeout: 2 * time.Second})
	app.CreateAccount(t, "busy", "busy-password", "staff")
	b := newBrowser(t, app)
	b.login("busy", "busy-password")
	for range 5 { // 5 × 1.2 s = 6 s, three idle timeouts
		time.Sleep(1200 * time.Millisecond)
		if p := b.get("/admin/users"); p.Status != http.StatusOK {
			t.Fatalf("a session in use was ended: %d %q", p.Status, p.Location)
		}
	}
}
