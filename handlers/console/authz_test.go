package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"wxbind/account"
	"wxbind/models/modelstest"
	"wxbind/web/webtest"
)

// route is one console URL and the form it is sent with.
type route struct {
	method    string
	path      string
	form      url.Values
	adminOnly bool
}

// TestAuthorizationMatrix sends every console route as anonymous, user, staff and admin and
// checks each answer: redirect to login, 403, or served.
func TestAuthorizationMatrix(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		ctx := context.Background()
		app.CreateAccount(t, "root", "admin-password", "admin")
		app.CreateAccount(t, "helper", "staff-password", "staff")
		demoted := app.CreateAccount(t, "demoted", "demoted-password", "staff")
		target := app.CreateAccount(t, "target", "target-password", "user")
		app.BindNew(t, "target-phone", "target", "target-password")
		menu, err := app.Accounts.CreateMenu(ctx, account.Actor{Name: "test"}, account.MenuInput{Name: "Orders", Code: "orders", Visible: true})
		if err != nil {
			t.Fatal(err)
		}
		id := fmt.Sprint(target.ID)
		mid := fmt.Sprint(menu.ID)

		routes := []route{
			{"GET", "/admin/", nil, false},
			{"GET", "/admin/users", nil, false},
			{"GET", "/admin/users?q=tar&role=user&bind=bound", nil, false},
			{"GET", "/admin/users/" + id, nil, false},
			{"GET", "/admin/wechat-users", nil, false},
			{"GET", "/admin/audit", nil, false},
			{"POST", "/admin/users/" + id + "/unbind", url.Values{}, false},
			{"GET", "/admin/users/new", nil, true},
			{"POST", "/admin/users", url.Values{"username": {"x-new-" + driver}, "password": {"long-enough-pw"}, "role": {"user"}}, true},
			{"POST", "/admin/users/" + id, url.Values{"name": {"Target"}, "role": {"user"}, "status": {"active"}}, true},
			{"POST", "/admin/users/" + id + "/password", url.Values{"password": {"another-password"}}, true},
			{"GET", "/admin/users/" + id + "/menus", nil, true},
			{"POST", "/admin/users/" + id + "/menus", url.Values{"menu_id": {mid}}, true},
			{"GET", "/admin/users/menus?user_id=" + id, nil, true},
			{"POST", "/admin/users/menus", url.Values{"user_id": {id}, "menu_id": {mid}}, true},
			{"GET", "/admin/menus", nil, true},
			{"POST", "/admin/menus", url.Values{"name": {"M"}, "code": {"m-" + driver}, "visible": {"1"}}, true},
			{"POST", "/admin/menus/" + mid, url.Values{"name": {"Orders"}, "code": {"orders"}, "visible": {"1"}}, true},
			{"POST", "/admin/menus/" + mid + "/move", url.Values{"direction": {"up"}}, true},
			{"POST", "/admin/menus/999999/delete", url.Values{}, true},
		}

		anonymous := newBrowser(t, app)
		user := newBrowser(t, app)
		user.login("demoted", "demoted-password")
		setRole(t, app, demoted, "user") // a session whose account is now role user
		staff := newBrowser(t, app)
		staff.login("helper", "staff-password")
		admin := newBrowser(t, app)
		admin.login("root", "admin-password")

		send := func(b *browser, r route) page {
			if r.method == "GET" {
				return b.get(r.path)
			}
			return b.post(r.path, r.form)
		}
		for _, r := range routes {
			name := r.method + " " + r.path
			if p := send(anonymous, r); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/admin/login") {
				t.Errorf("anonymous %s: want 303 to /admin/login, got %d %q", name, p.Status, p.Location)
			}
			if p := send(user, r); p.Status != http.StatusForbidden || !strings.Contains(p.testid("message-text").Text(), "“普通用户”") {
				t.Errorf("user %s: want 403 saying why, got %d %q", name, p.Status, p.Location)
			}
			p := send(staff, r)
			if r.adminOnly {
				if p.Status != http.StatusForbidden || !strings.Contains(p.testid("message-text").Text(), "只有管理员") {
					t.Errorf("staff %s: want 403 saying why, got %d %q", name, p.Status, p.Location)
				}
			} else {
				expectServed(t, "staff "+name, r, p)
			}
			expectServed(t, "admin "+name, r, send(admin, r))
		}
	})
}

// expectServed accepts a page (200) or, after a POST, a redirect that is not to the login page.
func expectServed(t *testing.T, who string, r route, p page) {
	t.Helper()
	if r.method == "GET" {
		if p.Status != http.StatusOK {
			t.Errorf("%s: want 200, got %d %q", who, p.Status, p.Location)
		}
		return
	}
	if p.Status != http.StatusSeeOther || strings.HasPrefix(p.Location, "/admin/login") {
		t.Errorf("%s: want 303 to a console page, got %d %q\n%.400s", who, p.Status, p.Location, p.Body)
	}
}
