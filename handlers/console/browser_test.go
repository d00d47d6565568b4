package console_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"wxbind/models"
	"wxbind/models/modelstest"
	"wxbind/web/webtest"
	"wxbind/wechat/wechattest"
)

// chromium is a fresh headless Chromium set to Chinese, as most of the console's users' are.
func chromium(t *testing.T) context.Context {
	return webtest.Chromium(t, chromedp.Flag("lang", "zh-CN"), chromedp.Flag("accept-lang", "zh-CN,zh"), chromedp.WindowSize(1280, 900))
}

func byTestID(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }

// TestConsoleInBrowser is an admin's session in a real browser set to Chinese: log in (the
// console answers in Chinese), find a user whose nickname has emoji and <b>, unbind with the
// in-page confirmation, switch the console to English with the layout's switch, create a menu,
// assign it to another user, and see it in that user's mobile info; switch back to Chinese,
// which outlives logging out. Each main page is screenshotted (written to docs/screenshots
// with UPDATE_SCREENSHOTS=1).
func TestConsoleInBrowser(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		consoleInBrowser(t, driver)
	})
}

func consoleInBrowser(t *testing.T, driver string) {
	ctx := chromium(t)
	app := webtest.Start(t, webtest.Options{Driver: driver})
	screenshot := func(t *testing.T, ctx context.Context, name string) {
		t.Helper()
		takeScreenshot(t, ctx, name, driver == models.DriverSQLite) // one set is enough
	}
	app.CreateAccount(t, "root", "admin-password", "admin")
	app.CreateAccount(t, "zoe", "zoe-password", "user")
	app.CreateAccount(t, "bob", "bob-password", "user")
	nick := "Zoë 🐱‍👤 <b>bold</b>"
	first := app.CheckBind(t, wechattest.Code("zoe-phone"))
	bind := app.Do(t, http.MethodPost, "/mobileApi/user/bind", map[string]any{
		"bindTicket": first.String("bindTicket"), "username": "zoe", "password": "zoe-password", "nickName": nick,
		"avatarUrl": "",
	})
	if bind.Code() != 1 {
		t.Fatalf("bind zoe: %s", bind.Raw)
	}
	zoeToken := bind.String("token")
	bobToken := app.BindNew(t, "bob-phone", "bob", "bob-password")
	app.CheckBind(t, wechattest.Code("never-bound-phone"))

	must := webtest.Steps(t, ctx)
	text := func(sel chromedp.CSS) string { t.Helper(); return webtest.TextContent(t, ctx, sel) }
	waitText := func(id, want string) {
		t.Helper()
		// A navigation (boosted or not) may replace the page under the poll; ask again until
		// the text shows up or 10 seconds pass.
		expr := `(() => { const el = document.querySelector('[data-testid="` + id + `"]'); return !!el && el.textContent.includes(` + strconv.Quote(want) + `); })()`
		webtest.WaitFor(t, ctx, fmt.Sprintf("%s to say %q", id, want), expr)
	}

	htmlLang := func() string {
		t.Helper()
		lang, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
		if err != nil {
			t.Fatal(err)
		}
		return lang
	}

	must("open the console", chromedp.Navigate(app.URL+"/admin/"), chromedp.WaitVisible(byTestID("login-form")))
	if got := text(byTestID("login-heading")); got != "登录管理后台" || htmlLang() != "zh-CN" {
		t.Fatalf("a Chinese browser gets the Chinese login page: %q, <html lang=%q>", got, htmlLang())
	}
	screenshot(t, ctx, "console-login.png")
	must("log in",
		chromedp.SetValue(byTestID("login-username"), "root"),
		chromedp.SetValue(byTestID("login-password"), "admin-password"),
		chromedp.Click(byTestID("login-submit")),
		chromedp.WaitVisible(byTestID("stats")),
	)
	if got := text(byTestID("stat-bound")); got != "2" {
		t.Fatalf("dashboard bound users: %q", got)
	}
	if got := text(byTestID("nav-users")); got != "用户" {
		t.Fatalf("the menu is in Chinese: %q", got)
	}
	screenshot(t, ctx, "console-dashboard.png")

	must("search for zoe by nickname",
		chromedp.Click(byTestID("nav-users")),
		chromedp.WaitVisible(byTestID("users-table")),
		chromedp.SetValue(byTestID("users-q"), "Zoë"),
		chromedp.Submit(byTestID("users-q")),
	)
	// The unfiltered list has zoe too: wait for the searched page (one row), then read it in one
	// evaluation, which a late swap of the body cannot split.
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`location.search.includes('q=') ? document.querySelectorAll('[data-testid="user-row"]').length : -1`))
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("search by nickname: want 1 row, got %d", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="nickname"]').textContent.trim()`)); got != nick {
		t.Fatalf("nickname: want %q as text, got %q", nick, got)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="nickname"] b').length`)); n != 0 {
		t.Fatal("the <b> in the nickname became an element")
	}
	must("clear the search", chromedp.Navigate(app.URL+"/admin/users"), chromedp.WaitVisible(byTestID("users-table")))
	screenshot(t, ctx, "console-users.png")

	must("open zoe's page",
		chromedp.Navigate(app.URL+"/admin/users?q=zoe"),
		chromedp.WaitVisible(byTestID("user-link")),
		chromedp.Click(byTestID("user-link")),
		chromedp.WaitVisible(byTestID("binding")),
	)
	if got := text(byTestID("user-username")); got != "zoe" {
		t.Fatalf("user page: %q", got)
	}
	screenshot(t, ctx, "console-user.png")
	must("ask to unbind", chromedp.Click(byTestID("unbind-open")), chromedp.WaitVisible(byTestID("unbind-confirm")))
	screenshot(t, ctx, "console-unbind-dialog.png")
	must("confirm", chromedp.Click(byTestID("unbind-confirm")))
	waitText("flash", "已解除绑定")
	must("see it unbound", chromedp.WaitVisible(byTestID("not-bound")))

	must("switch to English", chromedp.Click(byTestID("lang-en")))
	waitText("nav-users", "Users")
	if lang := htmlLang(); lang != "en" {
		t.Fatalf("after the switch <html lang> must be en, got %q", lang)
	}
	waitText("not-bound", "Not bound") // the same page, now in English
	if r := app.Authed(t, http.MethodGet, "/mobileApi/user/info", zoeToken, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("zoe's token after the console unbind: want 401, got %d", r.Status)
	}

	must("create a menu",
		chromedp.Click(byTestID("nav-menus")),
		chromedp.WaitVisible(byTestID("menu-form")),
		chromedp.SetValue(byTestID("menu-name-input"), "Orders 📦"),
		chromedp.SetValue(byTestID("menu-code-input"), "orders"),
		chromedp.SetValue(byTestID("menu-path-input"), "/pages/orders/index"),
		chromedp.Click(byTestID("menu-submit")),
	)
	waitText("menu-tree", "Orders 📦")
	// console-menus.png and console-user-menus.png are TestMenuTreesInBrowser's.
	must("create a menu with a taken code",
		chromedp.SetValue(byTestID("menu-name-input"), "Again"),
		chromedp.SetValue(byTestID("menu-code-input"), "orders"),
		chromedp.Click(byTestID("menu-submit")),
	)
	waitText("field-error-code", "already has this code") // a boosted form shows the 422 page too, the reason at the field
	if v, err := chromedp.Run(ctx, chromedp.Value(byTestID("menu-name-input"))); err != nil || v != "Again" {
		t.Fatalf("the refused form must keep what was typed, got %q (%v)", v, err)
	}

	bob, err := app.Store.AccountByUsername(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	must("assign it to bob",
		chromedp.Navigate(fmt.Sprintf("%s/admin/users/%d/menus", app.URL, bob.ID)),
		chromedp.WaitVisible(byTestID("menu-check-orders")),
		chromedp.Click(byTestID("menu-check-orders")),
	)
	must("save", chromedp.Click(byTestID("save-menus")))
	waitText("flash", "Menus saved")
	waitText("menu-list", "Orders 📦")

	info := app.Authed(t, http.MethodGet, "/mobileApi/user/info", bobToken, nil)
	list, _ := info.Body["menuList"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["code"] != "orders" || list[0].(map[string]any)["name"] != "Orders 📦" {
		t.Fatalf("bob's menuList must show the menu assigned in the console: %s", info.Raw)
	}

	must("WeChat users", chromedp.Click(byTestID("nav-wechat-users")), chromedp.WaitVisible(byTestID("wechat-table")))
	screenshot(t, ctx, "console-wechat-users.png")
	must("audit", chromedp.Click(byTestID("nav-audit")), chromedp.WaitVisible(byTestID("audit-table")))
	waitText("audit-table", "user's menus set")
	screenshot(t, ctx, "console-audit-en.png")

	must("switch back to Chinese", chromedp.Click(byTestID("lang-zh-CN")))
	waitText("audit-heading", "操作日志")
	waitText("audit-table", "设置用户菜单")
	screenshot(t, ctx, "console-audit.png")
	must("log out", chromedp.Click(byTestID("logout")), chromedp.WaitVisible(byTestID("login-form")))
	if got := text(byTestID("login-heading")); got != "登录管理后台" || htmlLang() != "zh-CN" {
		t.Fatalf("the language chosen outlives logging out: %q, <html lang=%q>", got, htmlLang())
	}
}

// takeScreenshot checks the page renders as a sane PNG and, with UPDATE_SCREENSHOTS=1, writes it
// to docs/screenshots for the README.
func takeScreenshot(t *testing.T, ctx context.Context, name string, save bool) {
	t.Helper()
	takeScreenshotAt(t, ctx, name, save, 800)
}

// takeScreenshotAt is takeScreenshot of a page at least minWidth pixels wide (a phone's is 390).
func takeScreenshotAt(t *testing.T, ctx context.Context, name string, save bool, minWidth int) {
	t.Helper()
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if img, err := png.Decode(bytes.NewReader(shot)); err != nil || img.Bounds().Dx() < minWidth {
		t.Fatalf("screenshot %s is not a sane PNG: %v", name, err)
	}
	if save {
		saveScreenshot(t, name, shot)
	}
}

// saveScreenshot writes a screenshot to docs/screenshots with UPDATE_SCREENSHOTS=1.
func saveScreenshot(t *testing.T, name string, shot []byte) {
	t.Helper()
	if os.Getenv("UPDATE_SCREENSHOTS") == "" {
		return
	}
	out := filepath.Join("..", "..", "docs", "screenshots", name)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", out)
}
