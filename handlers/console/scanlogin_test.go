package console_test

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"wxbind/account"
	"wxbind/models/modelstest"
	"wxbind/web"
	"wxbind/web/webtest"
	"wxbind/wechat"
	"wxbind/wechat/wechattest"
)

const chromeOnWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// openScanTab opens the login page's scan tab as Chrome on Windows and returns the page and
// the scene it shows.
func (b *browser) openScanTab(next string) (page, string) {
	b.t.Helper()
	path := "/admin/login/scan"
	if next != "" {
		path += "?next=" + url.QueryEscape(next)
	}
	req, _ := http.NewRequest(http.MethodGet, b.app.URL+path, nil)
	req.Header.Set("User-Agent", chromeOnWindows)
	p := b.do(req)
	mustStatus(b.t, "scan tab", p, http.StatusOK)
	scene := strings.TrimSpace(p.testid("scan-scene").Text())
	if !account.ValidScene(scene) || len(scene) > 32 {
		b.t.Fatalf("scan tab shows scene %q", scene)
	}
	return p, scene
}

// poll asks where the request stands, as htmx does every two seconds.
func (b *browser) poll(scene string) page {
	b.t.Helper()
	return b.post("/admin/login/scan/"+scene, nil, "HX-Request", "true")
}

func stateOf(t testing.TB, p page) string {
	t.Helper()
	if p.Doc == nil {
		t.Fatalf("poll answered %d without HTML: %s", p.Status, p.Body)
	}
	return p.testid("scan-status").AttrOr("data-state", "")
}

// phone is a bound mini-program user's token.
type phone struct {
	t     testing.TB
	app   *webtest.App
	token string
}

func (ph phone) call(step, scene string, headers ...string) webtest.Response {
	ph.t.Helper()
	return ph.app.Do(ph.t, http.MethodPost, "/mobileApi/consoleLogin/"+step, map[string]any{"scene": scene}, append([]string{"Authorization", "Bearer " + ph.token}, headers...)...)
}

func mustReason(t testing.TB, what string, r webtest.Response, status int, reason string) {
	t.Helper()
	if r.Status != status || r.String("reason") != reason || r.Code() != 0 || r.String("msg") == "" {
		t.Fatalf("%s: want %d %s with a message, got %d %s", what, status, reason, r.Status, r.Raw)
	}
}

// bindPhone binds a WeChat user to username on the fake or the sandbox and returns its phone.
func bindPhone(t testing.TB, app *webtest.App, sandbox bool, wechatUser, username, password string) phone {
	t.Helper()
	if !sandbox {
		return phone{t, app, app.BindNew(t, wechatUser, username, password)}
	}
	r := app.CheckBind(t, wechat.SandboxCodePrefix+wechatUser)
	b := app.Do(t, http.MethodPost, "/mobileApi/user/bind", map[string]any{"bindTicket": r.String("bindTicket"), "username": username, "password": password})
	if b.String("token") == "" {
		t.Fatalf("sandbox bind %s: %s", username, b.Raw)
	}
	return phone{t, app, b.String("token")}
}

// TestScanLoginWholeFlow: the browser shows the request's code (the fake WeChat's mini-program
// code, or the sandbox's QR code of the scene), the phone scans and confirms, the polling
// browser sees each state and lands in the console with a fresh session; another browser
// cannot complete the request; every step is audited; the user page shows the method.
func TestScanLoginWholeFlow(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		for _, sandbox := range []bool{false, true} {
			name := "fake WeChat"
			if sandbox {
				name = "sandbox"
			}
			t.Run(name, func(t *testing.T) { scanLoginFlow(t, driver, sandbox) })
		}
	})
}

