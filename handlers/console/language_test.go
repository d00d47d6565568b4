package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"wxbind/account"
	"wxbind/models/modelstest"
	"wxbind/web"
	"wxbind/web/webtest"
)

// expectText checks elements found by data-testid against the words the page must show.
func expectText(t *testing.T, what string, p page, want map[string]string) {
	t.Helper()
	if p.Doc == nil {
		t.Fatalf("%s: no HTML (status %d)", what, p.Status)
	}
	for id, w := range want {
		if got := strings.TrimSpace(p.testid(id).First().Text()); !strings.Contains(got, w) {
			t.Errorf("%s: [data-testid=%s] want %q, got %q", what, id, w, got)
		}
	}
}

func htmlLang(p page) string { return p.Doc.Find("html").AttrOr("lang", "") }

// TestPagesInBothLanguages renders every main page for a browser that asks for nothing (the
// default, Chinese), one that asks for English, and one that asks for a language the console
// does not have (Chinese again), and checks a few words of each page, <html lang> and the
// Content-Language header.
func TestPagesInBothLanguages(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		app.CreateAccount(t, "root", "admin-password", "admin")
		alice := app.CreateAccount(t, "alice", "alice-password", "user")
		app.BindNew(t, "alice-phone", "alice", "alice-password")
		if _, err := app.Accounts.CreateMenu(context.Background(), account.Actor{Name: "root"}, account.MenuInput{Name: "Orders", Code: "orders", Visible: true}); err != nil {
			t.Fatal(err)
		}
		alicePath := fmt.Sprintf("/admin/users/%d", alice.ID)

		type words map[string]string
		for _, tc := range []struct {
			accept string
			lang   string
			pages  map[string]words
		}{
			{accept: "", lang: "zh-CN", pages: map[string]words{
				"/admin/login":                    {"login-heading": "登录管理后台", "login-submit": "登录", "lang-en": "English"},
				"/admin/":                         {"dashboard-heading": "概览", "nav-users": "用户", "nav-audit": "操作日志", "as-of": "Asia/Shanghai", "stat-bound": "1", "logout": "退出登录（root，管理员）"},
				"/admin/users":                    {"users-heading": "用户", "users-th-account": "账号", "users-search": "搜索", "new-user": "新建账号", "bulk-menus": "为选中的用户设置菜单"},
				alicePath:                         {"user-role": "普通用户", "user-status": "正常", "unbind-open": "解除绑定", "unbind-question": "确定解除 alice 的绑定吗？", "edit-submit": "保存"},
				"/admin/users/new":                {"new-user-heading": "新建账号", "new-user-submit": "创建"},
				alicePath + "/menus":              {"user-menus-heading": "为 alice 设置菜单", "save-menus": "保存菜单"},
				"/admin/wechat-users":             {"wechat-heading": "微信用户"},
				"/admin/menus":                    {"menus-heading": "菜单", "menu-form-heading": "新建菜单", "menu-edit": "编辑", "menu-delete": "删除"},
				"/admin/audit?action=menu_create": {"audit-heading": "操作日志", "audit-th-when": "时间（Asia/Shanghai）", "audit-action": "创建菜单"},
			}},
			{accept: "en-US,en;q=0.9,zh-CN;q=0.5", lang: "en", pages: map[string]words{
				"/admin/login":                    {"login-heading": "Log in", "login-submit": "Log in", "lang-zh-CN": "中文"},
				"/admin/":                         {"dashboard-heading": "Dashboard", "nav-users": "Users", "nav-audit": "Audit", "as-of": "Asia/Shanghai", "stat-bound": "1", "logout": "Log out root (admin)"},
				"/admin/users":                    {"users-heading": "Users", "users-th-account": "Account", "users-search": "Search", "new-user": "New account", "bulk-menus": "Apply a menu set"},
				alicePath:                         {"user-role": "user", "user-status": "active", "unbind-open": "Unbind", "unbind-question": "Unbind alice?", "edit-submit": "Save"},
				"/admin/users/new":                {"new-user-heading": "New account", "new-user-submit": "Create"},
				alicePath + "/menus":              {"user-menus-heading": "Menus for alice", "save-menus": "Save menus"},
				"/admin/wechat-users":             {"wechat-heading": "WeChat users"},
				"/admin/menus":                    {"menus-heading": "Menus", "menu-form-heading": "New menu", "menu-edit": "edit", "menu-delete": "delete"},
				"/admin/audit?action=menu_create": {"audit-heading": "Audit log", "audit-th-when": "When (Asia/Shanghai)", "audit-action": "menu created"},
			}},
			{accept: "fr-FR,fr;q=0.9", lang: "zh-CN", pages: map[string]words{
				"/admin/": {"dashboard-heading": "概览"},
			}},
		} {
			b := newBrowserIn(t, app, tc.accept)
			login := b.get("/admin/login") // before logging in
			if want, ok := tc.pages["/admin/login"]; ok {
				mustStatus(t, "login page", login, http.StatusOK)
				expectText(t, tc.lang+" /admin/login", login, want)
			}
			b.login("root", "admin-password")
			for path, want := range tc.pages {
				if path == "/admin/login" {
					continue
				}
				p := b.get(path)
				mustStatus(t, tc.lang+" "+path, p, http.StatusOK)
				if htmlLang(p) != tc.lang || p.Header.Get("Content-Language") != tc.lang {
					t.Errorf("%s (Accept-Language %q): <html lang=%q>, Content-Language %q; want %s", path, tc.accept, htmlLang(p), p.Header.Get("Content-Language"), tc.lang)
				}
				expectText(t, tc.lang+" "+path, p, want)
			}
		}

		// Error pages speak the reader's language too.
		zh, en := newBrowser(t, app), newBrowserIn(t, app, "en")
		zh.login("root", "admin-password")
		en.login("root", "admin-password")
		for _, tc := range []struct {
			b       *browser
			path    string
			status  int
			heading string
			text    string
		}{
			{zh, "/admin/users/987654", http.StatusNotFound, "未找到", "该账号不存在"},
			{en, "/admin/users/987654", http.StatusNotFound, "Not found", "There is no such account"},
			{zh, "/admin/menus?edit=987654", http.StatusNotFound, "未找到", "该菜单不存在"},
			{zh, "/admin/no-such-page", http.StatusNotFound, "未找到", "没有这个页面"},
			{en, "/admin/no-such-page", http.StatusNotFound, "Not found", "There is no such page"},
		} {
			p := tc.b.get(tc.path)
			mustStatus(t, tc.path, p, tc.status)
			expectText(t, tc.path, p, map[string]string{"message-heading": tc.heading, "message-text": tc.text, "message-back": map[bool]string{true: "返回", false: "Back"}[tc.b == zh]})
		}
		staff := newBrowserIn(t, app, "en")
		app.CreateAccount(t, "helper", "staff-password", "staff")
		staff.login("helper", "staff-password")
		p := staff.get("/admin/menus")
		mustStatus(t, "staff on menus", p, http.StatusForbidden)
		expectText(t, "403 in English", p, map[string]string{"message-heading": "Not allowed", "message-text": "Only admins"})

		// A refused form and a flash message come back in the reader's language.
		bad := zh.post("/admin/menus", url.Values{"name": {"Again"}, "code": {"orders"}, "visible": {"1"}})
		mustStatus(t, "taken code", bad, http.StatusUnprocessableEntity)
		expectText(t, "taken code", bad, map[string]string{"field-error-code": "已有其他菜单使用这个编码"})
		bad = en.post("/admin/menus", url.Values{"name": {"Bad"}, "code": {"has space"}, "visible": {"1"}})
		expectText(t, "bad code", bad, map[string]string{"field-error-code": "Enter a code: at most 64 letters"})
		mustRedirect(t, "create", zh.post("/admin/menus", url.Values{"name": {"退款"}, "code": {"refunds"}, "visible": {"1"}}), "/admin/menus")
		expectText(t, "flash", zh.get("/admin/menus"), map[string]string{"flash": "菜单“退款”已创建。"})
		mustRedirect(t, "bulk with nobody", zh.get("/admin/users/menus"), "/admin/users")
		expectText(t, "flash", zh.get("/admin/users"), map[string]string{"flash": "请先在列表中勾选至少一位用户。"})
	})
}

