package devtools_test

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"wxbind/account"
	"wxbind/models"
	"wxbind/web/webtest"
)

// browser is a fresh headless Chromium sized like a laptop screen.
func browser(t *testing.T) context.Context {
	return webtest.Chromium(t, chromedp.WindowSize(1280, 860))
}

func tid(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }

// TestSimulatorBindFlow plays the newcomer's first minutes in a real browser: pick a WeChat
// name, wx.login, see 301, bind (after a wrong password), see the menus, change the nickname,
// log out and back in, unbind and see 301 again.
func TestSimulatorBindFlow(t *testing.T) {
	ctx := browser(t)
	app := webtest.Start(t, webtest.Options{Sandbox: true})
	alice := app.CreateAccount(t, "alice", "correct-horse", "user")
	seedMenus(t, app, alice.ID)

	must := webtest.Steps(t, ctx)
	text := func(id string) string { t.Helper(); return webtest.TextContent(t, ctx, tid(id)) }
	waitToast := func(want string) {
		t.Helper()
		// An earlier toast may still be up; wait for this one's text.
		expr := `(() => { const el = document.querySelector('[data-testid="toast"]'); return !el.hidden && el.textContent.includes(` + strconv.Quote(want) + `); })()`
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Fatalf("toast: want %q, got %q (%v)", want, text("toast"), err)
		}
	}

	must("open the simulator",
		acceptLanguage("en-US,en;q=0.9"), // this test reads the English words
		chromedp.Navigate(app.URL+"/dev/simulator"),
		chromedp.WaitVisible(tid("wx-login")),
	)
	must("wx.login as a new WeChat user",
		chromedp.SetValue(tid("wechat-name"), "alice-phone"),
		chromedp.Click(tid("wx-login")),
		chromedp.WaitVisible(tid("page-login")),
	)
	if !strings.HasPrefix(text("login-openid"), "sbx-") {
		t.Fatalf("login page must show the sandbox openId from the 301, got %q", text("login-openid"))
	}
	if log := text("log"); !strings.Contains(log, `"code": 301`) || !strings.Contains(log, "checkBind?code=sandbox:alice-phone") {
		t.Fatalf("the network log must show checkBind answering 301: %s", log)
	}

	must("bind with a wrong password",
		chromedp.SetValue(tid("bind-username"), "alice"),
		chromedp.SetValue(tid("bind-password"), "wrong-password"),
		chromedp.Click(tid("bind-submit")),
	)
	waitToast("Wrong username or password")
	must("bind", chromedp.SetValue(tid("bind-password"), "correct-horse"), chromedp.Click(tid("bind-submit")), chromedp.WaitVisible(tid("page-index")))
	if got := text("user-username"); got != "alice" {
		t.Fatalf("home page: want account alice, got %q", got)
	}
	must("see the menus", chromedp.WaitVisible(tid("menu-orders")), chromedp.WaitVisible(tid("menu-stock")))
	if grid := text("menu-grid"); !strings.Contains(grid, "Orders") || !strings.Contains(grid, "Stock") || strings.Contains(grid, "Hidden") {
		t.Fatalf("menu grid: want Orders and Stock, not Hidden, got %q", grid)
	}
	if log := text("log"); strings.Contains(log, "correct") || strings.Contains(log, "wrong-p") {
		t.Fatalf("the network log must not show any part of a password: %s", log)
	}

	must("set a nickname", chromedp.SetValue(tid("profile-nick"), "Alice 🌸"), chromedp.Click(tid("profile-save")))
	waitToast("Saved")
	if got := text("user-nick"); got != "Alice 🌸" {
		t.Fatalf("nickname: want it back byte for byte, got %q", got)
	}
	must("wait for the toast to go", chromedp.WaitNotVisible(tid("toast")))
	saveScreenshot(t, ctx)

	// WeChat data: the phone-number button and wx.checkSession.
	must("share the phone number", chromedp.SetValue(tid("phone-number"), "13800138000"), chromedp.Click(tid("phone-share")))
	waitToast("Phone +86 13800138000")
	if got := text("user-phone"); got != "13800138000" {
		t.Fatalf("user card: want the phone number, got %q", got)
	}
	must("wx.checkSession", chromedp.Click(tid("check-session")))
	waitToast("Session valid")

	// A nickname is text: markup in it must stay text.
	nick := `Ali 🌸 <img src=x onerror="document.title='pwned'">`
	must("set a nickname with markup", chromedp.SetValue(tid("profile-nick"), nick), chromedp.Click(tid("profile-save")))
	must("wait for the save", chromedp.Poll[chromedp.Void](`document.querySelector('[data-testid="user-nick"]').textContent.includes('onerror')`))
	if got := text("user-nick"); got != nick {
		t.Fatalf("nickname: want %q back as text, got %q", nick, got)
	}
	if imgs, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="user-nick"] img').length`)); err != nil || imgs != 0 {
		t.Fatalf("the nickname's markup was rendered as HTML (%d img, %v)", imgs, err)
	}
	must("log out", chromedp.Click(tid("logout")), chromedp.WaitVisible(tid("page-launch")))
	if note := text("launch-note"); !strings.Contains(note, "still bound") {
		t.Fatalf("after logout: %q", note)
	}
	must("wx.login again logs straight in", chromedp.Click(tid("wx-login")), chromedp.WaitVisible(tid("page-index")))

	must("unbind asks first", chromedp.Click(tid("unbind")), chromedp.WaitVisible(tid("modal")))
	if got := text("modal"); !strings.Contains(got, "Unbind this WeChat user") {
		t.Fatalf("the unbind dialog: %q", got)
	}
	must("unbind, OK", chromedp.Click(tid("modal-confirm")), chromedp.WaitVisible(tid("page-launch")))
	if note := text("launch-note"); !strings.Contains(note, "301 again") {
		t.Fatalf("after unbind: %q", note)
	}
	must("wx.login after unbind answers 301", chromedp.Click(tid("wx-login")), chromedp.WaitVisible(tid("page-login")))

	// The binding really is gone on the server.
	if r := app.CheckBind(t, "sandbox:alice-phone"); r.Code() != 301 {
		t.Fatalf("checkBind after the simulator's unbind: want 301, got %s", r.Raw)
	}
	if title, _ := chromedp.Run(ctx, chromedp.Title()); title == "pwned" {
		t.Fatal("script from a nickname ran")
	}
}