func scanLoginFlow(t *testing.T, driver string, sandbox bool) {
	app := webtest.Start(t, webtest.Options{Driver: driver, Sandbox: sandbox})
	stella := app.CreateAccount(t, "stella", "correct-horse", account.RoleStaff)
	app.CreateAccount(t, "root", "correct-horse", account.RoleAdmin)
	ph := bindPhone(t, app, sandbox, "stella-phone", "stella", "correct-horse")

	b := newBrowser(t, app)
	tab, scene := b.openScanTab("/admin/users?q=st")
	if tab.testid("tab-scan").AttrOr("aria-current", "") != "page" || tab.testid("tab-password").Length() != 1 {
		t.Fatal("the scan tab is not the current tab of two")
	}
	if got := stateOf(t, tab); got != account.ScanWaiting {
		t.Fatalf("new request: state %q", got)
	}
	if trigger := tab.testid("scan-status").AttrOr("hx-trigger", ""); !strings.Contains(trigger, "every") {
		t.Fatalf("the status does not poll: hx-trigger=%q", trigger)
	}
	var cookie *http.Cookie
	for _, c := range tab.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "wxbind_scan_"+scene+"=") {
			cookie, _ = http.ParseSetCookie(c)
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.Path != "/admin/login/scan" || cookie.SameSite != http.SameSiteLaxMode || cookie.MaxAge <= 0 {
		t.Fatalf("the request's cookie: %+v", cookie)
	}
	if strings.Contains(tab.Body, cookie.Value) {
		t.Fatal("the page shows the request's secret")
	}

	// The code, shown by the page and drawn once.
	src := tab.testid("scan-code").AttrOr("src", "")
	if src != "/admin/login/scan/"+scene+"/code" {
		t.Fatalf("code image src %q", src)
	}
	img := b.get(src)
	mustStatus(t, "code image", img, http.StatusOK)
	if _, err := png.Decode(strings.NewReader(img.Body)); err != nil || img.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("code image is not a PNG (%s): %v", img.Header.Get("Content-Type"), err)
	}
	want, _ := wechat.QRCodePNG(scene, 280)
	if !sandbox {
		want = wechattest.WxaCodePNG(scene)
		sent := app.WeChat.WxaCodeRequests()
		if len(sent) != 1 || sent[0].Scene != scene || sent[0].Page != account.DefaultScanLoginPage {
			t.Fatalf("getwxacodeunlimit asked for %+v", sent)
		}
	}
	if !bytes.Equal([]byte(img.Body), want) {
		t.Fatal("the code image is not the one WeChat (or the sandbox) drew for the scene")
	}
	if again := b.get(src); again.Body != img.Body || app.WeChat.CallsTo(wechattest.PathWxaCode) > 1 {
		t.Fatalf("the code is not cached with the request (%d calls to WeChat)", app.WeChat.CallsTo(wechattest.PathWxaCode))
	}

	// Another browser can neither see the code nor poll the request.
	other := newBrowser(t, app)
	mustStatus(t, "code from another browser", other.get(src), http.StatusForbidden)
	mustStatus(t, "poll from another browser", other.poll(scene), http.StatusForbidden)

	if got := stateOf(t, b.poll(scene)); got != account.ScanWaiting {
		t.Fatalf("before the scan: %q", got)
	}
	r := ph.call("scan", scene)
	if r.Status != 200 || r.Code() != 1 || r.String("browser") != "Chrome" || r.String("os") != "Windows" || r.String("ip") != "127.0.0.1" {
		t.Fatalf("scan: %d %s", r.Status, r.Raw)
	}
	if n, _ := r.Body["expiresIn"].(float64); n <= 0 || n > 120 {
		t.Fatalf("scan: expiresIn %v", r.Body["expiresIn"])
	}
	scanned := b.poll(scene)
	if got := stateOf(t, scanned); got != account.ScanScanned || !strings.Contains(scanned.testid("scan-state-text").Text(), "Name of stella") {
		t.Fatalf("after the scan: %q %q", got, scanned.testid("scan-state-text").Text())
	}
	if r := ph.call("confirm", scene); r.Status != 200 || r.Code() != 1 {
		t.Fatalf("confirm: %d %s", r.Status, r.Raw)
	}

	// The confirmed request is the browser's alone: another cannot complete it.
	mustStatus(t, "completion from another browser", other.poll(scene), http.StatusForbidden)
	if other.sessionCookie() != "" && other.get("/admin/").Status == http.StatusOK {
		t.Fatal("another browser got into the console")
	}

	before := b.sessionCookie()
	done := b.poll(scene)
	mustStatus(t, "completion", done, http.StatusOK)
	if got := done.Header.Get("HX-Redirect"); got != "/admin/users?q=st" {
		t.Fatalf("completion sends the browser to %q", got)
	}
	if after := b.sessionCookie(); after == "" || after == before {
		t.Fatal("completion did not renew the session token")
	}
	mustStatus(t, "the console after scan login", b.get("/admin/users?q=st"), http.StatusOK)
	// Single use: the cookie is spent, and the request cannot log in a second time.
	if stateAfter := b.poll(scene); stateAfter.Status != http.StatusForbidden {
		t.Fatalf("polling a completed request: %d", stateAfter.Status)
	}
	if _, err := app.Accounts.CompleteScanLogin(context.Background(), scene, cookie.Value, "127.0.0.1"); err != account.ErrScanLoginUsed {
		t.Fatalf("completing twice with the secret: %v", err)
	}
	mustReason(t, "scan after completion", ph.call("scan", scene), 409, "scan_login_used")

	// Audited: scan, confirm and the login itself, with who, from where and which browser.
	list, err := app.Accounts.AuditLog(context.Background(), account.AuditFilter{Target: account.AccountTarget(stella.ID)}, account.ListPage{Size: 100})
	if err != nil {
		t.Fatal(err)
	}
	entries := list.Rows
	seen := map[string]account.AuditEntry{}
	for _, e := range entries {
		seen[e.Action] = e
	}
	for _, action := range []string{account.ActionScanLoginScan, account.ActionScanLoginConfirm, account.ActionConsoleLogin, account.ActionScanLoginRefused} {
		e, ok := seen[action]
		if !ok {
			t.Fatalf("no %s entry among %+v", action, entries)
		}
		if e.Actor != "stella" || e.IP != "127.0.0.1" || e.Detail["Scene"] != scene {
			t.Fatalf("%s entry: %+v", action, e)
		}
	}
	if d := seen[account.ActionConsoleLogin].Detail; d["Method"] != account.LoginMethodScan || d["Browser"] != "Chrome" || d["OS"] != "Windows" {
		t.Fatalf("console_login detail %v", d)
	}
	if d := seen[account.ActionScanLoginScan].Detail; d["BrowserIP"] != "127.0.0.1" || d["Browser"] != "Chrome" {
		t.Fatalf("scan detail %v", d)
	}

	// The user page says how stella last logged in; a password login then says so too.
	admin := newBrowserIn(t, app, "en")
	admin.login("root", "correct-horse")
	up := admin.get("/admin/users/" + strconv.FormatUint(stella.ID, 10))
	if got := up.testid("last-console-login").Text(); !strings.Contains(got, "(scan)") {
		t.Fatalf("user page: %q", got)
	}
	newBrowser(t, app).login("stella", "correct-horse")
	if got := admin.get("/admin/users/" + strconv.FormatUint(stella.ID, 10)).testid("last-console-login").Text(); !strings.Contains(got, "(password)") {
		t.Fatalf("user page after a password login: %q", got)
	}
}

