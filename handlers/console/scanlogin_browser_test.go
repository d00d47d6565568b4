package console_test

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"wxbind/account"
	"wxbind/models"
	"wxbind/models/modelstest"
	"wxbind/web/webtest"
)

// TestScanLoginInBrowser: a real browser opens the login page, switches to the scan tab, shows
// the mini-program code the fake WeChat drew, and — while a bound staff member's phone scans and
// confirms through the mobile API — follows each state by itself until it lands on the
// dashboard, without a password typed. axe finds nothing on either tab, waiting or scanned.
// Logged out again, the same from /admin/users lands back on /admin/users.
func TestScanLoginInBrowser(t *testing.T) {
	// The simulator's tests pin axe-core; the console's pages are held to the same rules.
	axe := webtest.AxeSource(t, filepath.Join("..", "devtools", "testdata", "axe"))
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		ctx := chromium(t)
		app := webtest.Start(t, webtest.Options{Driver: driver})
		app.CreateAccount(t, "stella", "correct-horse", account.RoleStaff)
		ph := phone{t, app, app.BindNew(t, "stella-phone", "stella", "correct-horse")}

		must := webtest.Steps(t, ctx)
		eval := func(expr string) string {
			t.Helper()
			s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
			if err != nil {
				t.Fatalf("%s: %v", expr, err)
			}
			return s
		}
		waitFor := func(what, expr string) {
			t.Helper()
			deadline := time.Now().Add(15 * time.Second)
			for {
				ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
				if err == nil && ok {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("waiting for %s: %v\n%s", what, err, eval(`document.body ? document.body.innerText : ""`))
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		stateIs := func(state string) string {
			return `(() => { const el = document.querySelector('[data-testid="scan-status"]'); return !!el && el.dataset.state === ` + strconv.Quote(state) + `; })()`
		}

		// scanIn opens start (the login page, or a console page that sends the browser there),
		// switches to the scan tab, reads the scene, and lets the phone scan and confirm it
		// through the mobile API; the browser then follows by itself to where it was going.
		// The first time round, axe checks each screen and the scanned tab is screenshotted.
		scanIn := func(start string, first bool) {
			t.Helper()
			must("open "+start, chromedp.Navigate(app.URL+start), chromedp.WaitVisible(byTestID("login-form")))
			if first {
				webtest.AxeClean(t, ctx, axe, "password tab")
			}
			must("switch to the scan tab", chromedp.Click(byTestID("tab-scan")), chromedp.WaitVisible(byTestID("scan-scene")))
			scene := strings.TrimSpace(eval(`document.querySelector('[data-testid="scan-scene"]').textContent`))
			if !account.ValidScene(scene) {
				t.Fatalf("the page shows scene %q", scene)
			}
			waitFor("the mini-program code to load", `(() => { const img = document.querySelector('[data-testid="scan-code"]'); return img.complete && img.naturalWidth > 100 && img.naturalHeight === img.naturalWidth; })()`)
			if got := eval(`document.cookie`); strings.Contains(got, "wxbind_scan_") {
				t.Fatalf("the request's secret is readable by scripts: %q", got)
			}
			waitFor("waiting", stateIs(account.ScanWaiting))
			if first {
				webtest.AxeClean(t, ctx, axe, "scan tab, waiting")
			}

			if r := ph.call("scan", scene); r.Status != 200 || r.String("browser") != "Chrome" || r.String("os") != "Linux" {
				t.Fatalf("scan: %d %s", r.Status, r.Raw)
			}
			waitFor("the page to show the scan", stateIs(account.ScanScanned))
			if got := eval(`document.querySelector('[data-testid="scan-state-text"]').textContent`); !strings.Contains(got, "Name of stella") {
				t.Fatalf("scanned state says %q", got)
			}
			if first {
				takeScreenshot(t, ctx, "console-scan-login.png", driver == models.DriverSQLite)
				webtest.AxeClean(t, ctx, axe, "scan tab, scanned")
			}
			if r := ph.call("confirm", scene); r.Status != 200 {
				t.Fatalf("confirm: %d %s", r.Status, r.Raw)
			}
		}
		loggedInAsStella := func() {
			t.Helper()
			if got := eval(`document.querySelector('[data-testid="logout"]').textContent`); !strings.Contains(got, "stella") {
				t.Fatalf("logged in as %q", got)
			}
		}

		// The login page itself: no next, so the browser lands on the dashboard.
		scanIn("/admin/login", true)
		waitFor("the browser to land on the dashboard", `location.pathname === "/admin/" && !!document.querySelector('[data-testid="dashboard-heading"]')`)
		if got := eval(`document.querySelector('[data-testid="nav-dashboard"]').getAttribute("aria-current") || ""`); got != "page" {
			t.Fatalf("the dashboard is not the current page in the menu: aria-current %q", got)
		}
		loggedInAsStella()
		must("log out", chromedp.Click(byTestID("logout")), chromedp.WaitVisible(byTestID("login-form")))

		// A console page opened while logged out: the browser lands back on it.
		scanIn("/admin/users", false)
		waitFor("the browser to land on the page it asked for", `location.pathname === "/admin/users" && !!document.querySelector('[data-testid="nav-users"]')`)
		loggedInAsStella()
	})
}
