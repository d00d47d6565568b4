package devtools_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"wxbind/web/webtest"
)

// acceptLanguage makes the tab send Accept-Language: lang, as a browser set to lang does.
func acceptLanguage(lang string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return chromedp.Void{}, err
		}
		_, err := cdp.Call(ctx, t, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": lang}})
		return chromedp.Void{}, err
	}
}

// TestSimulatorAccessibility: in Chinese (the default) and English, on a laptop and a phone
// screen, axe finds nothing on each of the simulator's screens — launch, login, home and the
// unbind dialog — the page speaks the browser's language, the menu grid stays inside the
// phone frame, and Unbind asks first.
func TestSimulatorAccessibility(t *testing.T) {
	axe := webtest.AxeSource(t, filepath.Join("testdata", "axe"))
	app := webtest.Start(t, webtest.Options{Sandbox: true})
	alice := app.CreateAccount(t, "alice", "correct-horse", "user")
	seedMenus(t, app, alice.ID)

	for _, lang := range []struct{ accept, html, launchTitle, homeTitle string }{
		{"zh-CN,zh;q=0.9", "zh-CN", "启动", "首页"},
		{"en-US,en;q=0.9", "en", "Launch", "Home"},
	} {
		for _, width := range []int{1280, 390} {
			t.Run(fmt.Sprintf("%s/%dpx", lang.html, width), func(t *testing.T) {
				ctx := webtest.Chromium(t, chromedp.WindowSize(width, 900))
				must := webtest.Steps(t, ctx)
				text := func(id string) string { t.Helper(); return webtest.TextContent(t, ctx, tid(id)) }

				must("open the simulator", acceptLanguage(lang.accept), chromedp.EmulateViewport(int64(width), 900), chromedp.Navigate(app.URL+"/dev/simulator"), chromedp.WaitVisible(tid("wx-login")))
				if got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`)); got != lang.html {
					t.Fatalf("<html lang>: want %q for Accept-Language %q, got %q", lang.html, lang.accept, got)
				}
				if got := text("nav-title"); got != lang.launchTitle {
					t.Errorf("title bar: want %q, got %q", lang.launchTitle, got)
				}
				webtest.AxeClean(t, ctx, axe, "launch")

				must("wx.login", chromedp.SetValue(tid("wechat-name"), "a11y-"+lang.html+fmt.Sprint(width)), chromedp.Click(tid("wx-login")), chromedp.WaitVisible(tid("page-login")))
				webtest.AxeClean(t, ctx, axe, "login")

				must("bind",
					chromedp.SetValue(tid("bind-username"), "alice"), chromedp.SetValue(tid("bind-password"), "correct-horse"),
					chromedp.Click(tid("bind-submit")), chromedp.WaitVisible(tid("menu-orders")), chromedp.WaitNotVisible(tid("toast")))
				if got := text("nav-title"); got != lang.homeTitle {
					t.Errorf("title bar: want %q, got %q", lang.homeTitle, got)
				}
				// The network log's entries scroll, so they must take keyboard focus.
				if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll('[data-testid="log"] pre')].filter((p) => p.tabIndex !== 0).length`)); n != 0 {
					t.Errorf("%d network log entries cannot take keyboard focus", n)
				}
				webtest.AxeClean(t, ctx, axe, "home")

				// Every tile inside the phone's screen, and no sideways scrolling in the grid.
				overflow, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
					const phone = document.querySelector('.phone').getBoundingClientRect();
					const border = parseFloat(getComputedStyle(document.querySelector('.phone')).borderRightWidth);
					const grid = document.querySelector('[data-testid="menu-grid"]');
					const out = [...grid.children].map((tile) => tile.getBoundingClientRect().right - (phone.right - border)).filter((d) => d > 0.5);
					if (grid.scrollWidth > grid.clientWidth) out.push('grid scrolls by ' + (grid.scrollWidth - grid.clientWidth));
					return out.join(', ');
				})()`))
				if err != nil || overflow != "" {
					t.Errorf("the menu grid overflows the phone frame: %s %v", overflow, err)
				}
				if width == 390 {
					if d, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`)); d > 0 {
						t.Errorf("at 390 px the page scrolls sideways by %d px", d)
					}
				}

				must("Unbind opens the dialog", chromedp.Click(tid("unbind")), chromedp.WaitVisible(tid("modal")))
				if focused, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.dataset.testid || ''`)); focused != "modal-cancel" {
					t.Errorf("the dialog must take focus on Cancel, focus is on %q", focused)
				}
				webtest.AxeClean(t, ctx, axe, "unbind dialog")
				must("Cancel keeps the binding", chromedp.Click(tid("modal-cancel")), chromedp.WaitNotVisible(tid("modal")))
				if r := app.CheckBind(t, "sandbox:a11y-"+lang.html+fmt.Sprint(width)); r.Code() != 1 {
					t.Fatalf("after Cancel the WeChat user must still be bound: %s", r.Raw)
				}
				must("Unbind, OK", chromedp.Click(tid("unbind")), chromedp.WaitVisible(tid("modal")), chromedp.Click(tid("modal-confirm")), chromedp.WaitVisible(tid("page-launch")))
				if r := app.CheckBind(t, "sandbox:a11y-"+lang.html+fmt.Sprint(width)); r.Code() != 301 {
					t.Fatalf("after OK the WeChat user must be unbound: %s", r.Raw)
				}
				webtest.AxeClean(t, ctx, axe, "launch after unbind")
			})
		}
	}
}
