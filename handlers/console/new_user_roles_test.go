package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"wxbind/account"
	"wxbind/models/modelstest"
	"wxbind/web/webtest"
)

// TestNewAccountFormMenuRolesAreFinal: the new-account form offers the default menu role
// ticked; what the admin leaves ticked is what the account has after its first bind. Unticked,
// the default is not added at bind; left ticked, it is there; another role chosen instead, only
// that one.
func TestNewAccountFormMenuRolesAreFinal(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		ctx := context.Background()
		actor := account.Actor{Name: "test"}
		app.CreateAccount(t, "root", "admin-password", "admin")
		home, err := app.Accounts.CreateMenu(ctx, actor, account.MenuInput{Name: "Home", Code: "home", Visible: true})
		if err != nil {
			t.Fatal(err)
		}
		orders, err := app.Accounts.CreateMenu(ctx, actor, account.MenuInput{Name: "Orders", Code: "orders", Visible: true})
		if err != nil {
			t.Fatal(err)
		}
		def, err := app.Accounts.CreateMenuRole(ctx, actor, account.MenuRoleInput{Name: "New staff", IsDefault: true, MenuIDs: []uint64{home.ID}})
		if err != nil {
			t.Fatal(err)
		}
		other, err := app.Accounts.CreateMenuRole(ctx, actor, account.MenuRoleInput{Name: "Orders", MenuIDs: []uint64{orders.ID}})
		if err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t, app)
		b.login("root", "admin-password")

		for _, c := range []struct {
			username string
			ticked   []uint64 // the role boxes left ticked
			want     string   // menuList codes after the first bind
		}{
			{"unticked", nil, "[]"},
			{"kept", []uint64{def.ID}, "[home]"},
			{"swapped", []uint64{other.ID}, "[orders]"},
		} {
			t.Run(c.username, func(t *testing.T) {
				p := b.get("/admin/users/new")
				mustStatus(t, "new-account form", p, http.StatusOK)
				if _, ok := p.testid("role-check-" + strconv.FormatUint(def.ID, 10)).Attr("checked"); !ok {
					t.Fatal("the form must offer the default menu role ticked")
				}
				// Submitted as a browser would: every field but the role boxes, then the ticked ones.
				form := url.Values{}
				p.Doc.Find(`[data-testid="new-user-form"] input, [data-testid="new-user-form"] select`).Each(func(_ int, s *goquery.Selection) {
					if name := s.AttrOr("name", ""); name != "" && name != "role_id" {
						form.Set(name, s.AttrOr("value", ""))
					}
				})
				form.Set("username", c.username)
				form.Set("password", c.username+"-password")
				form.Set("role", "user")
				for _, id := range c.ticked {
					form.Add("role_id", strconv.FormatUint(id, 10))
				}
				created := b.post("/admin/users", form)
				mustStatus(t, "create", created, http.StatusSeeOther)

				token := app.BindNew(t, c.username+"-phone", c.username, c.username+"-password")
				var codes []string
				for _, m := range app.Authed(t, http.MethodGet, "/mobileApi/user/info", token, nil).Body["menuList"].([]any) {
					codes = append(codes, m.(map[string]any)["code"].(string))
				}
				if got := fmt.Sprint(codes); got != c.want {
					t.Fatalf("after the first bind %s sees %s, want %s", c.username, got, c.want)
				}
			})
		}
		// An account made outside the form (the CLI, the demo) chose nothing: the default comes at bind.
		app.CreateAccount(t, "cli", "cli-password", "user")
		token := app.BindNew(t, "cli-phone", "cli", "cli-password")
		if got := fmt.Sprint(app.Authed(t, http.MethodGet, "/mobileApi/user/info", token, nil).Body["menuList"]); got == "[]" {
			t.Fatal("an account created without a choice must get the default menu role at its first bind")
		}
	})
}
