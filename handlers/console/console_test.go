package console_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"wxbind/account"
	"wxbind/models"
	"wxbind/models/modelstest"
	"wxbind/web/webtest"
	"wxbind/wechat/wechattest"
)

// TestLoginLogout covers the login form (in the default language, Chinese): wrong password,
// role user and disabled accounts refused like a wrong password, a fresh session token at login, logout ending the session.
func TestLoginLogout(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		app.CreateAccount(t, "root", "admin-password", "admin")
		app.CreateAccount(t, "plain", "plain-password", "user")
		gone := app.CreateAccount(t, "gone", "gone-password", "staff")
		if err := app.DB.Gorm.Model(&gone).Update("status", models.StatusDisabled).Error; err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t, app)

		form := b.get("/admin/login")
		mustStatus(t, "login form", form, http.StatusOK)
		if form.testid("login-form").Length() != 1 {
			t.Fatal("login page has no login form")
		}

		wrong := b.post("/admin/login", url.Values{"username": {"root"}, "password": {"nope-nope"}})
		mustStatus(t, "wrong password", wrong, http.StatusUnauthorized)
		if got := wrong.testid("login-error").Text(); !strings.Contains(got, "用户名或密码错误") {
			t.Fatalf("wrong password message: %q", got)
		}
		if v, _ := wrong.testid("login-username").Attr("value"); v != "root" {
			t.Fatalf("the username typed must be kept, got %q", v)
		}

		// A right password of an account that may not use the console (role user, or disabled)
		// answers byte for byte like a wrong one; only the audit log says why.
		for _, name := range []string{"plain", "gone"} {
			wrong := b.post("/admin/login", url.Values{"username": {name}, "password": {"wrong-password"}})
			right := b.post("/admin/login", url.Values{"username": {name}, "password": {name + "-password"}})
			mustStatus(t, name+" with the right password", right, http.StatusUnauthorized)
			if right.Body != wrong.Body || !strings.Contains(right.testid("login-error").Text(), "用户名或密码错误") {
				t.Fatalf("%s: the right password must answer like a wrong one:\nright %s\nwrong %s", name, right.Body, wrong.Body)
			}
			for _, h := range []string{"Retry-After", "Set-Cookie", "Content-Length", "Content-Type"} {
				if right.Header.Get(h) != wrong.Header.Get(h) {
					t.Fatalf("%s: header %s differs: right %q, wrong %q", name, h, right.Header.Get(h), wrong.Header.Get(h))
				}
			}
		}
		entries, _, err := app.Store.ListAuditEntries(context.Background(), models.AuditFilter{Action: account.ActionConsoleLoginFailed}, models.Page{Desc: true})
		if err != nil {
			t.Fatal(err)
		}
		var reasons []string
		for _, e := range entries {
			reasons = append(reasons, e.Actor+": "+e.Detail)
		}
		all := strings.Join(reasons, "\n")
		for _, want := range []string{`plain: {"Reason":"no_console_access"`, `gone: {"Reason":"account_disabled"`, `plain: {"Reason":"wrong_credentials"`} {
			if !strings.Contains(all, want) {
				t.Fatalf("the audit must record the real reason %q; it has:\n%s", want, all)
			}
		}

		// A session token held before login (say, planted by someone else) is replaced at login.
		b.get("/admin/login?next=/admin/audit")
		before := b.sessionCookie()
		p := b.post("/admin/login", url.Values{"username": {"root"}, "password": {"admin-password"}, "next": {"/admin/audit"}})
		mustRedirect(t, "login", p, "/admin/audit")
		after := b.sessionCookie()
		if after == "" || after == before {
			t.Fatalf("login must issue a new session token (before %q, after %q)", before, after)
		}
		c := p.Header.Get("Set-Cookie")
		if !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax") {
			t.Fatalf("session cookie must be HttpOnly and SameSite=Lax: %s", c)
		}
		var n int64
		app.DB.Gorm.Table("sessions").Where("token = ?", after).Count(&n)
		if n != 0 {
			t.Fatal("the sessions table must hold the token's hash, not the token")
		}

		dash := b.get("/admin/")
		mustStatus(t, "dashboard", dash, http.StatusOK)
		if dash.testid("logout-form").Length() != 1 {
			t.Fatal("the layout must carry the logout form")
		}

		// An open redirect through next is refused.
		b2 := newBrowser(t, app)
		mustRedirect(t, "next elsewhere", b2.post("/admin/login", url.Values{"username": {"root"}, "password": {"admin-password"}, "next": {"//evil.example/"}}), "/admin/")

		mustRedirect(t, "logout", b.post("/admin/logout", nil), "/admin/login")
		if p := b.get("/admin/"); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/admin/login") {
			t.Fatalf("after logout the dashboard must redirect to login, got %d %q", p.Status, p.Location)
		}
		// Replaying the old cookie does not bring the session back.
		replay := newBrowser(t, app)
		u, _ := url.Parse(app.URL + "/admin/")
		replay.client.Jar.SetCookies(u, []*http.Cookie{{Name: "wxbind_console", Value: after, Path: "/admin"}})
		if p := replay.get("/admin/"); p.Status != http.StatusSeeOther {
			t.Fatalf("a logged-out session token must not work, got %d", p.Status)
		}
	})
}