// seedMenus gives the account three visible menus under a parent and one hidden menu, as an
// admin would in the console.
func seedMenus(t *testing.T, app *webtest.App, accountID uint64) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	work := models.Menu{Code: "work", Name: "Work", Sort: 1, Visible: true, CreatedAt: now, UpdatedAt: now}
	if err := app.Store.CreateMenu(ctx, &work); err != nil {
		t.Fatal(err)
	}
	ids := []uint64{work.ID}
	for i, m := range []models.Menu{
		{Code: "orders", Name: "Orders", Path: "/pages/orders/index", Icon: "📦", Visible: true},
		{Code: "stock", Name: "Stock", Path: "/pages/stock/index", Icon: "🏷️", Visible: true},
		{Code: "reports", Name: "Monthly reports", Path: "/pages/reports/monthly-summary/index", Icon: "📊", Visible: true}, // long: must wrap inside its tile
		{Code: "hidden", Name: "Hidden", Path: "/pages/hidden/index", Visible: false},
	} {
		m.ParentID, m.Sort, m.CreatedAt, m.UpdatedAt = &work.ID, i+1, now, now
		if err := app.Store.CreateMenu(ctx, &m); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	if err := app.Accounts.SetExtraMenus(ctx, account.Actor{Name: "test"}, accountID, ids); err != nil {
		t.Fatal(err)
	}
}

// saveScreenshot checks the simulator renders, and with UPDATE_SCREENSHOTS=1 writes
// docs/screenshots/simulator.png for the README.
func saveScreenshot(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 860)); err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil || img.Bounds().Dx() < 800 {
		t.Fatalf("screenshot is not a sane PNG: %v", err)
	}
	if os.Getenv("UPDATE_SCREENSHOTS") == "" {
		return
	}
	out := filepath.Join("..", "..", "docs", "screenshots", "simulator.png")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", out)
}
