package console_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"wxbind/web/webtest"
	"wxbind/wechat/wechattest"
)

// prefersColorScheme makes the tab's system colour scheme light or dark.
func prefersColorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		return chromedp.Void{}, err
	}
}

// pageFits reports what on the page is wider than the screen (the page scrolls sideways) and
// which labels are squeezed into lines of a character or two.
const pageFits = `(() => {
	const out = [];
	const doc = document.documentElement;
	if (doc.scrollWidth > doc.clientWidth) {
		const wide = [...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > doc.clientWidth + 1 && !el.closest('[role=region]'))
			.slice(0, 3).map((el) => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + (el.dataset.testid ? '[' + el.dataset.testid + ']' : ''));
		out.push('page is ' + doc.scrollWidth + 'px wide on a ' + doc.clientWidth + 'px screen: ' + wide.join(', '));
	}
	for (const el of document.querySelectorAll('nav a, nav button, summary, th, td a, label, legend, button, [role=button], .pager a')) {
		const r = el.getBoundingClientRect();
		if (r.width === 0 || r.height === 0) continue; // not shown at this width
		// The element's own words only (a label's input or hint is not its text).
		const own = [...el.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim() !== '');
		if (own.length === 0) continue;
		const text = own.map((n) => n.textContent.trim()).join(' ');
		const tops = new Set();
		for (const n of own) {
			const range = document.createRange();
			range.selectNodeContents(n);
			for (const b of range.getClientRects()) if (b.width > 0) tops.add(Math.round(b.top));
		}
		const lines = tops.size;
		const chars = [...text.replace(/\s+/g, '')].length;
		// Squeezed: broken over lines of fewer than three characters each (微/信/用/户, roo/t).
		if (lines >= 2 && chars / lines < 3) out.push('squeezed: "' + text + '" takes ' + lines + ' lines at ' + Math.round(r.width) + 'px');
	}
	return out;
})()`

// wideLayout reports what is laid out as on a phone on a wide screen: the menu's toggle shown,
// its links hidden, a date range's inputs stacked or too narrow for a date.
const wideLayout = `(() => {
	const out = [];
	const shown = (el) => !!el && el.offsetParent !== null && el.getBoundingClientRect().width > 0;
	const q = (id) => document.querySelector('[data-testid="' + id + '"]');
	if (shown(q('phone-menu-toggle'))) out.push('the phone menu toggle shows');
	for (const id of ['nav-dashboard', 'nav-users', 'nav-wechat-users', 'nav-audit']) {
		if (!shown(q(id))) out.push(id + ' is hidden');
	}
	for (const [from, to] of [['users-created-from', 'users-created-to'], ['users-login-from', 'users-login-to']]) {
		const a = q(from).getBoundingClientRect(), b = q(to).getBoundingClientRect();
		if (Math.abs(a.top - b.top) > 2 || a.right > b.left) out.push(from + ' and ' + to + ' are not side by side: ' + JSON.stringify([a, b]));
		// Wide enough for a whole date (mm/dd/yyyy and the picker's icon: 140 px).
		if (a.width < 140 || b.width < 140) out.push(from + ' and ' + to + ' are ' + Math.round(a.width) + ' and ' + Math.round(b.width) + ' px wide');
	}
	return out;
})()`