// TestLoginNextStaysInTheConsole: the login's next= is followed only to a console path; a control
// character or backslash (raw or percent-encoded) or a dot segment sends the person to /admin/
// instead — issue 11's /admin/../%09/evil.example became a Location with a raw tab, which
// Chromium resolved outside /admin/.
func TestLoginNextStaysInTheConsole(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		app.CreateAccount(t, "root", "admin-password", "admin")
		for _, tc := range []struct{ next, want string }{
			{"/admin/../\t/evil.example", "/admin/"}, // what the query's %09 decodes to
			{"/admin/../%09/evil.example", "/admin/"},
			{"/admin/%2e%2e/%2E%2E/evil", "/admin/"},
			{"/admin/./users", "/admin/"},
			{"/admin/users/..", "/admin/"},
			{"/admin/x%3F/../../evil", "/admin/"}, // an encoded ? does not end the path
			{"/admin/users\n/x", "/admin/"},
			{"/admin/%0d%0aSet-Cookie:x=1", "/admin/"},
			{"/admin/%5c%5cevil.example", "/admin/"},
			{"/admin/\u0085x", "/admin/"}, // a C1 control
			{"/admin/%zz", "/admin/"},
			{"/admin/audit", "/admin/audit"},
			{"/admin/users?q=..%2F&page=2", "/admin/users?q=..%2F&page=2"},
		} {
			b := newBrowser(t, app)
			form := b.get("/admin/login?next=" + url.QueryEscape(tc.next))
			if v, _ := form.testid("login-form").Find(`input[name=next]`).Attr("value"); v != tc.want {
				t.Errorf("login form for next=%q carries %q, want %q", tc.next, v, tc.want)
			}
			p := b.post("/admin/login", url.Values{"username": {"root"}, "password": {"admin-password"}, "next": {tc.next}})
			if p.Status != http.StatusSeeOther || p.Location != tc.want {
				t.Errorf("login with next=%q: want 303 to %q, got %d to %q", tc.next, tc.want, p.Status, p.Location)
			}
		}
	})
}

// TestConsoleFormOverTheLimit: a console form over the body limit (64 KB) answers 413 with a page
// that says so in the reader's language, and nothing is saved — it used to reach the handler as
// an empty form and answer 422.
func TestConsoleFormOverTheLimit(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		app.CreateAccount(t, "root", "admin-password", "admin")
		big := strings.Repeat("x", 200<<10)
		for _, tc := range []struct{ lang, want string }{{"", "64 KB"}, {"en-US,en;q=0.9", "over the 64 KB the console accepts"}} {
			b := newBrowserIn(t, app, tc.lang)
			b.login("root", "admin-password")
			p := b.post("/admin/menus", url.Values{"name": {"Orders"}, "code": {"orders"}, "path": {"/pages/orders/index"}, "icon": {big}})
			mustStatus(t, "200 KB menu form", p, http.StatusRequestEntityTooLarge)
			if got := p.testid("message-text").Text(); !strings.Contains(got, tc.want) || (tc.lang == "" && !strings.Contains(got, "表单超过")) {
				t.Fatalf("413 page for %q says %q, want %q", tc.lang, got, tc.want)
			}
			login := newBrowserIn(t, app, tc.lang).post("/admin/login", url.Values{"username": {"root"}, "password": {big}})
			mustStatus(t, "200 KB login form", login, http.StatusRequestEntityTooLarge)
		}
		var n int64
		app.DB.Gorm.Model(&models.Menu{}).Count(&n)
		if n != 0 {
			t.Fatalf("a refused form saved %d menus", n)
		}
	})
}

// TestLoginThrottled refuses// TestLoginThrottled refuses a username after 5 failures in 15 minutes, even with the right
// password, and says why.
func TestLoginThrottled(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		app.CreateAccount(t, "root", "admin-password", "admin")
		b := newBrowser(t, app)
		for i := 0; i < account.MaxFailedLoginsPerUserAddress; i++ {
			mustStatus(t, "wrong password", b.post("/admin/login", url.Values{"username": {"root"}, "password": {"wrong-password"}}), http.StatusUnauthorized)
		}
		p := b.post("/admin/login", url.Values{"username": {"root"}, "password": {"admin-password"}})
		mustStatus(t, "throttled", p, http.StatusTooManyRequests)
		if !strings.Contains(p.testid("login-error").Text(), "登录失败次数过多") {
			t.Fatalf("throttle message: %q", p.testid("login-error").Text())
		}
		// Another username from the same IP is still let in (the per-IP limit is higher).
		app.CreateAccount(t, "other", "other-password", "staff")
		newBrowser(t, app).login("other", "other-password")
	})
}

