package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"wxbind/account"
	"wxbind/models"
	"wxbind/models/modelstest"
	"wxbind/web/webtest"
)

// TestBulkOverFilterIsTheListsFilter: the users list's bulk link, the bulk page's count and
// form, and its POST all carry the list's whole filter (status and the created and last-login
// ranges too, not only q, role and bind): the bulk page counts what the list totals for the
// same URL, and only the accounts the list shows get the change.
func TestBulkOverFilterIsTheListsFilter(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		ctx := context.Background()
		actor := account.Actor{Name: "test"}
		app.CreateAccount(t, "root", "admin-password", "admin")
		menu, err := app.Accounts.CreateMenu(ctx, actor, account.MenuInput{Name: "Orders", Code: "orders", Visible: true})
		if err != nil {
			t.Fatal(err)
		}
		role, err := app.Accounts.CreateMenuRole(ctx, actor, account.MenuRoleInput{Name: "店员", MenuIDs: []uint64{menu.ID}})
		if err != nil {
			t.Fatal(err)
		}
		march := time.Date(2024, 3, 10, 4, 0, 0, 0, time.UTC) // noon in Shanghai, the console's zone
		ids := map[string]uint64{}
		for _, a := range []struct {
			username, status string
			created          time.Time
		}{
			{"shop-disabled-march", models.StatusDisabled, march}, // the one the filter matches
			{"shop-active-march", models.StatusActive, march},     // wrong status
			{"shop-disabled-2023", models.StatusDisabled, march.AddDate(-1, 0, 0)},
			{"other-disabled-march", models.StatusDisabled, march}, // wrong name
		} {
			acct := app.CreateAccount(t, a.username, "shop-password", "user")
			ids[a.username] = acct.ID
			if err := app.DB.Gorm.Model(&models.Account{}).Where("id = ?", acct.ID).
				Updates(map[string]any{"status": a.status, "created_at": a.created}).Error; err != nil {
				t.Fatal(err)
			}
		}
		// Bound today (the only last login in the set), to filter on the last-login range.
		app.BindNew(t, "shop-phone", "shop-active-march", "shop-password")

		b := newBrowser(t, app)
		b.login("root", "admin-password")
		number := regexp.MustCompile(`\d+`)
		shanghai, _ := time.LoadLocation("Asia/Shanghai")
		today := time.Now().In(shanghai)
		for _, c := range []struct {
			name   string
			filter url.Values
			want   string
		}{
			{"status and created range", url.Values{"q": {"shop"}, "status": {"disabled"}, "created_from": {"2024-03-01"}, "created_to": {"2024-03-31"}},
				"shop-disabled-march"},
			{"last-login range", url.Values{"q": {"shop"}, "login_from": {today.AddDate(0, 0, -1).Format("2006-01-02")}, "login_to": {today.AddDate(0, 0, 1).Format("2006-01-02")}},
				"shop-active-march"},
			// Only bound accounts have a last login: sorted by it, the list, its total and the
			// bulk change all cover the bound one alone (the total used to count all four).
			{"sorted by last login", url.Values{"q": {"shop"}, "sort": {"last_login"}}, "shop-active-march"},
		} {
			t.Run(c.name, func(t *testing.T) {
				list := b.get("/admin/users?" + c.filter.Encode())
				mustStatus(t, "list", list, http.StatusOK)
				var shown []string
				list.testid("user-link").Each(func(_ int, s *goquery.Selection) { shown = append(shown, s.Text()) })
				if !slices.Equal(shown, []string{c.want}) {
					t.Fatalf("the list shows %v, want [%s]", shown, c.want)
				}
				total := number.FindString(list.testid("list-total").Text())

				href, ok := list.testid("bulk-filter").Attr("href")
				if !ok {
					t.Fatal("no bulk link on the list")
				}
				link, _ := url.Parse(href)
				for k := range c.filter {
					if link.Query().Get(k) != c.filter.Get(k) {
						t.Fatalf("the bulk link %s lost %s=%s", href, k, c.filter.Get(k))
					}
				}
				bulk := b.get(href)
				mustStatus(t, "bulk page", bulk, http.StatusOK)
				if got := number.FindString(bulk.testid("bulk-count").Text()); got != total || got != "1" {
					t.Fatalf("the bulk page counts %s, the list totals %s, for the same filter", got, total)
				}
				if back, _ := bulk.testid("bulk-see-list").Attr("href"); back != "/admin/users?"+c.filter.Encode() {
					t.Fatalf("the bulk page's way back to the list is %q", back)
				}

				form := url.Values{}
				bulk.Doc.Find(`[data-testid="bulk-menus-form"] input[type=hidden]`).Each(func(_ int, s *goquery.Selection) {
					form.Add(s.AttrOr("name", ""), s.AttrOr("value", ""))
				})
				for k := range c.filter {
					if form.Get(k) != c.filter.Get(k) {
						t.Fatalf("the bulk form does not carry %s=%s: %v", k, c.filter.Get(k), form)
					}
				}
				form.Set("action", account.BulkAddRole)
				form.Set("role_id", strconv.FormatUint(role.ID, 10))
				mustRedirect(t, "bulk apply", b.post("/admin/users/bulk", form), "/admin/users?"+c.filter.Encode())

				for name, id := range ids {
					m, err := app.Accounts.AccountMenus(ctx, id)
					if err != nil {
						t.Fatal(err)
					}
					if has := slices.Contains(m.RoleIDs, role.ID); has != (name == c.want) {
						t.Fatalf("%s has the role: %v; only %s should", name, has, c.want)
					}
				}
				// Undone for the next case, through the same filter.
				form.Set("action", account.BulkRemoveRole)
				mustRedirect(t, "bulk undo", b.post("/admin/users/bulk", form), "/admin/users?"+c.filter.Encode())
				if m, _ := app.Accounts.AccountMenus(ctx, ids[c.want]); len(m.RoleIDs) != 0 {
					t.Fatalf("%s kept the role: %v", c.want, m.RoleIDs)
				}
			})
		}
		if got := number.FindString(b.get("/admin/users/bulk?status=disabled&q=shop").testid("bulk-count").Text()); got != "2" {
			t.Fatalf("q=shop&status=disabled: the bulk page counts %s, want the 2 disabled shops", got)
		}
	})
}
