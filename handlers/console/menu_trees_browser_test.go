package console_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"wxbind/account"
	"wxbind/models"
	"wxbind/web/webtest"
)

// TestMenuTreesInBrowser: in a real Chromium, the cascading checkbox tree ticks a parent's
// subtree and shows a partly ticked parent half-ticked (and a role saved so keeps what was
// ticked); a menu dragged to another parent lands there; at 390 px wide no label overlaps
// another on the trees. Screenshots go to docs/screenshots with UPDATE_SCREENSHOTS=1.
func TestMenuTreesInBrowser(t *testing.T) {
	app := webtest.Start(t, webtest.Options{Driver: models.DriverSQLite})
	ctx := chromium(t)
	bg := context.Background()
	actor := account.Actor{Name: "test"}
	app.CreateAccount(t, "root", "admin-password", "admin")
	ids := map[string]uint64{}
	for i, m := range []struct{ code, name, icon, parent, path string }{
		{"home", "首页", "🏠", "", "/pages/index/index"},
		{"orders", "订单", "📦", "", "/pages/orders/index"},
		{"orders.list", "订单列表", "", "orders", "/pages/orders/list"},
		{"orders.new", "新建订单", "", "orders", "/pages/orders/new"},
		{"orders.scan", "扫码核销", "📷", "orders", "/pages/orders/scan"},
		{"settings", "设置", "⚙️", "", "/pages/settings/index"},
		{"settings.debug", "内部调试 with a rather long name", "", "settings", "/pages/settings/debug/a/long/path/to/wrap"},
	} {
		in := account.MenuInput{Name: m.name, Code: m.code, Icon: m.icon, Path: m.path, Sort: i, Visible: m.code != "settings.debug"}
		if m.parent != "" {
			p := ids[m.parent]
			in.ParentID = &p
		}
		menu, err := app.Accounts.CreateMenu(bg, actor, in)
		if err != nil {
			t.Fatal(err)
		}
		ids[m.code] = menu.ID
	}
	clerk, err := app.Accounts.CreateMenuRole(bg, actor, account.MenuRoleInput{Name: "店员", IsDefault: true, MenuIDs: []uint64{ids["home"], ids["orders.list"]}})
	if err != nil {
		t.Fatal(err)
	}
	bob := app.CreateAccount(t, "bob", "bob-password", "user")
	if err := app.Accounts.SetAccountMenus(bg, actor, bob.ID, []uint64{clerk.ID}, []uint64{ids["orders.scan"], ids["settings.debug"]}, []uint64{ids["home"]}); err != nil {
		t.Fatal(err)
	}

	must := webtest.Steps(t, ctx)
	eval := func(expr string) bool {
		t.Helper()
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return ok
	}
	box := func(code string) string { return `document.querySelector('[data-testid="menu-check-` + code + `"]')` }
	waitFor := func(what, expr string) { t.Helper(); webtest.WaitFor(t, ctx, what, expr) }
	shot := func(name string) { takeScreenshot(t, ctx, name, true) }

	must("log in",
		chromedp.Navigate(app.URL+"/admin/login"),
		chromedp.SetValue(byTestID("login-username"), "root"),
		chromedp.SetValue(byTestID("login-password"), "admin-password"),
		chromedp.Click(byTestID("login-submit")),
		chromedp.WaitVisible(byTestID("stats")),
	)

	// A new role: tick the parent, and its children are ticked.
	must("new role", chromedp.Navigate(app.URL+"/admin/menu-roles/new"), chromedp.WaitVisible(byTestID("menu-check-orders")))
	must("tick orders", chromedp.Click(byTestID("menu-check-orders")))
	if !eval(box("orders.list") + ".checked && " + box("orders.new") + ".checked && " + box("orders.scan") + ".checked && !" + box("home") + ".checked") {
		t.Fatal("ticking a parent must tick its children, and nothing else")
	}
	// Untick one child: the parent is half-ticked.
	must("untick orders.new", chromedp.Click(byTestID("menu-check-orders.new")))
	if !eval(box("orders") + ".indeterminate && !" + box("orders") + ".checked && " + box("orders.list") + ".checked") {
		t.Fatal("a partly ticked subtree must show its parent half-ticked")
	}
	// Clicking the half-ticked parent ticks the whole subtree (as browsers and tree widgets do);
	// clicking it again clears it.
	must("tick the half-ticked orders", chromedp.Click(byTestID("menu-check-orders")))
	if !eval(box("orders") + ".checked && !" + box("orders") + ".indeterminate && " + box("orders.new") + ".checked") {
		t.Fatal("clicking a half-ticked parent must tick its whole subtree")
	}
	must("untick orders", chromedp.Click(byTestID("menu-check-orders")))
	if eval(box("orders.list") + ".checked || " + box("orders.scan") + ".checked || " + box("orders") + ".indeterminate") {
		t.Fatal("unticking a parent must clear its subtree")
	}
	must("tick orders again, untick one", chromedp.Click(byTestID("menu-check-orders")), chromedp.Click(byTestID("menu-check-orders.new")))
	must("name it", chromedp.SetValue(byTestID("menu-role-name-input"), "店长"))
	noOverlap(t, ctx, "the role form at 1280 px")
	shot("console-menu-role.png")
	must("save", chromedp.Click(byTestID("menu-role-submit")))
	waitFor("the roles list", `!!document.querySelector('[data-testid="menu-roles-table"]') && document.body.textContent.includes('店长')`)
	shot("console-menu-roles.png")
	roles, _ := app.Accounts.MenuRoles(bg)
	var manager account.MenuRole
	for _, r := range roles {
		if r.Name == "店长" {
			manager, _ = app.Accounts.MenuRole(bg, r.ID)
		}
	}
	if want := []uint64{ids["orders.list"], ids["orders.scan"]}; !slices.Equal(manager.MenuIDs, want) {
		t.Fatalf("the role keeps what was ticked: %v, want %v", manager.MenuIDs, want)
	}
	// Opened again, the parent shows half-ticked from the saved menus.
	must("edit it", chromedp.Navigate(fmt.Sprintf("%s/admin/menu-roles/%d", app.URL, manager.ID)), chromedp.WaitVisible(byTestID("menu-check-orders")))
	waitFor("orders half-ticked on load", box("orders")+".indeterminate")

	// Bob's page: one tree, each menu labelled with where it comes from.
	must("bob", chromedp.Navigate(fmt.Sprintf("%s/admin/users/%d", app.URL, bob.ID)), chromedp.WaitVisible(byTestID("menu-list")))
	for _, id := range []string{"source-role", "source-extra", "source-ancestor", "source-hidden"} {
		if !eval(`!!document.querySelector('[data-testid="` + id + `"]')`) {
			t.Errorf("bob's menu tree lacks a %s label", id)
		}
	}
	shot("console-user-effective-menus.png")
	must("bob's menus", chromedp.Navigate(fmt.Sprintf("%s/admin/users/%d/menus", app.URL, bob.ID)), chromedp.WaitVisible(byTestID("menu-check-settings")))
	// The box that could not be clicked before: its code sat over the next row.
	// Bob's only extra under settings is settings.debug, so settings shows ticked; a click on
	// it clears both.
	if !eval(box("settings") + ".checked") {
		t.Fatal("a menu whose children are all ticked shows ticked")
	}
	must("click settings", chromedp.Click(byTestID("menu-check-settings")))
	if eval(box("settings") + ".checked || " + box("settings.debug") + ".checked") {
		t.Fatal("the settings box must take the click, and clear its subtree")
	}
	must("click settings again", chromedp.Click(byTestID("menu-check-settings")))
	noOverlap(t, ctx, "bob's menus at 1280 px")
	shot("console-user-menus.png")

	// Drag settings.debug from settings to under orders, as the first child.
	must("menus", chromedp.Navigate(app.URL+"/admin/menus"), chromedp.WaitVisible(byTestID("menu-tree")))
	noOverlap(t, ctx, "the menus page at 1280 px")
	shot("console-menus.png")
	center := func(sel string) (float64, float64) {
		t.Helper()
		xy, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => { const r = document.querySelector(`+strconv.Quote(sel)+`).getBoundingClientRect(); return [r.x + r.width/2, r.y + r.height/2]; })()`))
		if err != nil || len(xy) != 2 {
			t.Fatalf("locating %s: %v", sel, err)
		}
		return xy[0], xy[1]
	}
	fromX, fromY := center(`li[data-menu-code="settings.debug"] .drag-handle`)
	toX, toY := center(`li[data-menu-code="orders.list"] .drag-handle`)
	steps := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(chromedp.MouseMoved, fromX, fromY),
		chromedp.MouseEvent(chromedp.MousePressed, fromX, fromY, chromedp.ButtonLeft, chromedp.ClickCount(1))}
	for i := 1; i <= 20; i++ {
		f := float64(i) / 20
		steps = append(steps, chromedp.MouseEvent(chromedp.MouseMoved, fromX+(toX-fromX)*f, fromY+(toY-fromY)*f-4, chromedp.ButtonLeft), chromedp.Sleep(15*time.Millisecond))
	}
	steps = append(steps, chromedp.MouseEvent(chromedp.MouseReleased, toX, toY-4, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	must("drag", steps...)
	waitFor("the page after the drop", `!!document.querySelector('[data-testid="flash"]')`)
	debug, _ := app.Accounts.Menu(bg, ids["settings.debug"])
	if debug.ParentID == nil || *debug.ParentID != ids["orders"] {
		t.Fatalf("the dragged menu must now be under orders, parent %v", debug.ParentID)
	}
	tree, _ := app.Accounts.Menus(bg)
	for _, b := range tree {
		if b.Code == "orders" && (len(b.Children) == 0 || b.Children[0].Code != "settings.debug") {
			t.Fatalf("the dragged menu must be first under orders: %+v", b.Children)
		}
	}

	// At 390 px (a phone): still no label over another.
	must("narrow", chromedp.EmulateViewport(390, 844))
	for _, page := range []string{"/admin/menus", fmt.Sprintf("/admin/users/%d/menus", bob.ID), fmt.Sprintf("/admin/menu-roles/%d", manager.ID), fmt.Sprintf("/admin/users/%d", bob.ID)} {
		must(page, chromedp.Navigate(app.URL+page), chromedp.WaitReady("body"))
		noOverlap(t, ctx, page+" at 390 px")
	}
	must("menus at 390", chromedp.Navigate(app.URL+"/admin/menus"), chromedp.WaitReady("body"))
	narrowShot(t, ctx, "console-menus-390.png")
}

// noOverlap fails when two text boxes of a tree row (names, codes, badges, checkboxes) overlap,
// or one sticks out of the window.
func noOverlap(t *testing.T, ctx context.Context, where string) {
	t.Helper()
	const js = `(() => {
		const els = [...document.querySelectorAll('ul.tree li > .menu-row > *, ul.tree li > .check-row > *, ul.tree li > .menu-row .menu-actions > *')]
			.filter(e => e.getClientRects().length > 0);
		const boxes = els.map(e => [e, e.getBoundingClientRect()]);
		const width = document.documentElement.clientWidth;
		const out = [];
		for (const [e, r] of boxes) {
			if (r.right > width + 1) out.push('off-screen: ' + e.textContent.trim().slice(0, 30));
		}
		for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
			const [a, ra] = boxes[i], [b, rb] = boxes[j];
			if (a.contains(b) || b.contains(a)) continue;
			const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left), h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
			if (w > 1 && h > 1) out.push(a.textContent.trim().slice(0, 30) + ' × ' + b.textContent.trim().slice(0, 30));
		}
		return [String(boxes.length)].concat(out.slice(0, 5));
	})()`
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](js))
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	if n, _ := strconv.Atoi(got[0]); n < 4 {
		t.Fatalf("%s: found only %d tree labels to check", where, n)
	}
	if len(got) > 1 {
		t.Errorf("%s: labels overlap: %v", where, got[1:])
	}
}

// narrowShot saves a phone-width screenshot with UPDATE_SCREENSHOTS=1.
func narrowShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil || len(shot) == 0 {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	saveScreenshot(t, name, shot)
}