// TestNicknameShownAsText: a nickname with emoji and HTML is shown exactly, as text.
func TestNicknameShownAsText(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		app.CreateAccount(t, "root", "admin-password", "admin")
		app.CreateAccount(t, "alice", "alice-password", "user")
		nick := "Ali 🐱‍👤 <b>ce</b><script>alert(1)</script>"
		first := app.CheckBind(t, wechattest.Code("alice-phone"))
		bind := app.Do(t, http.MethodPost, "/mobileApi/user/bind", map[string]any{
			"bindTicket": first.String("bindTicket"), "username": "alice", "password": "alice-password", "nickName": nick,
		})
		if bind.Code() != 1 {
			t.Fatalf("bind: %s", bind.Raw)
		}
		b := newBrowser(t, app)
		b.login("root", "admin-password")
		for _, path := range []string{"/admin/users", "/admin/users?q=Ali", "/admin/wechat-users"} {
			p := b.get(path)
			mustStatus(t, path, p, http.StatusOK)
			n := p.testid("nickname")
			if n.Length() != 1 || n.Text() != nick {
				t.Fatalf("%s: want the nickname %q as text, got %d elements %q", path, nick, n.Length(), n.Text())
			}
			if n.Find("b, script").Length() != 0 || p.Doc.Find("main script").Length() != 0 {
				t.Fatalf("%s: HTML in a nickname must not become elements", path)
			}
			if strings.Contains(p.Body, "<b>ce</b>") {
				t.Fatalf("%s: raw HTML of the nickname in the page", path)
			}
		}
		users := b.get("/admin/users")
		link := users.testid("user-link").First()
		href, _ := link.Attr("href")
		detail := b.get(href)
		if detail.testid("nickname").Text() != nick {
			t.Fatalf("user page nickname: %q", detail.testid("nickname").Text())
		}
		// Support staff match it with WeChat's and payment logs: whole on the user page, with a
		// copy button; shortened in the list, whole in its tooltip.
		whole := wechattest.OpenID("alice-phone")
		if openid := detail.testid("openid").Text(); openid != whole || detail.testid("copy-openid").Length() != 1 {
			t.Fatalf("the user page must show the whole openid %q with a copy button, got %q", whole, openid)
		}
		short := users.testid("short-openid").First()
		if title, _ := short.Attr("title"); title != whole || strings.Contains(short.Text(), whole) {
			t.Fatalf("the list shows %q with tooltip %q, want it shortened with %q in the tooltip", short.Text(), title, whole)
		}
	})
}

// TestConsoleUnbind: staff unbinds from the user's page; every mini-program token dies at once
// and the audit log says who did it.
func TestConsoleUnbind(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		app.CreateAccount(t, "helper", "staff-password", "staff")
		bob := app.CreateAccount(t, "bob", "bob-password", "user")
		token := app.BindNew(t, "bob-phone", "bob", "bob-password")
		second := app.CheckBind(t, wechattest.Code("bob-phone")).String("token")

		b := newBrowserIn(t, app, "en-US,en;q=0.9")
		b.login("helper", "staff-password")
		path := fmt.Sprintf("/admin/users/%d", bob.ID)
		p := b.get(path)
		if got := p.testid("active-tokens").Text(); got != "2" {
			t.Fatalf("active tokens before unbind: %q", got)
		}
		if p.testid("unbind-dialog").Length() != 1 || p.Doc.Find(`dialog [data-testid="unbind-form"]`).Length() != 1 {
			t.Fatal("the unbind form must sit in an in-page <dialog>")
		}
		mustRedirect(t, "unbind", b.post(path+"/unbind", nil), path)
		for _, tok := range []string{token, second} {
			if r := app.Authed(t, http.MethodGet, "/mobileApi/user/info", tok, nil); r.Status != http.StatusUnauthorized {
				t.Fatalf("token after console unbind: want 401, got %d", r.Status)
			}
		}
		after := b.get(path)
		if after.testid("not-bound").Length() != 1 || after.testid("active-tokens").Text() != "0" {
			t.Fatalf("user page after unbind must say not bound, 0 tokens:\n%s", after.Body)
		}
		if !strings.Contains(after.testid("flash").Text(), "Unbound") {
			t.Fatalf("flash after unbind: %q", after.testid("flash").Text())
		}
		audit := b.get("/admin/audit?action=unbind")
		row := audit.testid("audit-row").First()
		if !strings.Contains(row.Text(), "helper") || !strings.Contains(row.Text(), "unbind") {
			t.Fatalf("audit must record helper's unbind: %q", row.Text())
		}
		// Unbinding again says so instead of failing.
		mustRedirect(t, "second unbind", b.post(path+"/unbind", nil), path)
		if !strings.Contains(b.get(path).testid("flash").Text(), "not bound") {
			t.Fatal("a second unbind must say the account is not bound")
		}
	})
}