// manualClock is a clock a test moves.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// TestScanLoginRefusals: every way a request is refused, on both databases.
func TestScanLoginRefusals(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		clock := &manualClock{now: time.Now()}
		app := webtest.Start(t, webtest.Options{Driver: driver, Now: clock.Now})
		app.CreateAccount(t, "stella", "correct-horse", account.RoleStaff)
		sam := app.CreateAccount(t, "sam", "correct-horse", account.RoleStaff)
		app.CreateAccount(t, "uma", "correct-horse", account.RoleUser)
		stella := bindPhone(t, app, false, "stella-phone", "stella", "correct-horse")
		samPhone := bindPhone(t, app, false, "sam-phone", "sam", "correct-horse")
		uma := bindPhone(t, app, false, "uma-phone", "uma", "correct-horse")

		t.Run("a user account", func(t *testing.T) {
			b := newBrowserIn(t, app, "en")
			_, scene := b.openScanTab("")
			r := uma.call("scan", scene)
			mustReason(t, "scan as a user", r, 403, "no_console_access")
			mustReason(t, "confirm as a user", uma.call("confirm", scene), 403, "no_console_access")
			if got := stateOf(t, b.poll(scene)); got != account.ScanWaiting {
				t.Fatalf("a refused scan moved the request to %q", got)
			}
		})

		t.Run("second phone, confirming twice, confirming unscanned", func(t *testing.T) {
			b := newBrowser(t, app)
			_, scene := b.openScanTab("")
			mustReason(t, "confirm before scan", stella.call("confirm", scene), 409, "scan_login_not_scanned")
			if r := stella.call("scan", scene); r.Status != 200 {
				t.Fatalf("scan: %s", r.Raw)
			}
			if r := stella.call("scan", scene); r.Status != 200 {
				t.Fatalf("the same phone scanning again: %s", r.Raw)
			}
			mustReason(t, "scan from a second phone", samPhone.call("scan", scene), 409, "scan_login_taken")
			mustReason(t, "confirm from a second phone", samPhone.call("confirm", scene), 409, "scan_login_taken")
			if r := stella.call("confirm", scene); r.Status != 200 {
				t.Fatalf("confirm: %s", r.Raw)
			}
			mustReason(t, "confirm twice", stella.call("confirm", scene), 409, "scan_login_used")
			mustReason(t, "unknown scene", stella.call("scan", "NOSUCHSCENE2345"), 404, "scan_login_not_found")
			mustReason(t, "a scene that cannot be one", stella.call("scan", "<script>"), 400, "invalid_scene")
		})

		t.Run("cancelled", func(t *testing.T) {
			b := newBrowserIn(t, app, "en")
			_, scene := b.openScanTab("")
			stella.call("scan", scene)
			if r := stella.call("cancel", scene); r.Status != 200 {
				t.Fatalf("cancel: %s", r.Raw)
			}
			p := b.poll(scene)
			if stateOf(t, p) != account.ScanCancelled || p.testid("scan-refresh").Length() != 1 || p.testid("scan-status").AttrOr("hx-trigger", "") != "" {
				t.Fatalf("after cancel the page shows %q, a refresh button %d, still polling %q", stateOf(t, p), p.testid("scan-refresh").Length(), p.testid("scan-status").AttrOr("hx-trigger", ""))
			}
			if !strings.Contains(p.testid("scan-state-text").Text(), "cancelled") {
				t.Fatalf("cancelled text: %q", p.testid("scan-state-text").Text())
			}
			mustReason(t, "confirm after cancel", stella.call("confirm", scene), 409, "scan_login_used")
		})

		t.Run("expired", func(t *testing.T) {
			b := newBrowserIn(t, app, "en")
			_, scene := b.openScanTab("")
			stella.call("scan", scene)
			clock.Add(account.ScanLoginTTL + time.Second)
			p := b.poll(scene)
			if stateOf(t, p) != account.ScanExpired || p.testid("scan-refresh").AttrOr("href", "") != "/admin/login/scan" {
				t.Fatalf("after two minutes: %q\n%s", stateOf(t, p), p.Body)
			}
			mustReason(t, "confirm after expiry", stella.call("confirm", scene), 410, "scan_login_expired")
			mustReason(t, "scan after expiry", samPhone.call("scan", scene), 410, "scan_login_expired")
			mustStatus(t, "code after expiry", b.get("/admin/login/scan/"+scene+"/code"), http.StatusGone)
		})

		t.Run("confirmed, then demoted before the browser completes", func(t *testing.T) {
			b := newBrowserIn(t, app, "en")
			_, scene := b.openScanTab("")
			samPhone.call("scan", scene)
			samPhone.call("confirm", scene)
			setRole(t, app, sam, account.RoleUser)
			defer setRole(t, app, sam, account.RoleStaff)
			p := b.poll(scene)
			mustStatus(t, "completion for a demoted account", p, http.StatusForbidden)
			if b.get("/admin/").Status == http.StatusOK {
				t.Fatal("a demoted account got into the console")
			}
		})
	})
}

