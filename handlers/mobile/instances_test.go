package mobile_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"wxbind/account"
	"wxbind/models"
	"wxbind/models/modelstest"
	"wxbind/web/webtest"
	"wxbind/wechat/wechattest"
)

// TestTwoInstancesShareState runs two servers on one database, as behind a load balancer: a
// logout, unbind or account disable on one is honoured by the other at once.
func TestTwoInstancesShareState(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		db := modelstest.Open(t, driver)
		a := webtest.Start(t, webtest.Options{Driver: driver, DB: &db})
		b := webtest.Start(t, webtest.Options{Driver: driver, DB: &db})
		acct := a.CreateAccount(t, "uma", "uma-password", "user")

		// a ticket from one instance binds on the other
		first := a.CheckBind(t, wechattest.Code("uma-phone"))
		r := b.Do(t, http.MethodPost, bindPath, map[string]any{"bindTicket": first.String("bindTicket"), "username": "uma", "password": "uma-password"})
		if r.Code() != 1 {
			t.Fatalf("bind on the other instance: %s", r.Raw)
		}
		token1 := r.String("token")
		token2 := a.CheckBind(t, wechattest.Code("uma-phone")).String("token")
		token3 := b.CheckBind(t, wechattest.Code("uma-phone")).String("token")

		// logout on A kills the token on B
		a.Authed(t, http.MethodPost, "/mobileApi/user/logout", token1, nil)
		if r := b.Authed(t, http.MethodGet, "/mobileApi/user/info", token1, nil); r.Status != 401 {
			t.Fatalf("logout on A, token still works on B: %d", r.Status)
		}
		// unbind on B kills every token on A
		if r := b.Authed(t, http.MethodPost, "/mobileApi/user/unbind", token2, nil); r.Code() != 1 {
			t.Fatalf("unbind: %s", r.Raw)
		}
		if r := a.Authed(t, http.MethodGet, "/mobileApi/user/info", token3, nil); r.Status != 401 {
			t.Fatalf("unbind on B, token still works on A: %d", r.Status)
		}
		// disabling the account through the console's rule on B is seen by A at once
		token4 := b.BindNew(t, "uma-phone-2", "uma", "uma-password")
		if r := a.Authed(t, http.MethodGet, "/mobileApi/user/info", token4, nil); r.Code() != 1 {
			t.Fatalf("fresh token on A: %s", r.Raw)
		}
		if err := b.Accounts.UpdateAccount(context.Background(), account.Actor{Name: "test"}, acct.ID, account.AccountChanges{Name: acct.Name, Role: acct.Role, Status: models.StatusDisabled}); err != nil {
			t.Fatal(err)
		}
		for _, app := range []*webtest.App{a, b} {
			if r := app.Authed(t, http.MethodGet, "/mobileApi/user/info", token4, nil); r.Status != 401 {
				t.Fatalf("disabled account's token still works: %d", r.Status)
			}
		}
	})
}