// TestMenusReachTheMiniProgram: an admin creates menus, assigns them to one user and, in bulk,
// to others; the mini-program's info shows exactly the assigned set.
func TestMenusReachTheMiniProgram(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		app.CreateAccount(t, "root", "admin-password", "admin")
		alice := app.CreateAccount(t, "alice", "alice-password", "user")
		bob := app.CreateAccount(t, "bob", "bob-password", "user")
		carol := app.CreateAccount(t, "carol", "carol-password", "user")
		aliceToken := app.BindNew(t, "alice-phone", "alice", "alice-password")
		bobToken := app.BindNew(t, "bob-phone", "bob", "bob-password")
		ctx := context.Background()

		b := newBrowserIn(t, app, "en")
		b.login("root", "admin-password")
		mustRedirect(t, "create menu", b.post("/admin/menus", url.Values{
			"name": {"Orders"}, "code": {"orders"}, "path": {"/pages/orders/index"}, "icon": {"cart"}, "sort": {"1"}, "visible": {"1"},
		}), "/admin/menus")
		menus, err := app.Store.AllMenus(ctx)
		if err != nil || len(menus) != 1 {
			t.Fatalf("menus: %v %v", menus, err)
		}
		orders := menus[0]
		mustRedirect(t, "create child", b.post("/admin/menus", url.Values{
			"name": {"Refunds"}, "code": {"orders.refunds"}, "path": {"/pages/refunds/index"}, "parent_id": {fmt.Sprint(orders.ID)}, "sort": {"2"}, "visible": {"1"},
		}), "/admin/menus")
		dup := b.post("/admin/menus", url.Values{"name": {"Again"}, "code": {"orders"}, "visible": {"1"}})
		mustStatus(t, "duplicate code", dup, http.StatusUnprocessableEntity)
		if v, _ := dup.testid("menu-name-input").Attr("value"); v != "Again" || !strings.Contains(dup.testid("field-error-code").Text(), "already has this code") {
			t.Fatalf("a refused menu must come back with its values and the reason at the field: %q %q", v, dup.testid("field-error-code").Text())
		}
		if inv, _ := dup.testid("menu-code-input").Attr("aria-invalid"); inv != "true" {
			t.Fatalf("the refused field must be marked invalid, aria-invalid=%q", inv)
		}
		menus, _ = app.Store.AllMenus(ctx)
		refunds := menus[1]

		page := b.get(fmt.Sprintf("/admin/users/%d/menus", alice.ID))
		if page.Doc.Find(`input[type=checkbox][name=menu_id]`).Length() != 2 {
			t.Fatalf("the checkbox tree must list both menus:\n%s", page.Body)
		}
		if v, _ := page.testid("menu-check-orders").Attr("value"); v != fmt.Sprint(orders.ID) {
			t.Fatalf("checkbox value must be the menu id, got %q", v)
		}
		mustRedirect(t, "assign", b.post(fmt.Sprintf("/admin/users/%d/menus", alice.ID), url.Values{
			"menu_id": {fmt.Sprint(orders.ID), fmt.Sprint(refunds.ID)},
		}), fmt.Sprintf("/admin/users/%d", alice.ID))

		info := app.Authed(t, http.MethodGet, "/mobileApi/user/info", aliceToken, nil)
		list, _ := info.Body["menuList"].([]any)
		if len(list) != 1 {
			t.Fatalf("alice's menuList: %s", info.Raw)
		}
		root := list[0].(map[string]any)
		kids, _ := root["children"].([]any)
		if root["code"] != "orders" || root["path"] != "/pages/orders/index" || len(kids) != 1 || kids[0].(map[string]any)["code"] != "orders.refunds" {
			t.Fatalf("alice's menu tree: %s", info.Raw)
		}
		checked := b.get(fmt.Sprintf("/admin/users/%d/menus", alice.ID))
		if _, on := checked.testid("menu-check-orders").Attr("checked"); !on {
			t.Fatal("alice's assigned menus must be checked on her page")
		}

		// Replacing with an empty set removes everything.
		mustRedirect(t, "clear", b.post(fmt.Sprintf("/admin/users/%d/menus", alice.ID), url.Values{}), fmt.Sprintf("/admin/users/%d", alice.ID))
		if l, _ := app.Authed(t, http.MethodGet, "/mobileApi/user/info", aliceToken, nil).Body["menuList"].([]any); len(l) != 0 {
			t.Fatalf("after clearing, menuList must be empty: %v", l)
		}

		// Bulk: bob and carol get {refunds} in one go, from the list's checkboxes.
		list2 := b.get("/admin/users")
		if list2.testid("select-user").Length() != 4 {
			t.Fatalf("the list must offer a checkbox per user, got %d", list2.testid("select-user").Length())
		}
		bulk := b.get(fmt.Sprintf("/admin/users/menus?user_id=%d&user_id=%d", bob.ID, carol.ID))
		mustStatus(t, "bulk form", bulk, http.StatusOK)
		if bulk.Doc.Find(`input[type=hidden][name=user_id]`).Length() != 2 {
			t.Fatalf("bulk form must carry both users:\n%s", bulk.Body)
		}
		mustRedirect(t, "bulk apply", b.post("/admin/users/menus", url.Values{
			"user_id": {fmt.Sprint(bob.ID), fmt.Sprint(carol.ID)}, "menu_id": {fmt.Sprint(refunds.ID)},
		}), "/admin/users")
		for _, id := range []uint64{bob.ID, carol.ID} {
			got, err := app.Store.ListOfAccount(ctx, models.ExtraMenus, id)
			if err != nil || len(got) != 1 || got[0] != refunds.ID {
				t.Fatalf("account %d after bulk apply: %v %v", id, got, err)
			}
		}
		bobInfo := app.Authed(t, http.MethodGet, "/mobileApi/user/info", bobToken, nil)
		// The child alone comes under its parent, never at the top among other parents' children.
		if l, _ := bobInfo.Body["menuList"].([]any); len(l) != 1 || l[0].(map[string]any)["code"] != "orders" ||
			len(l[0].(map[string]any)["children"].([]any)) != 1 || l[0].(map[string]any)["children"].([]any)[0].(map[string]any)["code"] != "orders.refunds" {
			t.Fatalf("bob's menuList after bulk apply: %s", bobInfo.Raw)
		}

		// A menu id that does not exist refuses the whole apply and changes nothing.
		bad := b.post("/admin/users/menus", url.Values{"user_id": {fmt.Sprint(bob.ID)}, "menu_id": {fmt.Sprint(refunds.ID), "999999"}})
		mustStatus(t, "unknown menu", bad, http.StatusUnprocessableEntity)
		if got, _ := app.Store.ListOfAccount(ctx, models.ExtraMenus, bob.ID); len(got) != 1 {
			t.Fatalf("a refused apply must change nothing, bob has %v", got)
		}

		// Delete refuses a parent with children, then works once the child is gone.
		p := b.post(fmt.Sprintf("/admin/menus/%d/delete", orders.ID), nil)
		mustRedirect(t, "delete parent", p, "/admin/menus")
		if msg := b.get("/admin/menus").testid("flash").Text(); !strings.Contains(msg, "has child menus") {
			t.Fatalf("deleting a parent must say why it was refused, got %q", msg)
		}
		mustRedirect(t, "delete child", b.post(fmt.Sprintf("/admin/menus/%d/delete", refunds.ID), nil), "/admin/menus")
		mustRedirect(t, "delete parent", b.post(fmt.Sprintf("/admin/menus/%d/delete", orders.ID), nil), "/admin/menus")
		if ms, _ := app.Store.AllMenus(ctx); len(ms) != 0 {
			t.Fatalf("menus left: %v", ms)
		}
	})
}