// TestScanLoginPolicy: an admin requires scan login only with a break-glass admin configured;
// then staff and admins cannot log in with a password (whatever they type), the break-glass
// admin still can, and scan login works.
func TestScanLoginPolicy(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		for _, breakGlass := range []string{"", "root"} {
			app := webtest.Start(t, webtest.Options{Driver: driver, BreakGlassAdmin: breakGlass})
			app.CreateAccount(t, "root", "correct-horse", account.RoleAdmin)
			app.CreateAccount(t, "ada", "correct-horse", account.RoleAdmin)
			app.CreateAccount(t, "stella", "correct-horse", account.RoleStaff)
			admin := newBrowserIn(t, app, "en")
			admin.login("ada", "correct-horse")
			mustStatus(t, "settings page", admin.get("/admin/settings"), http.StatusOK)
			saved := admin.post("/admin/settings", url.Values{"scan_login_required": {"true"}})
			mustRedirect(t, "save settings", saved, "/admin/settings")
			after := admin.get("/admin/settings")
			if breakGlass == "" {
				if !strings.Contains(after.testid("flash").Text(), "break-glass") || after.testid("scan-login-required").Is("[checked]") {
					t.Fatalf("required without a break-glass admin: %q", after.testid("flash").Text())
				}
				newBrowser(t, app).login("stella", "correct-horse")
				if newBrowser(t, app).get("/admin/login").testid("login-scan-required").Length() != 0 {
					t.Fatal("the password tab says scan login is required when it is not")
				}
				continue
			}
			if !after.testid("scan-login-required").Is("[checked]") {
				t.Fatal("the setting did not stick")
			}
			for _, tc := range []struct{ user, pass string }{{"stella", "correct-horse"}, {"ada", "correct-horse"}, {"stella", "wrong"}, {"nobody", "x"}} {
				p := newBrowserIn(t, app, "en").post("/admin/login", url.Values{"username": {tc.user}, "password": {tc.pass}})
				if p.Status != http.StatusForbidden || !strings.Contains(p.testid("login-error").Text(), "scan login") {
					t.Fatalf("password login of %s/%s while scan is required: %d %q", tc.user, tc.pass, p.Status, p.testid("login-error").Text())
				}
			}
			if form := newBrowserIn(t, app, "en").get("/admin/login"); !strings.Contains(form.testid("login-scan-required").Text(), "break-glass") {
				t.Fatalf("the password tab does not say scan login is required: %q", form.testid("login-scan-required").Text())
			}
			newBrowser(t, app).login("root", "correct-horse") // break glass
			ph := bindPhone(t, app, false, "stella-phone", "stella", "correct-horse")
			b := newBrowser(t, app)
			_, scene := b.openScanTab("")
			ph.call("scan", scene)
			ph.call("confirm", scene)
			if p := b.poll(scene); p.Header.Get("HX-Redirect") != "/admin/" {
				t.Fatalf("scan login while required: %d %s", p.Status, p.Body)
			}
			mustStatus(t, "console after scan login", b.get("/admin/"), http.StatusOK)
			list, _ := app.Accounts.AuditLog(context.Background(), account.AuditFilter{Action: account.ActionConsolePolicy}, account.ListPage{Size: 100})
			es := list.Rows
			if len(es) != 1 || es[0].Actor != "ada" || es[0].Detail["ScanLoginRequired"] != true {
				t.Fatalf("policy audit: %+v", es)
			}
		}
	})
}

