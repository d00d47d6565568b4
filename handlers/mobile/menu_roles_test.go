package mobile_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"wxbind/account"
	"wxbind/models"
	"wxbind/models/modelstest"
	"wxbind/web/webtest"
	"wxbind/wechat/wechattest"
)

// menuFixture is a small tree:
//
//	home
//	orders ── orders.list, orders.new ── orders.new.scan
//	settings ── settings.debug
type menuFixture struct {
	ids map[string]uint64
}

func newMenuFixture(t *testing.T, app *webtest.App) menuFixture {
	t.Helper()
	ctx := context.Background()
	f := menuFixture{ids: map[string]uint64{}}
	for i, m := range []struct{ code, parent string }{
		{"home", ""}, {"orders", ""}, {"orders.list", "orders"}, {"orders.new", "orders"}, {"orders.new.scan", "orders.new"},
		{"settings", ""}, {"settings.debug", "settings"},
	} {
		in := account.MenuInput{Name: "Menu " + m.code, Code: m.code, Sort: i, Visible: true}
		if m.parent != "" {
			p := f.ids[m.parent]
			in.ParentID = &p
		}
		menu, err := app.Accounts.CreateMenu(ctx, account.Actor{Name: "test"}, in)
		if err != nil {
			t.Fatal(err)
		}
		f.ids[m.code] = menu.ID
	}
	return f
}

func (f menuFixture) of(codes ...string) []uint64 {
	out := make([]uint64, len(codes))
	for i, c := range codes {
		out[i] = f.ids[c]
	}
	return out
}

// treeString writes a menu tree as "a(b c(d)) e", children in parentheses.
func treeString(nodes []account.MenuNode) string {
	parts := make([]string, len(nodes))
	for i, n := range nodes {
		parts[i] = n.Code
		if len(n.Children) > 0 {
			parts[i] += "(" + treeString(n.Children) + ")"
		}
	}
	return strings.Join(parts, " ")
}

// effectiveCodes are the menus the console's labelled tree says the account sees.
func effectiveCodes(nodes []account.EffectiveMenu) []string {
	var out []string
	for _, n := range nodes {
		if n.Effective {
			out = append(out, n.Code)
		}
		out = append(out, effectiveCodes(n.Children)...)
	}
	slices.Sort(out)
	return out
}

// TestEffectiveMenuRules: (∪ roles' menus ∪ extras) − hidden, closed upward, a hidden parent
// taking its subtree; what info sends is what the console's labelled tree shows.
func TestEffectiveMenuRules(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		ctx := context.Background()
		f := newMenuFixture(t, app)
		actor := account.Actor{Name: "test"}
		clerk, err := app.Accounts.CreateMenuRole(ctx, actor, account.MenuRoleInput{Name: "店员", MenuIDs: f.of("orders.list", "home")})
		if err != nil {
			t.Fatal(err)
		}
		lead, err := app.Accounts.CreateMenuRole(ctx, actor, account.MenuRoleInput{Name: "Lead", MenuIDs: f.of("orders.new.scan")})
		if err != nil {
			t.Fatal(err)
		}
		acct := app.CreateAccount(t, "rules", "rules-password", "user")
		for _, c := range []struct {
			name           string
			roles          []uint64
			extras, hidden []string
			want           string
		}{
			{name: "nothing", want: ""},
			{name: "a child brings its parent", extras: []string{"orders.list"}, want: "orders(orders.list)"},
			{name: "a grandchild brings both", extras: []string{"orders.new.scan"}, want: "orders(orders.new(orders.new.scan))"},
			{name: "a role", roles: []uint64{clerk.ID}, want: "home orders(orders.list)"},
			{name: "roles and extras unite", roles: []uint64{clerk.ID, lead.ID}, extras: []string{"settings.debug"},
				want: "home orders(orders.list orders.new(orders.new.scan)) settings(settings.debug)"},
			{name: "hidden child", roles: []uint64{clerk.ID}, extras: []string{"orders.new"}, hidden: []string{"orders.list"},
				want: "home orders(orders.new)"},
			{name: "a hidden only child takes no parent with it", roles: []uint64{clerk.ID}, hidden: []string{"orders.list"}, want: "home"},
			{name: "a hidden grandchild takes no parents with it", roles: []uint64{lead.ID}, hidden: []string{"orders.new.scan"}, want: ""},
			{name: "a parent given itself stays when its child is hidden", roles: []uint64{clerk.ID}, extras: []string{"orders"},
				hidden: []string{"orders.list"}, want: "home orders"},
			{name: "hidden parent hides its subtree", roles: []uint64{clerk.ID, lead.ID}, hidden: []string{"orders"}, want: "home"},
			{name: "hidden middle keeps the root", extras: []string{"orders.new.scan", "orders.list"}, hidden: []string{"orders.new"},
				want: "orders(orders.list)"},
			{name: "hiding what is not given changes nothing", extras: []string{"home"}, hidden: []string{"settings"}, want: "home"},
			{name: "a parent alone is a parent alone", extras: []string{"settings"}, want: "settings"},
		} {
			t.Run(c.name, func(t *testing.T) {
				if err := app.Accounts.SetAccountMenus(ctx, actor, acct.ID, c.roles, f.of(c.extras...), f.of(c.hidden...)); err != nil {
					t.Fatal(err)
				}
				tree, err := app.Accounts.MenuTree(ctx, acct.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got := treeString(tree); got != c.want {
					t.Fatalf("effective menus: got %q, want %q", got, c.want)
				}
				labelled, err := app.Accounts.AccountMenus(ctx, acct.ID)
				if err != nil {
					t.Fatal(err)
				}
				want := strings.Fields(strings.NewReplacer("(", " ", ")", " ").Replace(c.want))
				slices.Sort(want)
				if got := effectiveCodes(labelled.Tree); !slices.Equal(got, want) {
					t.Fatalf("the console's labels say %v, the table %v", got, want)
				}
			})
		}
	})
}