// TestMenuEditAndReorder: editing keeps the tree sane (no menu under itself) and reordering
// swaps siblings.
func TestMenuEditAndReorder(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		app.CreateAccount(t, "root", "admin-password", "admin")
		ctx := context.Background()
		actor := account.Actor{Name: "test"}
		a, _ := app.Accounts.CreateMenu(ctx, actor, account.MenuInput{Name: "A", Code: "a", Visible: true})
		bm, _ := app.Accounts.CreateMenu(ctx, actor, account.MenuInput{Name: "B", Code: "b", Visible: true})
		child, err := app.Accounts.CreateMenu(ctx, actor, account.MenuInput{Name: "A1", Code: "a1", ParentID: &a.ID, Visible: true})
		if err != nil {
			t.Fatal(err)
		}
		b := newBrowserIn(t, app, "en")
		b.login("root", "admin-password")

		edit := b.get(fmt.Sprintf("/admin/menus?edit=%d", a.ID))
		if v, _ := edit.testid("menu-code-input").Attr("value"); v != "a" {
			t.Fatalf("edit form must be filled in, code %q", v)
		}
		loop := b.post(fmt.Sprintf("/admin/menus/%d", a.ID), url.Values{"name": {"A"}, "code": {"a"}, "parent_id": {fmt.Sprint(child.ID)}, "visible": {"1"}})
		mustStatus(t, "menu under its own child", loop, http.StatusUnprocessableEntity)
		if !strings.Contains(loop.testid("field-error-parent_id").Text(), "under itself") {
			t.Fatalf("loop message at the parent picker: %q", loop.testid("field-error-parent_id").Text())
		}
		mustRedirect(t, "rename", b.post(fmt.Sprintf("/admin/menus/%d", a.ID), url.Values{"name": {"Alpha"}, "code": {"alpha"}, "sort": {"0"}}), "/admin/menus")
		got, _ := app.Store.MenuByID(ctx, a.ID)
		if got.Name != "Alpha" || got.Code != "alpha" || got.Visible {
			t.Fatalf("after edit: %+v (visible unticked must hide it)", got)
		}

		mustRedirect(t, "move B up", b.post(fmt.Sprintf("/admin/menus/%d/move", bm.ID), url.Values{"direction": {"up"}}), "/admin/menus")
		all, _ := app.Store.AllMenus(ctx)
		var roots []string
		for _, m := range all {
			if m.ParentID == nil {
				roots = append(roots, m.Code)
			}
		}
		if strings.Join(roots, ",") != "b,alpha" {
			t.Fatalf("after moving B up, roots in order: %v", roots)
		}
	})
}

