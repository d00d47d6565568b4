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

// route is one console URL, the form it is sent with and who may use it.
type route struct {
	method    string
	pattern   string // the route as the router names it
	path      string // the URL sent
	form      url.Values
	adminOnly bool
	// open, for a route that answers before any role check (login, language, logout), is what
	// anonymous, user, staff and admin get, in that order.
	open []answer
}

// answer is a status and, for a redirect, where it leads.
type answer struct {
	status   int
	location string
}

// outOfScope are the routes outside the console, with why this matrix leaves them alone. The
// simulator's routes exist only in sandbox mode, so the server under test does not have them.
var outOfScope = map[string]string{
	"GET /healthz":                         "public probe",
	"GET /readyz":                          "public probe",
	"GET /":                                "public redirect to the console",
	"GET /docs/openapi.yaml":               "public API description",
	"GET /static/:hash/*file":              "public assets",
	"GET /favicon.ico":                     "public icon",
	"GET /avatars/:name":                   "public avatars",
	"HEAD /avatars/:name":                  "public avatars",
	"GET /mobileApi/user/checkBind":        "mini-program API: WeChat code, tested in handlers/mobile",
	"POST /mobileApi/user/bind":            "mini-program API: bind ticket, tested in handlers/mobile",
	"GET /mobileApi/user/info":             "mini-program API: token, tested in handlers/mobile",
	"POST /mobileApi/user/profile":         "mini-program API: token, tested in handlers/mobile",
	"POST /mobileApi/user/logout":          "mini-program API: token, tested in handlers/mobile",
	"POST /mobileApi/user/unbind":          "mini-program API: token, tested in handlers/mobile",
	"POST /mobileApi/user/phone":           "mini-program API: token, tested in handlers/mobile",
	"GET /mobileApi/user/checkSession":     "mini-program API: token, tested in handlers/mobile",
	"POST /mobileApi/user/avatar":          "mini-program API: token, tested in handlers/mobile",
	"POST /mobileApi/consoleLogin/scan":    "mini-program API: token, tested in scanlogin_test.go and docs",
	"POST /mobileApi/consoleLogin/confirm": "mini-program API: token, tested in scanlogin_test.go and docs",
	"POST /mobileApi/consoleLogin/cancel":  "mini-program API: token, tested in scanlogin_test.go and docs",
}