// TestMenuListStaysATree: a child assigned alone reaches the mini-program under its parent, by
// info and by checkBind; changes of roles and menus reach it at once.
func TestMenuListStaysATree(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		ctx := context.Background()
		actor := account.Actor{Name: "test"}
		f := newMenuFixture(t, app)
		acct := app.CreateAccount(t, "tree", "tree-password", "user")
		if err := app.Accounts.SetExtraMenus(ctx, actor, acct.ID, f.of("orders.new.scan", "settings.debug")); err != nil {
			t.Fatal(err)
		}
		token := app.BindNew(t, "tree-phone", "tree", "tree-password")
		menuList := func(r webtest.Response) string {
			t.Helper()
			var walk func([]any) string
			walk = func(items []any) string {
				parts := []string{}
				for _, it := range items {
					m := it.(map[string]any)
					s := m["code"].(string)
					if kids := m["children"].([]any); len(kids) > 0 {
						s += "(" + walk(kids) + ")"
					}
					parts = append(parts, s)
				}
				return strings.Join(parts, " ")
			}
			list, ok := r.Body["menuList"].([]any)
			if !ok {
				t.Fatalf("no menuList: %s", r.Raw)
			}
			return walk(list)
		}
		info := func() string { return menuList(app.Authed(t, http.MethodGet, "/mobileApi/user/info", token, nil)) }
		want := "orders(orders.new(orders.new.scan)) settings(settings.debug)"
		if got := info(); got != want {
			t.Fatalf("info menuList %q, want %q", got, want)
		}
		if got := menuList(app.CheckBind(t, wechattest.Code("tree-phone"))); got != want {
			t.Fatalf("checkBind menuList %q, want %q", got, want)
		}

		// A role's menus change: its member sees it on the next info.
		role, err := app.Accounts.CreateMenuRole(ctx, actor, account.MenuRoleInput{Name: "Staff", MenuIDs: f.of("home")})
		if err != nil {
			t.Fatal(err)
		}
		if err := app.Accounts.SetAccountMenus(ctx, actor, acct.ID, []uint64{role.ID}, f.of("orders.new.scan"), nil); err != nil {
			t.Fatal(err)
		}
		if got := info(); got != "home orders(orders.new(orders.new.scan))" {
			t.Fatalf("after the role: %q", got)
		}
		if err := app.Accounts.UpdateMenuRole(ctx, actor, role.ID, account.MenuRoleInput{Name: "Staff", MenuIDs: f.of("home", "settings.debug")}); err != nil {
			t.Fatal(err)
		}
		if got := info(); got != "home orders(orders.new(orders.new.scan)) settings(settings.debug)" {
			t.Fatalf("after the role changed: %q", got)
		}
		// The scan menu moves under settings: orders goes, settings gains it.
		if err := app.Accounts.PlaceMenu(ctx, actor, f.ids["orders.new.scan"], ptr(f.ids["settings"]), 0); err != nil {
			t.Fatal(err)
		}
		if got := info(); got != "home settings(orders.new.scan settings.debug)" {
			t.Fatalf("after the move: %q", got)
		}
		// A menu made invisible takes its subtree out of the mini-program's tree.
		settings, _ := app.Accounts.Menu(ctx, f.ids["settings"])
		in := account.MenuInput{Name: settings.Name, Code: settings.Code, Sort: settings.Sort, Visible: false}
		if err := app.Accounts.UpdateMenu(ctx, actor, settings.ID, in); err != nil {
			t.Fatal(err)
		}
		if got := info(); got != "home" {
			t.Fatalf("after settings was made invisible: %q", got)
		}
		in.Visible = true
		if err := app.Accounts.UpdateMenu(ctx, actor, settings.ID, in); err != nil {
			t.Fatal(err)
		}
		// The only menu that brought a parent is deleted: the parent goes too.
		if err := app.Accounts.DeleteMenu(ctx, actor, f.ids["settings.debug"]); err != nil {
			t.Fatal(err)
		}
		if err := app.Accounts.DeleteMenu(ctx, actor, f.ids["orders.new.scan"]); err != nil {
			t.Fatal(err)
		}
		if got := info(); got != "home" {
			t.Fatalf("after deleting the children: %q", got)
		}
		if err := app.Accounts.DeleteMenuRole(ctx, actor, role.ID); err != nil {
			t.Fatal(err)
		}
		if got := info(); got != "" {
			t.Fatalf("after deleting the role: %q", got)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// TestDefaultMenuRoleAtFirstBind: the default role is given at an account's first bind, not
// again at a later one, and not to an account whose roles an admin chose at its creation.
func TestDefaultMenuRoleAtFirstBind(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		ctx := context.Background()
		actor := account.Actor{Name: "test"}
		f := newMenuFixture(t, app)
		def, err := app.Accounts.CreateMenuRole(ctx, actor, account.MenuRoleInput{Name: "New staff", IsDefault: true, MenuIDs: f.of("orders.list")})
		if err != nil {
			t.Fatal(err)
		}
		other, err := app.Accounts.CreateMenuRole(ctx, actor, account.MenuRoleInput{Name: "Other", IsDefault: true, MenuIDs: f.of("home")})
		if err != nil {
			t.Fatal(err)
		}
		// The second default replaced the first.
		if id, _ := app.Accounts.DefaultMenuRoleID(ctx); id != other.ID {
			t.Fatalf("default role %d, want %d", id, other.ID)
		}
		if err := app.Accounts.UpdateMenuRole(ctx, actor, def.ID, account.MenuRoleInput{Name: "New staff", IsDefault: true, MenuIDs: f.of("orders.list")}); err != nil {
			t.Fatal(err)
		}

		app.CreateAccount(t, "fresh", "fresh-password", "user")
		token := app.BindNew(t, "fresh-phone", "fresh", "fresh-password")
		codes := func(token string) string {
			r := app.Authed(t, http.MethodGet, "/mobileApi/user/info", token, nil)
			return fmt.Sprint(r.Body["menuList"])
		}
		if got := codes(token); !strings.Contains(got, "orders.list") || strings.Contains(got, "home") {
			t.Fatalf("first bind must bring the default role's menus: %s", got)
		}
		// The admin takes the role away; unbinding and binding again does not bring it back.
		acct, _ := app.Store.AccountByUsername(ctx, "fresh")
		if err := app.Accounts.SetAccountMenus(ctx, actor, acct.ID, nil, nil, nil); err != nil {
			t.Fatal(err)
		}
		if err := app.Accounts.UnbindAccount(ctx, actor, acct.ID); err != nil {
			t.Fatal(err)
		}
		token = app.BindNew(t, "fresh-phone", "fresh", "fresh-password")
		if got := codes(token); got != "[]" {
			t.Fatalf("a second bind must not give the default role again: %s", got)
		}

		// Created with a role of the admin's choice: the default is not added at bind.
		chosen, err := app.Accounts.CreateAccountAs(ctx, actor, account.NewAccount{Username: "chosen", Password: "chosen-password", Role: "user", MenuRoleIDs: []uint64{other.ID}})
		if err != nil {
			t.Fatal(err)
		}
		token = app.BindNew(t, "chosen-phone", "chosen", "chosen-password")
		if got := codes(token); !strings.Contains(got, "home") || strings.Contains(got, "orders.list") {
			t.Fatalf("account %d created with its role: %s", chosen.ID, got)
		}
	})
}