// TestAccountAdministration: create, edit, disable (ends sessions and tokens), reset password
// (ends sessions and tokens), and the last admin is kept.
func TestAccountAdministration(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		root := app.CreateAccount(t, "root", "admin-password", "admin")
		admin := newBrowser(t, app)
		admin.login("root", "admin-password")

		bad := admin.post("/admin/users", url.Values{"username": {"new-staff"}, "name": {"New Staff"}, "role": {"staff"}, "password": {"short"}})
		mustStatus(t, "short password", bad, http.StatusUnprocessableEntity)
		if !strings.Contains(bad.testid("form-error").Text(), "密码需8至72个字符") {
			t.Fatalf("short password message: %q", bad.testid("form-error").Text())
		}
		p := admin.post("/admin/users", url.Values{"username": {"new-staff"}, "name": {"New Staff"}, "role": {"staff"}, "password": {"staff-password"}})
		if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/admin/users/") {
			t.Fatalf("create: %d %q %s", p.Status, p.Location, p.Body)
		}
		staffPath := p.Location
		taken := admin.post("/admin/users", url.Values{"username": {"new-staff"}, "role": {"staff"}, "password": {"staff-password"}})
		mustStatus(t, "taken username", taken, http.StatusUnprocessableEntity)

		staff := newBrowser(t, app)
		staff.login("new-staff", "staff-password")
		mustStatus(t, "staff dashboard", staff.get("/admin/"), http.StatusOK)

		// Disabling ends the staff member's console session at their next request.
		mustRedirect(t, "disable", admin.post(staffPath, url.Values{"name": {"New Staff"}, "role": {"staff"}, "status": {"disabled"}}), staffPath)
		if p := staff.get("/admin/"); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/admin/login") {
			t.Fatalf("a disabled account's session must end, got %d %q", p.Status, p.Location)
		}
		mustRedirect(t, "enable", admin.post(staffPath, url.Values{"name": {"New Staff"}, "role": {"staff"}, "status": {"active"}}), staffPath)
		if p := staff.get("/admin/"); p.Status != http.StatusSeeOther {
			t.Fatalf("an ended session stays ended after re-enabling, got %d", p.Status)
		}
		staff.login("new-staff", "staff-password")

		// Resetting the password ends the console session and the mini-program tokens.
		app.CreateAccount(t, "dave", "dave-password", "user")
		daveToken := app.BindNew(t, "dave-phone", "dave", "dave-password")
		mustRedirect(t, "reset", admin.post(staffPath+"/password", url.Values{"password": {"brand-new-password"}}), staffPath)
		if p := staff.get("/admin/"); p.Status != http.StatusSeeOther {
			t.Fatalf("a password reset must end the session, got %d", p.Status)
		}
		staff.login("new-staff", "brand-new-password")
		dave, _ := app.Store.AccountByUsername(context.Background(), "dave")
		davePath := fmt.Sprintf("/admin/users/%d", dave.ID)
		mustRedirect(t, "disable dave", admin.post(davePath, url.Values{"name": {"Dave"}, "role": {"user"}, "status": {"disabled"}}), davePath)
		if r := app.Authed(t, http.MethodGet, "/mobileApi/user/info", daveToken, nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("a disabled account's token: want 401, got %d", r.Status)
		}
		var live int64
		app.DB.Gorm.Model(&models.LoginToken{}).Where("account_id = ? AND revoked_at IS NULL", dave.ID).Count(&live)
		if live != 0 {
			t.Fatalf("disabling must revoke the tokens, %d left", live)
		}

		// The last active admin can neither be demoted nor disabled.
		rootPath := fmt.Sprintf("/admin/users/%d", root.ID)
		last := admin.post(rootPath, url.Values{"name": {"Root"}, "role": {"staff"}, "status": {"active"}})
		mustStatus(t, "demote last admin", last, http.StatusUnprocessableEntity)
		if !strings.Contains(last.testid("form-error").Text(), "最后一个正常状态的管理员") {
			t.Fatalf("last admin message: %q", last.testid("form-error").Text())
		}
		if a, _ := app.Store.AccountByID(context.Background(), root.ID); a.Role != "admin" {
			t.Fatal("the last admin was demoted")
		}
		mustStatus(t, "unknown account", admin.get("/admin/users/987654"), http.StatusNotFound)
		mustStatus(t, "bad id", admin.get("/admin/users/abc"), http.StatusNotFound)
	})
}