// TestAuthorizationMatrix sends every console route as anonymous, user, staff and admin and
// checks each answer: redirect to login, 403, or served. The routes come from the router, so a
// new route without a row here fails.
func TestAuthorizationMatrix(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		ctx := context.Background()
		app.CreateAccount(t, "root", "admin-password", "admin")
		app.CreateAccount(t, "helper", "staff-password", "staff")
		demoted := app.CreateAccount(t, "demoted", "demoted-password", "staff")
		target := app.CreateAccount(t, "target", "target-password", "user")
		app.CreateAccount(t, "plain", "plain-password", "user")
		app.BindNew(t, "target-phone", "target", "target-password")
		menu, err := app.Accounts.CreateMenu(ctx, account.Actor{Name: "test"}, account.MenuInput{Name: "Orders", Code: "orders", Visible: true})
		if err != nil {
			t.Fatal(err)
		}
		id := fmt.Sprint(target.ID)
		mid := fmt.Sprint(menu.ID)
		role, err := app.Accounts.CreateMenuRole(ctx, account.Actor{Name: "test"}, account.MenuRoleInput{Name: "Clerk", MenuIDs: []uint64{menu.ID}})
		if err != nil {
			t.Fatal(err)
		}
		rid := fmt.Sprint(role.ID)

		toLogin, toDashboard := answer{http.StatusSeeOther, "/admin/login"}, answer{http.StatusSeeOther, "/admin/"}
		routes := []route{
			{"GET", "/admin/", "/admin/", nil, false, nil},
			{"GET", "/admin/users", "/admin/users", nil, false, nil},
			{"GET", "/admin/users", "/admin/users?q=tar&role=user&bind=bound", nil, false, nil},
			{"GET", "/admin/users/:id", "/admin/users/" + id, nil, false, nil},
			{"GET", "/admin/wechat-users", "/admin/wechat-users", nil, false, nil},
			{"GET", "/admin/audit", "/admin/audit", nil, false, nil},
			{"GET", "/admin/users/export.csv", "/admin/users/export.csv?role=staff", nil, false, nil},
			{"GET", "/admin/account/password", "/admin/account/password", nil, false, nil},
			{"POST", "/admin/users/:id/unbind", "/admin/users/" + id + "/unbind", url.Values{}, false, nil},
			{"GET", "/admin/users/new", "/admin/users/new", nil, true, nil},
			{"POST", "/admin/users", "/admin/users", url.Values{"username": {"x-new-" + driver}, "password": {"long-enough-pw"}, "role": {"user"}}, true, nil},
			{"POST", "/admin/users/:id", "/admin/users/" + id, url.Values{"name": {"Target"}, "role": {"user"}, "status": {"active"}}, true, nil},
			{"POST", "/admin/users/:id/password", "/admin/users/" + id + "/password", url.Values{"password": {"another-password"}}, true, nil},
			{"GET", "/admin/users/:id/menus", "/admin/users/" + id + "/menus", nil, true, nil},
			{"POST", "/admin/users/:id/menus", "/admin/users/" + id + "/menus", url.Values{"menu_id": {mid}}, true, nil},
			{"GET", "/admin/users/menus", "/admin/users/menus?user_id=" + id, nil, true, nil},
			{"POST", "/admin/users/menus", "/admin/users/menus", url.Values{"user_id": {id}, "menu_id": {mid}}, true, nil},
			{"GET", "/admin/menus", "/admin/menus", nil, true, nil},
			{"POST", "/admin/menus", "/admin/menus", url.Values{"name": {"M"}, "code": {"m-" + driver}, "visible": {"1"}}, true, nil},
			{"POST", "/admin/menus/:id", "/admin/menus/" + mid, url.Values{"name": {"Orders"}, "code": {"orders"}, "visible": {"1"}}, true, nil},
			{"POST", "/admin/menus/:id/move", "/admin/menus/" + mid + "/move", url.Values{"direction": {"up"}}, true, nil},
			{"POST", "/admin/menus/:id/delete", "/admin/menus/999999/delete", url.Values{}, true, nil},
			{"GET", "/admin/settings", "/admin/settings", nil, true, nil},
			{"POST", "/admin/settings", "/admin/settings", url.Values{}, true, nil},
			{"POST", "/admin/menus/:id/place", "/admin/menus/" + mid + "/place", url.Values{"parent_id": {"0"}, "index": {"0"}}, true, nil},
			{"GET", "/admin/menu-roles", "/admin/menu-roles", nil, true, nil},
			{"GET", "/admin/menu-roles/new", "/admin/menu-roles/new", nil, true, nil},
			{"POST", "/admin/menu-roles", "/admin/menu-roles", url.Values{"name": {"R-" + driver}, "menu_id": {mid}}, true, nil},
			{"GET", "/admin/menu-roles/:id", "/admin/menu-roles/" + rid, nil, true, nil},
			{"POST", "/admin/menu-roles/:id", "/admin/menu-roles/" + rid, url.Values{"name": {"Clerk"}, "menu_id": {mid}}, true, nil},
			{"POST", "/admin/menu-roles/:id/delete", "/admin/menu-roles/999999/delete", url.Values{}, true, nil},
			{"GET", "/admin/users/bulk", "/admin/users/bulk?q=tar", nil, true, nil},
			{"POST", "/admin/users/bulk", "/admin/users/bulk", url.Values{"q": {"tar"}, "action": {"add_role"}, "role_id": {rid}}, true, nil},
			// Open to all: the form sends a logged-in browser on, and an account of role user
			// cannot log in, whoever asks (its right password answers like a wrong one).
			{method: "GET", pattern: "/admin/login", path: "/admin/login", open: []answer{{http.StatusOK, ""}, toDashboard, toDashboard, toDashboard}},
			{method: "POST", pattern: "/admin/login", path: "/admin/login", form: url.Values{"username": {"plain"}, "password": {"plain-password"}},
				open: []answer{{http.StatusUnauthorized, ""}, {http.StatusUnauthorized, ""}, {http.StatusUnauthorized, ""}, {http.StatusUnauthorized, ""}}},
			// The scan tab opens a request for anyone not logged in; a request's code and status
			// answer only the browser holding its cookie (none here: 404 for an unknown scene).
			{method: "GET", pattern: "/admin/login/scan", path: "/admin/login/scan", open: []answer{{http.StatusOK, ""}, toDashboard, toDashboard, toDashboard}},
			{method: "GET", pattern: "/admin/login/scan/:scene/code", path: "/admin/login/scan/NOSUCHSCENE/code", open: []answer{{http.StatusNotFound, ""}, {http.StatusNotFound, ""}, {http.StatusNotFound, ""}, {http.StatusNotFound, ""}}},
			{method: "POST", pattern: "/admin/login/scan/:scene", path: "/admin/login/scan/NOSUCHSCENE", form: url.Values{}, open: []answer{{http.StatusNotFound, ""}, {http.StatusNotFound, ""}, {http.StatusNotFound, ""}, {http.StatusNotFound, ""}}},
			{method: "POST", pattern: "/admin/lang", path: "/admin/lang", form: url.Values{"lang": {"zh-CN"}, "next": {"/admin/"}}, open: []answer{toDashboard, toDashboard, toDashboard, toDashboard}},
			{method: "POST", pattern: "/admin/theme", path: "/admin/theme", form: url.Values{"theme": {"dark"}, "next": {"/admin/"}}, open: []answer{toDashboard, toDashboard, toDashboard, toDashboard}},
			// Your own password: staff's is right and changes (the session stays); admin's form
			// carries staff's password, which is not admin's.
			{method: "POST", pattern: "/admin/account/password", path: "/admin/account/password", form: url.Values{"current_password": {"staff-password"}, "password": {"staff-password-2"}},
				open: []answer{toLogin, {http.StatusForbidden, ""}, toDashboard, {http.StatusUnprocessableEntity, ""}}},
			// Last: it ends every browser's session.
			{method: "POST", pattern: "/admin/logout", path: "/admin/logout", form: url.Values{}, open: []answer{toLogin, toLogin, toLogin, toLogin}},
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
		covered := map[string]bool{}
		for _, r := range routes {
			covered[r.method+" "+r.pattern] = true
		}
		served := map[string]bool{}
		for _, r := range app.Routes {
			key := r.Method + " " + r.Path
			served[key] = true
			if !covered[key] && outOfScope[key] == "" {
				t.Errorf("%s has no row in the authorization matrix", key)
			}
			if covered[key] && !strings.HasPrefix(r.Path, "/admin/") || outOfScope[key] != "" && strings.HasPrefix(r.Path, "/admin/") {
				t.Errorf("%s: console routes belong in the matrix, and only they", key)
			}
		}
		for key := range covered {
			if !served[key] {
				t.Errorf("the matrix has a row for %s, which the router does not serve", key)
			}
		}

		for _, r := range routes {
			name := r.method + " " + r.path
			if r.open != nil {
				for i, b := range []*browser{anonymous, user, staff, admin} {
					who := []string{"anonymous", "user", "staff", "admin"}[i]
					if p, want := send(b, r), r.open[i]; p.Status != want.status || p.Location != want.location {
						t.Errorf("%s %s: want %d %q, got %d %q", who, name, want.status, want.location, p.Status, p.Location)
					}
				}
				continue
			}
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