// TestScanLoginRateLimits: the phone's calls are limited per address and, across addresses,
// per account; the scan tab is limited per address. The limiters count in memory (or Redis),
// not in the database, but the calls they count use it (the token that names the account, the
// scene looked up, the request each scan tab stores), and it costs little: both databases.
func TestScanLoginRateLimits(t *testing.T) {
	limits := web.RateLimits{ScanLogin: web.Rate{PerSecond: 0.001, Burst: 3}, ScanLoginStart: web.Rate{PerSecond: 0.001, Burst: 4}}
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver, RateLimits: &limits, TrustedProxies: []string{"127.0.0.1"}})
		app.CreateAccount(t, "stella", "correct-horse", account.RoleStaff)
		app.CreateAccount(t, "sam", "correct-horse", account.RoleStaff)
		stella := bindPhone(t, app, false, "stella-phone", "stella", "correct-horse")
		sam := bindPhone(t, app, false, "sam-phone", "sam", "correct-horse")
		// Per account: stella from three addresses still has three calls in all.
		for i, ip := range []string{"198.51.100.1", "198.51.100.2", "198.51.100.3"} {
			if r := stella.call("scan", "NOSUCHSCENE2345", "X-Forwarded-For", ip); r.Status != 404 {
				t.Fatalf("call %d: %d %s", i, r.Status, r.Raw)
			}
		}
		mustReason(t, "fourth call from a fourth address", stella.call("scan", "NOSUCHSCENE2345", "X-Forwarded-For", "198.51.100.4"), 429, "rate_limited")
		// Per address: sam at an address stella used up is refused before his own budget is spent.
		for _, ip := range []string{"198.51.100.5", "198.51.100.5", "198.51.100.5"} {
			sam.call("scan", "NOSUCHSCENE2345", "X-Forwarded-For", ip)
		}
		r := app.Do(t, http.MethodPost, "/mobileApi/consoleLogin/scan", map[string]any{"scene": "X"}, "X-Forwarded-For", "198.51.100.5")
		mustReason(t, "an address past its budget, even without a token", r, 429, "rate_limited")
		// The scan tab: four requests per address, then 429.
		b := newBrowser(t, app)
		for range 4 {
			b.openScanTab("")
		}
		mustStatus(t, "fifth scan tab", b.get("/admin/login/scan"), http.StatusTooManyRequests)
	})
}
