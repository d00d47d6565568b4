package console_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"wxbind/account"
	"wxbind/models/modelstest"
	"wxbind/web/webtest"
)

// TestUsersMenuRoleFilter: on both databases, the users list filtered by a menu role (alone and
// with a search) pages through, totals and exports exactly the accounts that have the role; the
// filter stays in the page, export and bulk links; the bulk page counts the same and its change
// reaches only them; a role deleted since is still shown as chosen and matches nobody.
func TestUsersMenuRoleFilter(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		ctx := context.Background()
		actor := account.Actor{Name: "test"}
		app.CreateAccount(t, "root", "admin-password", "admin")
		menu, err := app.Accounts.CreateMenu(ctx, actor, account.MenuInput{Name: "Orders", Code: "orders", Visible: true})
		if err != nil {
			t.Fatal(err)
		}
		role := func(name string) account.MenuRole {
			r, err := app.Accounts.CreateMenuRole(ctx, actor, account.MenuRoleInput{Name: name, MenuIDs: []uint64{menu.ID}})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		managers, clerks, gone := role("店长"), role("店员"), role("临时")
		var want []string // the managers, newest first as the list shows them
		for i := range 25 {
			want = append([]string{fmt.Sprintf("mgr%02d", i)}, want...)
			app.CreateAccount(t, want[0], "mgr-password", "user")
		}
		for i := range 5 {
			app.CreateAccount(t, fmt.Sprintf("clerk%02d", i), "clerk-password", "user")
		}
		app.CreateAccount(t, "plain", "plain-password", "user")
		for q, r := range map[string]uint64{"mgr": managers.ID, "clerk": clerks.ID} {
			if _, err := app.Accounts.BulkMenus(ctx, actor, account.AccountFilter{Query: q}, account.BulkMenuChange{Action: account.BulkAddRole, RoleIDs: []uint64{r}}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := app.Accounts.BulkMenus(ctx, actor, account.AccountFilter{Query: "plain"}, account.BulkMenuChange{Action: account.BulkAddRole, RoleIDs: []uint64{gone.ID}}); err != nil {
			t.Fatal(err)
		}
		if err := app.Accounts.DeleteMenuRole(ctx, actor, gone.ID); err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t, app)
		b.login("root", "admin-password")
		number := regexp.MustCompile(`[\d,]+`)
		names := func(p page) []string {
			var out []string
			p.testid("user-link").Each(func(_ int, s *goquery.Selection) { out = append(out, s.Text()) })
			return out
		}
		exported := func(href string) []string {
			t.Helper()
			p := b.get(href)
			mustStatus(t, "export", p, http.StatusOK)
			recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(p.Body, "\xEF\xBB\xBF"))).ReadAll()
			if err != nil || len(recs) == 0 {
				t.Fatalf("export %s: %v\n%s", href, err, p.Body)
			}
			var out []string
			for _, r := range recs[1:] {
				out = append(out, r[1])
			}
			return out
		}
		id := strconv.FormatUint(managers.ID, 10)

		for _, c := range []struct {
			name   string
			filter url.Values
			want   []string
		}{
			{"role alone", url.Values{"menu_role": {id}}, want},
			{"role and a search", url.Values{"menu_role": {id}, "q": {"mgr1"}}, want[5:15]}, // mgr19…mgr10
			{"role and a role", url.Values{"menu_role": {id}, "role": {"staff"}}, nil},
		} {
			t.Run(c.name, func(t *testing.T) {
				p := b.get("/admin/users?size=20&" + c.filter.Encode())
				mustStatus(t, "list", p, http.StatusOK)
				if sel := p.testid("users-menu-role").Find("option[selected]"); sel.AttrOr("value", "") != id || sel.Text() != "店长" {
					t.Fatalf("the filter form shows %q (%s) chosen", sel.Text(), sel.AttrOr("value", ""))
				}
				total := number.FindString(p.testid("list-total").Text())
				if total != strconv.Itoa(len(c.want)) {
					t.Fatalf("total %q, want %d", p.testid("list-total").Text(), len(c.want))
				}
				shown := names(p)
				for next, ok := p.testid("next-page").Attr("href"); ok; next, ok = p.testid("next-page").Attr("href") {
					if u, _ := url.Parse(next); u.Query().Get("menu_role") != id {
						t.Fatalf("the next page's link lost the menu role: %s", next)
					}
					p = b.get(next)
					shown = append(shown, names(p)...)
				}
				if !slices.Equal(shown, c.want) {
					t.Fatalf("the list shows %v, want %v", shown, c.want)
				}

				list := b.get("/admin/users?" + c.filter.Encode())
				exportURL, _ := list.testid("users-export").Attr("href")
				if got := exported(exportURL); !slices.Equal(got, c.want) {
					t.Fatalf("the export %s has %v, want %v", exportURL, got, c.want)
				}
				bulkURL, _ := list.testid("bulk-filter").Attr("href")
				bulk := b.get(bulkURL)
				mustStatus(t, "bulk page", bulk, http.StatusOK)
				if got := number.FindString(bulk.testid("bulk-count").Text()); got != total {
					t.Fatalf("the bulk page (%s) counts %s, the list totals %s", bulkURL, got, total)
				}
				if len(c.want) == 0 {
					return
				}
				form := url.Values{}
				bulk.Doc.Find(`[data-testid="bulk-menus-form"] input[type=hidden]`).Each(func(_ int, s *goquery.Selection) {
					form.Add(s.AttrOr("name", ""), s.AttrOr("value", ""))
				})
				if form.Get("menu_role") != id {
					t.Fatalf("the bulk form does not carry the menu role: %v", form)
				}
				form.Set("action", account.BulkAddRole)
				form.Set("role_id", strconv.FormatUint(clerks.ID, 10))
				mustRedirect(t, "bulk apply", b.post("/admin/users/bulk", form), "/admin/users?"+c.filter.Encode())
				got := names(b.get("/admin/users?size=100&menu_role=" + strconv.FormatUint(clerks.ID, 10)))
				wantClerks := append(slices.Clone(c.want), "clerk04", "clerk03", "clerk02", "clerk01", "clerk00")
				slices.Sort(got)
				slices.Sort(wantClerks)
				if !slices.Equal(got, wantClerks) {
					t.Fatalf("after the bulk change the clerks' role has %v, want %v", got, wantClerks)
				}
				form.Set("action", account.BulkRemoveRole) // undone for the next case
				mustRedirect(t, "bulk undo", b.post("/admin/users/bulk", form), "/admin/users?"+c.filter.Encode())
			})
		}

		// A bookmark of a role deleted since: nobody, and the form says which role it asked for.
		stale := url.Values{"menu_role": {strconv.FormatUint(gone.ID, 10)}}
		p := b.get("/admin/users?" + stale.Encode())
		mustStatus(t, "deleted role", p, http.StatusOK)
		if p.testid("user-row").Length() != 0 || p.testid("no-users").Length() != 1 {
			t.Fatalf("a deleted role's filter lists %v", names(p))
		}
		if sel := p.testid("users-menu-role").Find("option[selected]"); !strings.Contains(sel.Text(), "已删除") {
			t.Fatalf("a deleted role shows as %q", sel.Text())
		}
		if got := exported("/admin/users/export.csv?" + stale.Encode()); len(got) != 0 {
			t.Fatalf("a deleted role exports %v", got)
		}
		if got := number.FindString(b.get("/admin/users/bulk?" + stale.Encode()).testid("bulk-count").Text()); got != "0" {
			t.Fatalf("a deleted role's bulk page counts %s", got)
		}
		// Without a filter the choice is "any".
		if sel := b.get("/admin/users").testid("users-menu-role").Find("option[selected]"); sel.AttrOr("value", "x") != "" {
			t.Fatalf("the unfiltered list shows %q chosen", sel.Text())
		}
	})
}
