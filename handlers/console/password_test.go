package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"wxbind/models/modelstest"
	"wxbind/web/webtest"
)

// TestOwnPassword: a console user changes their own password with the current one; the session
// it was changed in stays logged in, another session of the account ends at its next request and
// its login page says why, the mini-program tokens end, the old password no longer logs in, and
// the change is audited. A wrong current password or a weak new one is refused and changes nothing.
func TestOwnPassword(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		app.CreateAccount(t, "kim", "kim-password-1", "staff")
		token := app.BindNew(t, "kim-phone", "kim", "kim-password-1")
		here, there := newBrowser(t, app), newBrowser(t, app)
		here.login("kim", "kim-password-1")
		there.login("kim", "kim-password-1")

		p := here.get("/admin/account/password")
		mustStatus(t, "password form", p, http.StatusOK)
		if p.testid("own-password-form").Length() != 1 || p.testid("password-forced").Length() != 0 {
			t.Fatalf("form missing or forced without reason:\n%s", p.Body)
		}
		p = here.post("/admin/account/password", url.Values{"current_password": {"not-it-at-all"}, "password": {"kim-password-2"}})
		mustStatus(t, "wrong current password", p, http.StatusUnprocessableEntity)
		if got := p.testid("password-error").Text(); !strings.Contains(got, "当前密码不正确") {
			t.Fatalf("wrong current password says %q", got)
		}
		p = here.post("/admin/account/password", url.Values{"current_password": {"kim-password-1"}, "password": {"short"}})
		mustStatus(t, "weak password", p, http.StatusUnprocessableEntity)
		if p.testid("password-error").Text() == "" {
			t.Fatal("weak password refused without a reason")
		}
		if r := app.Authed(t, http.MethodGet, "/mobileApi/user/info", token, nil); r.Code() != 1 {
			t.Fatalf("a refused change ended the mini-program login: %s", r.Raw)
		}

		mustRedirect(t, "change", here.post("/admin/account/password", url.Values{"current_password": {"kim-password-1"}, "password": {"kim-password-2"}}), "/admin/")
		if p := here.get("/admin/users"); p.Status != http.StatusOK {
			t.Fatalf("the session the password was changed in was ended: %d %q", p.Status, p.Location)
		}
		mustRedirect(t, "other session", there.get("/admin/users"), "/admin/login?next=%2Fadmin%2Fusers")
		if got := there.get("/admin/login").testid("flash").Text(); !strings.Contains(got, "会话已结束") {
			t.Fatalf("login page after a forced logout says %q", got)
		}
		if r := app.Authed(t, http.MethodGet, "/mobileApi/user/info", token, nil); r.Code() == 1 {
			t.Fatalf("mini-program token still works after a password change: %d %s", r.Status, r.Raw)
		}
		old := newBrowser(t, app)
		mustStatus(t, "old password", old.post("/admin/login", url.Values{"username": {"kim"}, "password": {"kim-password-1"}}), http.StatusUnauthorized)
		newBrowser(t, app).login("kim", "kim-password-2")

		var n int64
		app.DB.Gorm.Raw("SELECT COUNT(*) FROM audit_entries WHERE action = 'password_change'").Scan(&n)
		if n != 1 {
			t.Fatalf("%d password_change entries, want 1", n)
		}
	})
}

// TestGeneratedAdminPasswordMustChange: the first admin made with a generated password gets
// only the password page until it is changed; then the console opens, and the built-in name reads
// in the reader's language.
func TestGeneratedAdminPasswordMustChange(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		_, password, err := app.Accounts.EnsureAdmin(context.Background(), "root", "")
		if err != nil || password == "" {
			t.Fatal(err)
		}
		b := newBrowser(t, app)
		b.login("root", password)
		for _, path := range []string{"/admin/", "/admin/users", "/admin/audit"} {
			mustRedirect(t, path+" before the change", b.get(path), "/admin/account/password")
		}
		p := b.get("/admin/account/password")
		if p.testid("password-forced").Length() != 1 {
			t.Fatalf("the forced change does not say why:\n%s", p.Body)
		}
		mustRedirect(t, "change", b.post("/admin/account/password", url.Values{"current_password": {password}, "password": {"my-own-password"}}), "/admin/")
		mustStatus(t, "dashboard after the change", b.get("/admin/"), http.StatusOK)
		p = b.get("/admin/users?q=root")
		if got := p.Doc.Find(`[data-testid="user-row"] small`).First().Text(); got != "管理员" {
			t.Fatalf("built-in admin's name in Chinese: %q", got)
		}
		en := newBrowserIn(t, app, "en")
		en.login("root", "my-own-password")
		if got := en.get("/admin/users?q=root").Doc.Find(`[data-testid="user-row"] small`).First().Text(); got != "Administrator" {
			t.Fatalf("built-in admin's name in English: %q", got)
		}
	})
}

// TestLogoutNotice: after logging out, the login page says so, and Back (a fresh GET of a console
// page) finds nothing cached: every console page is no-store.
func TestLogoutNotice(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		app.CreateAccount(t, "lee", "lee-password", "admin")
		b := newBrowser(t, app)
		b.login("lee", "lee-password")
		p := b.get("/admin/users")
		if got := p.Header.Get("Cache-Control"); got != "no-store" {
			t.Fatalf("users page Cache-Control %q", got)
		}
		mustRedirect(t, "logout", b.post("/admin/logout", nil), "/admin/login")
		p = b.get("/admin/login")
		if got := p.testid("flash").Text(); got != "你已退出登录。" {
			t.Fatalf("login page after logout says %q", got)
		}
		if p.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("login page Cache-Control %q", p.Header.Get("Cache-Control"))
		}
		if p := b.get("/admin/login"); p.testid("flash").Length() != 0 {
			t.Fatal("the notice shows twice")
		}
	})
}

// TestFavicon: /favicon.ico answers with the console's icon, and pages link it.
func TestFavicon(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	resp, err := app.Client.Get(app.URL + "/favicon.ico")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("/favicon.ico: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	href, _ := newBrowser(t, app).get("/admin/login").Doc.Find(`link[rel=icon]`).Attr("href")
	resp, err = app.Client.Get(app.URL + href)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if href == "" || resp.StatusCode != http.StatusOK {
		t.Fatalf("linked icon %q: %d", href, resp.StatusCode)
	}
}