// TestInfoFreshOnEveryInstance: each instance answers info from a view of the user it keeps,
// checked against the database's counters on every call. So every change made through another
// instance — to the account, to the WeChat profile, to a menu or to who has it — shows on the
// very next info, and a token from before tokens carried their id still works.
func TestInfoFreshOnEveryInstance(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		db := modelstest.Open(t, driver)
		a := webtest.Start(t, webtest.Options{Driver: driver, DB: &db})
		b := webtest.Start(t, webtest.Options{Driver: driver, DB: &db})
		ctx := context.Background()
		admin := account.Actor{Name: "test-admin"}
		acct := a.CreateAccount(t, "vic", "vic-password", "user")
		token := a.BindNew(t, "vic-phone", "vic", "vic-password")
		// info also logs vic in again on A first: checkBind answers from the same view, under
		// counters read in its own transaction, and must be as fresh.
		info := func(what string) map[string]any {
			t.Helper()
			login := a.CheckBind(t, wechattest.Code("vic-phone"))
			r := a.Authed(t, http.MethodGet, "/mobileApi/user/info", token, nil)
			if r.Code() != 1 || login.Code() != 1 {
				t.Fatalf("%s: checkBind %s, info %s", what, login.Raw, r.Raw)
			}
			if !reflect.DeepEqual(login.Body["userInfo"], r.Body["userInfo"]) || !reflect.DeepEqual(login.Body["menuList"], r.Body["menuList"]) {
				t.Fatalf("%s: checkBind answered %s, info %s", what, login.Raw, r.Raw)
			}
			return r.Body
		}
		userField := func(body map[string]any, key string) string {
			u, _ := body["userInfo"].(map[string]any)
			s, _ := u[key].(string)
			return s
		}
		menuNames := func(body map[string]any) []string {
			var names []string
			var walk func(any)
			walk = func(v any) {
				list, _ := v.([]any)
				for _, n := range list {
					m, _ := n.(map[string]any)
					name, _ := m["name"].(string)
					names = append(names, name)
					walk(m["children"])
				}
			}
			walk(body["menuList"])
			return names
		}
		info("warm the view")
		info("from the view")

		// The account, changed through the other instance's rules.
		if err := b.Accounts.UpdateAccount(ctx, admin, acct.ID, account.AccountChanges{Name: "Victor", Role: acct.Role, Status: acct.Status}); err != nil {
			t.Fatal(err)
		}
		if got := userField(info("after a rename"), "name"); got != "Victor" {
			t.Fatalf("account renamed on B: A's info says name %q", got)
		}
		// The WeChat profile.
		if r := b.Authed(t, http.MethodPost, "/mobileApi/user/profile", token, map[string]any{"nickName": "Vic 🚲"}); r.Code() != 1 {
			t.Fatalf("profile: %s", r.Raw)
		}
		if got := userField(info("after a new nickname"), "nickName"); got != "Vic 🚲" {
			t.Fatalf("nickname changed on B: A's info says %q", got)
		}
		// The phone number.
		if r := b.Authed(t, http.MethodPost, "/mobileApi/user/phone", token, map[string]any{"code": wechattest.PhoneCode("vic-phone", "13700137000")}); r.Code() != 1 {
			t.Fatalf("phone: %s", r.Raw)
		}
		if got := userField(info("after the phone"), "phone"); got != "13700137000" {
			t.Fatalf("phone set on B: A's info says %q", got)
		}
		// Menus: assigned, renamed, hidden, taken away.
		orders, err := b.Accounts.CreateMenu(ctx, admin, account.MenuInput{Name: "Orders", Code: "orders", Visible: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Accounts.SetExtraMenus(ctx, admin, acct.ID, []uint64{orders.ID}); err != nil {
			t.Fatal(err)
		}
		if got := menuNames(info("after assigning")); len(got) != 1 || got[0] != "Orders" {
			t.Fatalf("menu assigned on B: A's info lists %v", got)
		}
		if err := b.Accounts.UpdateMenu(ctx, admin, orders.ID, account.MenuInput{Name: "Orders 📦", Code: "orders", Visible: true}); err != nil {
			t.Fatal(err)
		}
		if got := menuNames(info("after renaming the menu")); len(got) != 1 || got[0] != "Orders 📦" {
			t.Fatalf("menu renamed on B: A's info lists %v", got)
		}
		if err := b.Accounts.UpdateMenu(ctx, admin, orders.ID, account.MenuInput{Name: "Orders 📦", Code: "orders", Visible: false}); err != nil {
			t.Fatal(err)
		}
		if got := menuNames(info("after hiding the menu")); len(got) != 0 {
			t.Fatalf("menu hidden on B: A's info lists %v", got)
		}
		if err := b.Accounts.UpdateMenu(ctx, admin, orders.ID, account.MenuInput{Name: "Orders 📦", Code: "orders", Visible: true}); err != nil {
			t.Fatal(err)
		}
		if err := b.Accounts.SetExtraMenus(ctx, admin, acct.ID, nil); err != nil {
			t.Fatal(err)
		}
		if got := menuNames(info("after taking the menu away")); len(got) != 0 {
			t.Fatalf("menus cleared on B: A's info lists %v", got)
		}
		// Menu roles: a role given on B, then its menus changed on B, then the role deleted.
		role, err := b.Accounts.CreateMenuRole(ctx, admin, account.MenuRoleInput{Name: "Clerk"})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Accounts.SetAccountMenus(ctx, admin, acct.ID, []uint64{role.ID}, nil, nil); err != nil {
			t.Fatal(err)
		}
		if got := menuNames(info("after an empty role")); len(got) != 0 {
			t.Fatalf("empty role on B: A's info lists %v", got)
		}
		if err := b.Accounts.UpdateMenuRole(ctx, admin, role.ID, account.MenuRoleInput{Name: "Clerk", MenuIDs: []uint64{orders.ID}}); err != nil {
			t.Fatal(err)
		}
		if got := menuNames(info("after the role gained a menu")); len(got) != 1 {
			t.Fatalf("role changed on B: A's info lists %v", got)
		}
		if err := b.Accounts.DeleteMenuRole(ctx, admin, role.ID); err != nil {
			t.Fatal(err)
		}
		if got := menuNames(info("after the role was deleted")); len(got) != 0 {
			t.Fatalf("role deleted on B: A's info lists %v", got)
		}

		// A token in the old shape (the random part alone, found by its hash) still works.
		id, secret, _ := strings.Cut(token, ".")
		if id == "" || secret == "" {
			t.Fatalf("token %q does not carry its id", token)
		}
		var identityID uint64
		if err := a.DB.Gorm.Table("wechat_identities").Where("account_id = ?", acct.ID).Pluck("id", &identityID).Error; err != nil {
			t.Fatal(err)
		}
		legacy := strings.Repeat("L", 43)
		sum := sha256.Sum256([]byte(legacy))
		now := time.Now().UTC().Truncate(time.Millisecond)
		row := models.LoginToken{TokenHash: hex.EncodeToString(sum[:]), AccountID: acct.ID, IdentityID: identityID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := a.Store.CreateLoginToken(ctx, &row); err != nil {
			t.Fatal(err)
		}
		if r := b.Authed(t, http.MethodGet, "/mobileApi/user/info", legacy, nil); r.Code() != 1 || userField(r.Body, "name") != "Victor" {
			t.Fatalf("a token without its id: %s", r.Raw)
		}
		if r := b.Authed(t, http.MethodGet, "/mobileApi/user/info", id+"."+legacy, nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("another token's id with this secret must not log in: %d %s", r.Status, r.Raw)
		}
	})
}

// TestInfoFreshWhileLoggingIn races checkBinds on one instance with changes to the account on
// another. The token check reads only the token's row, whose copy of the identity's
// info_version a change bumps; a token issued by a checkBind that raced the change must still
// show the change on its next info, and a disable that raced checkBinds leaves no live token.
func TestInfoFreshWhileLoggingIn(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		db := modelstest.Open(t, driver)
		a := webtest.Start(t, webtest.Options{Driver: driver, DB: &db})
		b := webtest.Start(t, webtest.Options{Driver: driver, DB: &db})
		ctx := context.Background()
		admin := account.Actor{Name: "test-admin"}
		acct := a.CreateAccount(t, "rae", "rae-password", "user")
		a.BindNew(t, "rae-phone", "rae", "rae-password")
		login := func() []string {
			var tokens []string
			var mu sync.Mutex
			var wg sync.WaitGroup
			for range 6 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := a.CheckBind(t, wechattest.Code("rae-phone"))
					if r.Code() == 1 {
						mu.Lock()
						tokens = append(tokens, r.String("token"))
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			return tokens
		}
		info := func(round int, token, want string) {
			t.Helper()
			r := a.Authed(t, http.MethodGet, "/mobileApi/user/info", token, nil)
			if u, _ := r.Body["userInfo"].(map[string]any); u["name"] != want {
				t.Fatalf("round %d: renamed to %q, info shows %s", round, want, r.Raw)
			}
		}
		earlier := login()[0]
		for i := range 12 {
			// A token from before, whose view A holds: a rename on B alone must reach it.
			name := fmt.Sprintf("Rae %d", i)
			if err := b.Accounts.UpdateAccount(ctx, admin, acct.ID, account.AccountChanges{Name: name, Role: acct.Role, Status: acct.Status}); err != nil {
				t.Fatalf("rename %d: %v", i, err)
			}
			info(i, earlier, name)
			// Then a rename racing checkBinds.
			name += " again"
			var tokens []string
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { defer wg.Done(); tokens = login() }()
			if err := b.Accounts.UpdateAccount(ctx, admin, acct.ID, account.AccountChanges{Name: name, Role: acct.Role, Status: acct.Status}); err != nil {
				t.Fatalf("rename %d: %v", i, err)
			}
			wg.Wait()
			if len(tokens) != 6 {
				t.Fatalf("round %d: %d of 6 checkBinds gave a token", i, len(tokens))
			}
			info(i, earlier, name)
			for _, tok := range tokens {
				info(i, tok, name)
			}
			earlier = tokens[i%len(tokens)]
			info(i, earlier, name)
		}
		var tokens []string
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); tokens = login() }()
		if err := b.Accounts.UpdateAccount(ctx, admin, acct.ID, account.AccountChanges{Name: acct.Name, Role: acct.Role, Status: models.StatusDisabled}); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		for _, tok := range tokens {
			if r := a.Authed(t, http.MethodGet, "/mobileApi/user/info", tok, nil); r.Status != 401 {
				t.Fatalf("a token issued alongside the disable still works: %d %s", r.Status, r.Raw)
			}
		}
	})
}