// TestLanguageSwitch: the layout's switch overrides Accept-Language for the rest of the
// session, comes back to the page it was used on, outlives logging out, ignores languages the
// console does not have and foreign destinations, and is refused from another site.
func TestLanguageSwitch(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		app.CreateAccount(t, "root", "admin-password", "admin")
		b := newBrowserIn(t, app, "en-US,en;q=0.9")

		// Before logging in: the switch is on the login page and comes back to it.
		login := b.get("/admin/login?next=/admin/audit")
		if v, _ := login.testid("lang-form").Find(`input[name=next]`).Attr("value"); v != "/admin/login?next=/admin/audit" {
			t.Fatalf("the switch must come back to this page, next=%q", v)
		}
		mustRedirect(t, "switch on the login page", b.post("/admin/lang", url.Values{"lang": {"zh-CN"}, "next": {"/admin/login?next=/admin/audit"}}), "/admin/login?next=/admin/audit")
		expectText(t, "login after switch", b.get("/admin/login"), map[string]string{"login-heading": "登录管理后台"})
		b.login("root", "admin-password")
		dash := b.get("/admin/")
		if htmlLang(dash) != "zh-CN" {
			t.Fatalf("the chosen language survives logging in: %q", htmlLang(dash))
		}
		expectText(t, "dashboard", dash, map[string]string{"nav-users": "用户", "lang-en": "English"})

		mustRedirect(t, "switch to English", b.post("/admin/lang", url.Values{"lang": {"en"}, "next": {"/admin/users?q=ro"}}), "/admin/users?q=ro")
		users := b.get("/admin/users?q=ro")
		if htmlLang(users) != "en" {
			t.Fatalf("after switching: <html lang=%q>", htmlLang(users))
		}
		expectText(t, "users in English", users, map[string]string{"users-heading": "Users", "lang-zh-CN": "中文"})

		// Choosing Chinese beats the browser's English for the rest of the session.
		mustRedirect(t, "switch to Chinese", b.post("/admin/lang", url.Values{"lang": {"zh-CN"}, "next": {"/admin/audit"}}), "/admin/audit")
		expectText(t, "audit in Chinese", b.get("/admin/audit"), map[string]string{"audit-heading": "操作日志"})
		mustRedirect(t, "unknown language", b.post("/admin/lang", url.Values{"lang": {"tlh"}, "next": {"/admin/"}}), "/admin/")
		expectText(t, "still Chinese", b.get("/admin/"), map[string]string{"dashboard-heading": "概览"})
		mustRedirect(t, "foreign next", b.post("/admin/lang", url.Values{"lang": {"en"}, "next": {"//evil.example/x"}}), "/admin/")
		mustRedirect(t, "next elsewhere", b.post("/admin/lang", url.Values{"lang": {"en"}, "next": {"https://evil.example/"}}), "/admin/")

		cross := b.post("/admin/lang", url.Values{"lang": {"zh-CN"}, "next": {"/admin/"}}, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
		mustStatus(t, "cross-site switch", cross, http.StatusForbidden)
		expectText(t, "cross-site switch", cross, map[string]string{"message-text": "sent from another site"})
		expectText(t, "unchanged", b.get("/admin/"), map[string]string{"dashboard-heading": "Dashboard"})

		mustRedirect(t, "logout", b.post("/admin/logout", nil), "/admin/login")
		expectText(t, "login after logout", b.get("/admin/login"), map[string]string{"login-heading": "Log in"})
		b.acceptLanguage = "zh-CN"
		expectText(t, "the choice beats Accept-Language after logout too", b.get("/admin/login"), map[string]string{"login-heading": "Log in"})
	})
}