// TestCrossSitePostRefused: a form posted from another site is refused with 403 and a page
// that says why, and changes nothing.
func TestCrossSitePostRefused(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		app.CreateAccount(t, "root", "admin-password", "admin")
		bob := app.CreateAccount(t, "bob", "bob-password", "user")
		token := app.BindNew(t, "bob-phone", "bob", "bob-password")
		b := newBrowser(t, app)
		b.login("root", "admin-password")
		path := fmt.Sprintf("/admin/users/%d/unbind", bob.ID)

		p := b.post(path, nil, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
		mustStatus(t, "cross-site post", p, http.StatusForbidden)
		if !strings.Contains(p.testid("message-text").Text(), "来自其他网站") {
			t.Fatalf("the 403 page must say why: %q", p.testid("message-text").Text())
		}
		p = b.post(path, nil, "Origin", "https://evil.example", "Sec-Fetch-Site", "")
		mustStatus(t, "cross-origin post without fetch metadata", p, http.StatusForbidden)
		p = b.post("/admin/login", url.Values{"username": {"root"}, "password": {"admin-password"}}, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
		mustStatus(t, "cross-site login", p, http.StatusForbidden)
		if r := app.Authed(t, http.MethodGet, "/mobileApi/user/info", token, nil); r.Status != http.StatusOK {
			t.Fatalf("a refused unbind must change nothing, info: %d", r.Status)
		}
		// The mini-program's API is not a browser form and is not subject to the check.
		if r := app.Do(t, http.MethodPost, "/mobileApi/user/logout", nil, "Authorization", "Bearer "+token, "Origin", "https://servicewechat.com"); r.Status != http.StatusOK {
			t.Fatalf("mobile API with an Origin header: %d %s", r.Status, r.Raw)
		}
	})
}

// TestUsersListFiltersAndPages: search, role and bind filters, and keyset pages that cover
// every account once.
func TestUsersListFiltersAndPages(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		app.CreateAccount(t, "root", "admin-password", "admin")
		app.CreateAccount(t, "alice", "alice-password", "user")
		app.BindNew(t, "alice-phone", "alice", "alice-password")
		ctx := context.Background()
		for i := 0; i < 120; i++ {
			if err := app.Store.CreateAccount(ctx, &models.Account{Username: fmt.Sprintf("bulk%03d", i), PasswordHash: "x", Role: "user", Status: "active"}); err != nil {
				t.Fatal(err)
			}
		}
		b := newBrowser(t, app)
		b.login("root", "admin-password")

		seen := map[string]bool{}
		next := "/admin/users"
		pages := 0
		for next != "" {
			p := b.get(next)
			mustStatus(t, next, p, http.StatusOK)
			p.testid("user-link").Each(func(_ int, s *goquery.Selection) {
				if seen[s.Text()] {
					t.Fatalf("%s listed twice", s.Text())
				}
				seen[s.Text()] = true
			})
			next, _ = p.testid("next-page").Attr("href")
			pages++
			if pages > 10 {
				t.Fatal("pagination does not end")
			}
		}
		if len(seen) != 122 || pages != 3 {
			t.Fatalf("want 122 accounts over 3 pages, got %d over %d", len(seen), pages)
		}

		count := func(path string) int { return b.get(path).testid("user-row").Length() }
		if n := count("/admin/users?bind=bound"); n != 1 {
			t.Fatalf("bound filter: %d", n)
		}
		if n := count("/admin/users?role=admin"); n != 1 {
			t.Fatalf("role filter: %d", n)
		}
		if n := count("/admin/users?q=bulk01"); n != 10 {
			t.Fatalf("username prefix search: %d", n)
		}
		if n := count("/admin/users?q=" + url.QueryEscape(wechattest.OpenID("alice-phone")[:8])); n != 1 {
			t.Fatalf("openid prefix search: %d", n)
		}
		if n := count("/admin/users?q=" + url.QueryEscape("100%_")); n != 0 {
			t.Fatalf("LIKE wildcards must be taken literally: %d", n)
		}
		if n := count("/admin/users?q=bulk&bind=unbound&role=user&page=50"); n == 0 {
			t.Fatal("combined filters found nothing")
		}
		w := b.get("/admin/wechat-users")
		if w.testid("wechat-row").Length() != 1 {
			t.Fatalf("wechat users: %d", w.testid("wechat-row").Length())
		}
		app.CheckBind(t, wechattest.Code("never-bound"))
		w = b.get("/admin/wechat-users")
		if w.testid("wechat-row").Length() != 2 || w.testid("not-bound").Length() != 1 {
			t.Fatalf("a WeChat user who never bound must be listed as not bound:\n%s", w.Body)
		}
	})
}