// TestConsoleOnAPhone: at 390 px, on every main page of the console, nothing scrolls sideways
// (wide tables scroll inside their labelled region), no label is squeezed to a character a line,
// the menu folds into one button that opens, and axe finds nothing; the colour scheme follows the
// system and the switch pins dark, remembered across pages.
func TestConsoleOnAPhone(t *testing.T) {
	axe := webtest.AxeSource(t, filepath.Join("..", "devtools", "testdata", "axe"))
	app := webtest.Start(t, webtest.Options{})
	root := app.CreateAccount(t, "root", "admin-password", "admin")
	app.CreateAccount(t, "zoe", "zoe-password", "user")
	app.BindNew(t, "zoe-phone-with-a-long-name", "zoe", "zoe-password")
	app.CheckBind(t, wechattest.Code("never-bound"))
	ctx := webtest.Chromium(t, chromedp.Flag("lang", "zh-CN"), chromedp.Flag("accept-lang", "zh-CN,zh"), chromedp.WindowSize(390, 844))
	must := webtest.Steps(t, ctx)
	background := func() string {
		t.Helper()
		bg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.documentElement).backgroundColor`))
		if err != nil {
			t.Fatal(err)
		}
		return bg
	}
	dark := func(bg string) bool { // rgb(r, g, b): dark when every channel is low
		var r, g, b int
		fmt.Sscanf(bg, "rgb(%d, %d, %d)", &r, &g, &b)
		return r < 80 && g < 80 && b < 80
	}

	must("log in", chromedp.EmulateViewport(390, 844), prefersColorScheme("light"), chromedp.Navigate(app.URL+"/admin/login"), chromedp.WaitVisible(byTestID("login-form")),
		chromedp.SetValue(byTestID("login-username"), "root"), chromedp.SetValue(byTestID("login-password"), "admin-password"),
		chromedp.Click(byTestID("login-submit")), chromedp.WaitVisible(byTestID("stats")))

	pages := []string{"/admin/", "/admin/users", fmt.Sprintf("/admin/users/%d", root.ID), "/admin/users?q=zoe", "/admin/wechat-users", "/admin/audit", "/admin/menus", "/admin/account/password", "/admin/users/new"}
	for _, scheme := range []string{"light", "dark"} {
		must("system scheme "+scheme, prefersColorScheme(scheme))
		for _, path := range pages {
			must(path, chromedp.Navigate(app.URL+path), chromedp.WaitVisible(`main`))
			problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](pageFits))
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range problems {
				t.Errorf("%s (%s): %s", path, scheme, p)
			}
			if got := dark(background()); got != (scheme == "dark") {
				t.Errorf("%s: system scheme %s, page background %s", path, scheme, background())
			}
			webtest.AxeClean(t, ctx, axe, path+" ("+scheme+")")
		}
	}

	// Screenshots for the README (written with UPDATE_SCREENSHOTS=1): the users list on a phone,
	// light and dark.
	for _, scheme := range []string{"light", "dark"} {
		must("phone screenshot "+scheme, prefersColorScheme(scheme), chromedp.Navigate(app.URL+"/admin/users"), chromedp.WaitVisible(byTestID("users-table")))
		takeScreenshotAt(t, ctx, "console-users-phone-"+scheme+".png", true, 390)
	}

	// The menu is one button on a phone, and it opens to the pages.
	must("menu", chromedp.Navigate(app.URL+"/admin/"), chromedp.WaitVisible(byTestID("phone-menu-toggle")))
	if shown, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`getComputedStyle(document.querySelector('[data-testid="nav-users"]')).display !== 'none' && document.querySelector('[data-testid="nav-users"]').offsetParent !== null`)); shown {
		t.Error("the wide menu's links show on a phone")
	}
	must("open the menu", chromedp.Click(byTestID("phone-menu-toggle")), chromedp.WaitVisible(`[data-testid="phone-menu"] a[href="/admin/users"]`))

	// The switch pins dark over a light system, and it holds on the next page.
	must("light system", prefersColorScheme("light"), chromedp.Navigate(app.URL+"/admin/users"), chromedp.WaitVisible(byTestID("theme-switch")))
	must("switch to dark", chromedp.Click(byTestID("theme-switch")), chromedp.WaitVisible(`html[data-theme="dark"]`))
	must("another page", chromedp.Navigate(app.URL+"/admin/audit"), chromedp.WaitVisible(byTestID("audit-table")))
	if bg := background(); !dark(bg) {
		t.Fatalf("dark chosen with the switch, the next page's background is %s", bg)
	}
	webtest.AxeClean(t, ctx, axe, "audit, dark chosen")
	must("wide and dark", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(app.URL+"/admin/users"), chromedp.WaitVisible(byTestID("users-table")))
	// At desktop width the phone's toggle is gone, the menu's links show, and each date range's
	// two inputs sit side by side.
	wide, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](wideLayout))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range wide {
		t.Errorf("/admin/users at 1280 px: %s", p)
	}
	takeScreenshot(t, ctx, "console-users-dark.png", true)
}
