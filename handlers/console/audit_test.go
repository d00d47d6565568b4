package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/text/language"

	"wxbind/account"
	"wxbind/i18n"
	"wxbind/models/modelstest"
	"wxbind/web/webtest"
	"wxbind/wechat/wechattest"
)

// TestEveryRecordedActionReads records every action in account.AuditActions through the code
// (the console's forms, the mini-program's API, scan login), then reads the audit log in Chinese
// and in English: each action's rows name what they touched as it was named then (usernames,
// menu names, role names), the action is worded, and no row shows raw JSON or a bare catalog key.
func TestEveryRecordedActionReads(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		ctx := context.Background()
		app.CreateAccount(t, "root", "admin-password", "admin")
		dave := app.CreateAccount(t, "dave", "dave-password", "user")
		davePath := fmt.Sprintf("/admin/users/%d", dave.ID)

		// The mini-program: a bind, a refused bind, a phone number.
		daveToken := app.BindNew(t, "dave-phone", "dave", "dave-password")
		if r := app.Authed(t, http.MethodPost, "/mobileApi/user/phone", daveToken, map[string]any{"code": wechattest.PhoneCode("dave-phone", "13800138000")}); r.Code() != 1 {
			t.Fatalf("phone: %s", r.Raw)
		}
		ticket := app.CheckBind(t, wechattest.Code("mallory-phone"))
		if r := app.Do(t, http.MethodPost, "/mobileApi/user/bind", map[string]any{"bindTicket": ticket.String("bindTicket"), "openId": ticket.String("openId"),
			"username": "dave", "password": "not-daves-password"}); r.Code() != 0 {
			t.Fatalf("a bind with the wrong password must be refused: %s", r.Raw)
		}

		// The console: an admin's logins, accounts, menus, menu roles, settings, export.
		b := newBrowser(t, app)
		mustStatus(t, "failed login", b.post("/admin/login", url.Values{"username": {"root"}, "password": {"not-the-password"}}), http.StatusUnauthorized)
		b.login("root", "admin-password")
		created := b.post("/admin/users", url.Values{"username": {"erin"}, "role": {"staff"}, "password": {"erin-password"}})
		mustStatus(t, "create erin", created, http.StatusSeeOther)
		mustRedirect(t, "update", b.post(davePath, url.Values{"name": {"Dave Lee"}, "role": {"user"}, "status": {"active"}}), davePath)
		mustRedirect(t, "menu a", b.post("/admin/menus", url.Values{"name": {"Alpha"}, "code": {"alpha"}, "visible": {"1"}}), "/admin/menus")
		mustRedirect(t, "menu b", b.post("/admin/menus", url.Values{"name": {"Beta"}, "code": {"beta"}, "visible": {"1"}}), "/admin/menus")
		mustRedirect(t, "menu old", b.post("/admin/menus", url.Values{"name": {"Old"}, "code": {"old"}, "visible": {"1"}}), "/admin/menus")
		menuID := func(code string) string {
			t.Helper()
			ms, err := app.Store.AllMenus(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				if m.Code == code {
					return fmt.Sprint(m.ID)
				}
			}
			t.Fatalf("no menu %s", code)
			return ""
		}
		alpha, beta, old := menuID("alpha"), menuID("beta"), menuID("old")
		mustRedirect(t, "menu update", b.post("/admin/menus/"+old, url.Values{"name": {"Older"}, "code": {"older"}, "sort": {"0"}, "visible": {"1"}}), "/admin/menus")
		mustRedirect(t, "menu delete", b.post("/admin/menus/"+old+"/delete", nil), "/admin/menus")
		mustRedirect(t, "reorder", b.post("/admin/menus/"+beta+"/move", url.Values{"direction": {"up"}}), "/admin/menus")
		mustRedirect(t, "drag", b.post("/admin/menus/"+alpha+"/place", url.Values{"parent_id": {beta}, "index": {"0"}}), "/admin/menus")
		mustRedirect(t, "menus for the ticked users", b.post("/admin/users/menus", url.Values{"user_id": {fmt.Sprint(dave.ID)}, "menu_id": {alpha, beta}}), "/admin/users")
		mustRedirect(t, "menu role", b.post("/admin/menu-roles", url.Values{"name": {"Clerk"}, "menu_id": {alpha}}), "/admin/menu-roles")
		roles, err := app.Accounts.MenuRoles(ctx)
		if err != nil || len(roles) != 1 {
			t.Fatalf("menu roles: %v %v", roles, err)
		}
		role := fmt.Sprint(roles[0].ID)
		mustRedirect(t, "account menus", b.post(davePath+"/menus", url.Values{"role_id": {role}, "menu_id": {beta}}), davePath)
		mustRedirect(t, "bulk", b.post("/admin/users/bulk", url.Values{"q": {"dave"}, "action": {"add_role"}, "role_id": {role}}), "/admin/users?q=dave")
		mustRedirect(t, "menu role update", b.post("/admin/menu-roles/"+role, url.Values{"name": {"Cashier"}, "menu_id": {beta}}), "/admin/menu-roles")
		mustRedirect(t, "menu role delete", b.post("/admin/menu-roles/"+role+"/delete", nil), "/admin/menu-roles")
		mustStatus(t, "export", b.get("/admin/users/export.csv?role=staff"), http.StatusOK)
		mustRedirect(t, "settings", b.post("/admin/settings", url.Values{"scan_login_required": {"false"}}), "/admin/settings")

		// Staff: erin binds, logs in by scan (scan, confirm, a refused second scan, one cancelled),
		// changes her own password and logs out.
		ph := phone{t, app, app.BindNew(t, "erin-phone", "erin", "erin-password")}
		erin := newBrowser(t, app)
		_, scene := erin.openScanTab("")
		for _, step := range []string{"scan", "confirm"} {
			if r := ph.call(step, scene); r.Code() != 1 {
				t.Fatalf("%s: %s", step, r.Raw)
			}
		}
		mustStatus(t, "scan login completes", erin.poll(scene), http.StatusOK)
		mustReason(t, "scan after completion", ph.call("scan", scene), http.StatusConflict, "scan_login_used")
		_, cancelled := newBrowser(t, app).openScanTab("")
		for _, step := range []string{"scan", "cancel"} {
			if r := ph.call(step, cancelled); r.Code() != 1 {
				t.Fatalf("%s: %s", step, r.Raw)
			}
		}
		changed := erin.post("/admin/account/password", url.Values{"current_password": {"erin-password"}, "password": {"erin-password-2"}})
		mustStatus(t, "erin changes her password", changed, http.StatusSeeOther)
		mustStatus(t, "erin logs out", erin.post("/admin/logout", nil), http.StatusSeeOther)

		// Last, the admin resets dave's password and unbinds him.
		mustRedirect(t, "reset", b.post(davePath+"/password", url.Values{"password": {"new-dave-password"}}), davePath)
		mustRedirect(t, "unbind", b.post(davePath+"/unbind", nil), davePath)

		// What each action's rows must name somewhere (the detail, or the actor for what has
		// no detail): at least one row of the action names all of them.
		names := map[string][]string{
			account.ActionBind:               {"dave"},
			account.ActionUnbind:             {"dave"},
			account.ActionBindFailed:         {"dave"},
			account.ActionPhone:              {account.MaskPhone("13800138000")},
			account.ActionConsoleLogin:       {"erin", "Chrome", "Windows"},
			account.ActionConsoleLoginFailed: {"root"},
			account.ActionConsoleLogout:      {"erin"},
			account.ActionAccountCreate:      {"erin"},
			account.ActionAccountUpdate:      {"dave", "Name of dave", "Dave Lee"},
			account.ActionPasswordReset:      {"dave"},
			account.ActionPasswordChange:     {"erin"},
			account.ActionUsersExport:        {"role=staff"},
			account.ActionMenuCreate:         {"Alpha", "alpha"},
			account.ActionMenuUpdate:         {"Old", "Older"},
			account.ActionMenuDelete:         {"Older"},
			account.ActionMenuReorder:        {"Beta"},
			account.ActionMenuMove:           {"Alpha", "Beta"},
			account.ActionMenusAssign:        {"dave", "Alpha", "Beta"},
			account.ActionMenuRoleCreate:     {"Clerk", "Alpha"},
			account.ActionMenuRoleUpdate:     {"Clerk", "Cashier", "Beta"},
			account.ActionMenuRoleDelete:     {"Cashier"},
			account.ActionAccountMenus:       {"dave", "Clerk", "Beta"},
			account.ActionMenusBulk:          {"dave", "Clerk"},
			account.ActionScanLoginScan:      {"erin", "Chrome", "Windows"},
			account.ActionScanLoginConfirm:   {"erin", "Chrome", "Windows"},
			account.ActionScanLoginCancel:    {"erin", "Chrome", "Windows"},
			account.ActionScanLoginRefused:   {"erin", "Chrome", "Windows"},
			account.ActionConsolePolicy:      {"root"},
		}
		for _, a := range account.AuditActions {
			if _, ok := names[a]; !ok {
				t.Errorf("the audit action %s has no row in this test: record it above and say what it must name", a)
			}
		}

		cat, err := i18n.New("zh-CN")
		if err != nil {
			t.Fatal(err)
		}
		for _, lang := range []struct {
			accept, name string
			tr           i18n.Translator
		}{{"", "zh-CN", cat.In(i18n.Chinese)}, {"en-US,en;q=0.9", "en", cat.In(language.English)}} {
			b.acceptLanguage = lang.accept
			p := b.get("/admin/audit?size=100")
			mustStatus(t, "audit log in "+lang.name, p, http.StatusOK)
			rows := map[string][]string{} // action → each row's actor and detail
			p.testid("audit-row").Each(func(_ int, row *goquery.Selection) {
				cell := func(id string) string { return strings.TrimSpace(row.Find(`[data-testid="` + id + `"]`).Text()) }
				action := row.Find(`[data-testid="audit-action"]`).AttrOr("data-action", "")
				label, actor, detail := cell("audit-action"), cell("audit-actor"), cell("audit-detail")
				rows[action] = append(rows[action], actor+" | "+detail)
				for _, bare := range []string{"{", "}", "console.", "<no value>", "%!", "map["} {
					if strings.Contains(detail, bare) || strings.Contains(label, bare) {
						t.Errorf("%s %s: %q / %q shows %q: raw data or a bare key", lang.name, action, label, detail, bare)
					}
				}
				if key := "console.action." + action; !lang.tr.Has(key) || label != lang.tr.T(key) {
					t.Errorf("%s %s: the action reads %q, not its catalog message", lang.name, action, label)
				}
				if hasHan(label) != (lang.name == "zh-CN") {
					t.Errorf("%s %s: the action reads %q", lang.name, action, label)
				}
				// The detail's own words are the reader's language; the names this test records are
				// all Latin, so any Han in a detail is the catalog's.
				if detail != "" && hasHan(detail) != (lang.name == "zh-CN") {
					t.Errorf("%s %s: the detail reads %q", lang.name, action, detail)
				}
			})
			for action, want := range names {
				found := slices.ContainsFunc(rows[action], func(r string) bool {
					return !slices.ContainsFunc(want, func(n string) bool { return !strings.Contains(r, n) })
				})
				if !found {
					t.Errorf("%s %s: no row names all of %q; rows: %q", lang.name, action, want, rows[action])
				}
			}
		}
	})
}

func hasHan(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
}