// TestDashboardAndStatic: the dashboard counts today's binds and logins, draws its chart, and
// the vendored files are served with long cache headers under their hash.
func TestDashboardAndStatic(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	app.CreateAccount(t, "root", "admin-password", "admin")
	app.CreateAccount(t, "alice", "alice-password", "user")
	app.BindNew(t, "alice-phone", "alice", "alice-password")
	app.CheckBind(t, wechattest.Code("alice-phone"))
	b := newBrowser(t, app)
	b.login("root", "admin-password")
	p := b.get("/admin/")
	mustStatus(t, "dashboard", p, http.StatusOK)
	for id, want := range map[string]string{"stat-accounts": "2", "stat-bound": "1", "stat-binds-today": "1", "stat-logins-today": "2", "stat-logins-week": "2"} {
		if got := p.testid(id).Text(); got != want {
			t.Errorf("%s: want %s, got %s", id, want, got)
		}
	}
	if p.Doc.Find(`[data-testid="chart"] rect`).Length() < 21 {
		t.Error("the chart must draw 3 bars for each of 7 days")
	}
	var assets []string
	p.Doc.Find(`link[rel=stylesheet], script[src]`).Each(func(_ int, s *goquery.Selection) {
		if v, ok := s.Attr("href"); ok {
			assets = append(assets, v)
		}
		if v, ok := s.Attr("src"); ok {
			assets = append(assets, v)
		}
	})
	if len(assets) != 5 {
		t.Fatalf("want pico, console.css, htmx, Sortable and console.js, got %v", assets)
	}
	for _, a := range assets {
		s := b.get(a)
		if s.Status != http.StatusOK || !strings.Contains(s.Header.Get("Cache-Control"), "max-age=31536000") || len(s.Body) < 100 {
			t.Errorf("%s: %d %q", a, s.Status, s.Header.Get("Cache-Control"))
		}
	}
	if s := b.get(strings.Replace(assets[0], "/static/", "/static/000000000000", 1)); s.Status != http.StatusNotFound {
		t.Errorf("a stale hash must be 404, got %d", s.Status)
	}
}

// TestSessionCookieSecureOverTLS: over HTTPS the console cookie is Secure; and expired
// sessions are pruned from the table.
func TestSessionCookieSecureOverTLS(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	app.CreateAccount(t, "root", "admin-password", "admin")
	form := url.Values{"username": {"root"}, "password": {"admin-password"}}
	req := httptest.NewRequest(http.MethodPost, "https://console.example/admin/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.TLS = &tls.ConnectionState{}
	rec := httptest.NewRecorder()
	app.Server.Config.Handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("login over TLS: %d %s", rec.Code, rec.Body)
	}
	c := rec.Header().Get("Set-Cookie")
	if !strings.HasPrefix(c, "wxbind_console=") || !strings.Contains(c, "; Secure") || !strings.Contains(c, "HttpOnly") {
		t.Fatalf("session cookie over TLS must be Secure and HttpOnly: %q", c)
	}

	newBrowser(t, app).login("root", "admin-password")
	var before, after int64
	app.DB.Gorm.Table("sessions").Count(&before)
	app.DB.Gorm.Exec("UPDATE sessions SET expiry = ?", time.Now().Add(-time.Hour).UTC())
	if err := app.Accounts.Prune(context.Background()); err != nil {
		t.Fatal(err)
	}
	app.DB.Gorm.Table("sessions").Count(&after)
	if before != 2 || after != 0 {
		t.Fatalf("sessions before prune %d (want 2), after %d (want 0)", before, after)
	}
}

// TestAuditNamesMobileUnbind: the mini-program's own unbind shows its user as the actor, so
// the audit filter by actor finds it.
func TestAuditNamesMobileUnbind(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	app.CreateAccount(t, "root", "admin-password", "admin")
	app.CreateAccount(t, "erin", "erin-password", "user")
	token := app.BindNew(t, "erin-phone", "erin", "erin-password")
	if r := app.Authed(t, http.MethodPost, "/mobileApi/user/unbind", token, nil); r.Code() != 1 {
		t.Fatalf("mobile unbind: %s", r.Raw)
	}
	b := newBrowser(t, app)
	b.login("root", "admin-password")
	p := b.get("/admin/audit?actor=erin")
	actions := p.testid("audit-action").Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("data-action", "") })
	names := p.testid("audit-action").Map(func(_ int, s *goquery.Selection) string { return s.Text() })
	if strings.Join(actions, ",") != "unbind,bind" || strings.Join(names, ",") != "解除绑定,绑定" {
		t.Fatalf("erin's audit entries: want unbind,bind shown as 解除绑定,绑定, got %v %v", actions, names)
	}
}