// statementCounter counts the statements a GORM session sends.
type statementCounter struct {
	logger.Interface
	n atomic.Int64
}

func (c *statementCounter) LogMode(logger.LogLevel) logger.Interface { return c }
func (c *statementCounter) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	c.n.Add(1)
}

// TestBulkMenusOverAFilter: a bulk role change over the 10,000 accounts a filter matches is a
// few batched statements, in one transaction, audited once with the count.
func TestBulkMenusOverAFilter(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		ctx := context.Background()
		actor := account.Actor{Name: "boss"}
		f := newMenuFixture(t, app)
		role, err := app.Accounts.CreateMenuRole(ctx, actor, account.MenuRoleInput{Name: "店员", MenuIDs: f.of("orders.list")})
		if err != nil {
			t.Fatal(err)
		}
		const n = 10_000
		hash, _ := bcrypt.GenerateFromPassword([]byte("shop-password"), bcrypt.MinCost)
		demo := make([]models.BulkAccount, n)
		for i := range demo {
			demo[i] = models.BulkAccount{Username: fmt.Sprintf("shop%05d", i), Name: "Shop", OpenID: fmt.Sprintf("oShop%05d", i), Nickname: "shop"}
		}
		if err := app.Store.InsertAccountsInBulk(ctx, app.Accounts.AppID(), string(hash), demo, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		app.CreateAccount(t, "outsider", "outsider-password", "user")

		counter := &statementCounter{Interface: logger.Discard}
		counted, err := account.New(account.Config{Store: models.NewStore(app.DB.Gorm.Session(&gorm.Session{Logger: counter})),
			WeChat: app.WeChat.Client(t, 2*time.Second), SecretKey: webtest.SecretKey})
		if err != nil {
			t.Fatal(err)
		}
		filter := account.AccountFilter{Query: "shop"}
		if got, err := counted.CountMatching(ctx, filter); err != nil || got != n {
			t.Fatalf("count: %d, %v", got, err)
		}
		// Over all 10,000: a role added, then every role replaced by none. The other actions
		// make the same statements per chunk; they run over the ten accounts shop0000x, which
		// keeps the test short under the race detector.
		few := account.AccountFilter{Query: "shop0000"}
		for _, step := range []struct {
			filter account.AccountFilter
			n      int
			ch     account.BulkMenuChange
			want   string // what shop00000 and shop00009 see after
			last   string // what shop09999 sees after
		}{
			{filter, n, account.BulkMenuChange{Action: account.BulkAddRole, RoleIDs: []uint64{role.ID}}, "orders(orders.list)", "orders(orders.list)"},
			{few, 10, account.BulkMenuChange{Action: account.BulkAddExtra, MenuIDs: f.of("home")}, "home orders(orders.list)", "orders(orders.list)"},
			{few, 10, account.BulkMenuChange{Action: account.BulkHide, MenuIDs: f.of("orders")}, "home", "orders(orders.list)"},
			{few, 10, account.BulkMenuChange{Action: account.BulkRemoveRole, RoleIDs: []uint64{role.ID}}, "home", "orders(orders.list)"},
			{filter, n, account.BulkMenuChange{Action: account.BulkSetRoles, RoleIDs: nil}, "home", ""},
		} {
			counter.n.Store(0)
			got, err := counted.BulkMenus(ctx, actor, step.filter, step.ch)
			if err != nil || got != step.n {
				t.Fatalf("%s: %d accounts, %v", step.ch.Action, got, err)
			}
			// The matching accounts (1), the names (1), the menus counter (1), then per 5,000
			// accounts the change (at most 2) and the effective menus (2), the audit entry (1).
			if stmts := counter.n.Load(); stmts > 15 {
				t.Fatalf("%s over %d accounts took %d statements", step.ch.Action, got, stmts)
			} else {
				t.Logf("%s over %d accounts: %d statements", step.ch.Action, got, stmts)
			}
			for _, u := range []string{"shop00000", "shop00009"} {
				a, _ := app.Store.AccountByUsername(ctx, u)
				tree, _ := app.Accounts.MenuTree(ctx, a.ID)
				if s := treeString(tree); s != step.want {
					t.Fatalf("%s: %s sees %q, want %q", step.ch.Action, u, s, step.want)
				}
			}
			last, _ := app.Store.AccountByUsername(ctx, "shop09999")
			if tree, _ := app.Accounts.MenuTree(ctx, last.ID); treeString(tree) != step.last {
				t.Fatalf("%s: shop09999 sees %q, want %q", step.ch.Action, treeString(tree), step.last)
			}
			out, _ := app.Store.AccountByUsername(ctx, "outsider")
			if tree, _ := app.Accounts.MenuTree(ctx, out.ID); len(tree) != 0 {
				t.Fatalf("the filter's outsider was changed: %v", tree)
			}
		}
		list, err := app.Accounts.AuditLog(ctx, account.AuditFilter{Action: account.ActionMenusBulk}, account.ListPage{Size: 100})
		entries := list.Rows
		if err != nil || len(entries) != 5 {
			t.Fatalf("want one audit entry per bulk change, got %d, %v", len(entries), err)
		}
		d := entries[len(entries)-1].Detail
		if fmt.Sprint(d["Count"]) != "10000" || fmt.Sprint(d["Roles"]) != "[店员]" || d["Action"] != account.BulkAddRole {
			t.Fatalf("audit detail: %v", d)
		}
		if _, err := counted.BulkMenus(ctx, actor, account.AccountFilter{Query: "nobody-matches"}, account.BulkMenuChange{Action: account.BulkAddRole, RoleIDs: []uint64{role.ID}}); err == nil {
			t.Fatal("a filter matching nobody must be refused")
		}
	})
}