// TestTimesInConsoleZone: times are shown in CONSOLE_TZ, in each language's format.
func TestTimesInConsoleZone(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) { timesInConsoleZone(t, driver) })
}

func timesInConsoleZone(t *testing.T, driver string) {
	at := time.Date(2026, 1, 2, 20, 30, 15, 0, time.UTC) // 04:30 the next day in Shanghai
	for _, tc := range []struct {
		zone           string
		zhUser, enUser string
		zhAudit        string
		zhWhen, enWhen string
	}{
		{"Asia/Shanghai", "创建于 2026-01-03 04:30", "created Jan 3, 2026 04:30", "2026-01-03 04:30:15", "时间（Asia/Shanghai）", "When (Asia/Shanghai)"},
		{"America/New_York", "创建于 2026-01-02 15:30", "created Jan 2, 2026 15:30", "2026-01-02 15:30:15", "时间（America/New_York）", "When (America/New_York)"},
	} {
		zone, err := time.LoadLocation(tc.zone)
		if err != nil {
			t.Fatal(err)
		}
		app := webtest.Start(t, webtest.Options{Driver: driver, Now: func() time.Time { return at }, ConsoleZone: zone})
		root := app.CreateAccount(t, "root", "admin-password", "admin")
		zh, en := newBrowser(t, app), newBrowserIn(t, app, "en")
		zh.login("root", "admin-password")
		en.login("root", "admin-password")
		path := fmt.Sprintf("/admin/users/%d", root.ID)
		if got := zh.get(path).Doc.Find("hgroup p").Text(); !strings.Contains(got, tc.zhUser) {
			t.Errorf("%s zh: want %q in %q", tc.zone, tc.zhUser, got)
		}
		if got := en.get(path).Doc.Find("hgroup p").Text(); !strings.Contains(got, tc.enUser) {
			t.Errorf("%s en: want %q in %q", tc.zone, tc.enUser, got)
		}
		audit := zh.get("/admin/audit?action=console_login")
		expectText(t, tc.zone+" audit", audit, map[string]string{"audit-row": tc.zhAudit, "audit-th-when": tc.zhWhen})
		expectText(t, tc.zone+" audit en", en.get("/admin/audit"), map[string]string{"audit-th-when": tc.enWhen})
	}
}

// TestLoginRateLimitSpeaksTheLanguage: the per-address limit on console logins answers 429 in
// the reader's language.
func TestLoginRateLimitSpeaksTheLanguage(t *testing.T) {
	app := webtest.Start(t, webtest.Options{RateLimits: &web.RateLimits{ConsoleLogin: web.Rate{PerSecond: 0.001, Burst: 1}}})
	for _, tc := range []struct{ accept, want string }{{"", "请 "}, {"en", "Wait "}} {
		b := newBrowserIn(t, app, tc.accept)
		b.post("/admin/login", url.Values{"username": {"nobody"}, "password": {"wrong-password"}})
		p := b.post("/admin/login", url.Values{"username": {"nobody"}, "password": {"wrong-password"}})
		mustStatus(t, "over the limit", p, http.StatusTooManyRequests)
		if !strings.Contains(p.Body, tc.want) || p.Header.Get("Retry-After") == "" {
			t.Errorf("Accept-Language %q: want %q in %q with Retry-After", tc.accept, tc.want, p.Body)
		}
	}
}
