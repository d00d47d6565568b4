package mobile_test

import (
	"context"
	"net/http"
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

func TestTokenTransports(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) { tokenTransports(t, driver) })
}

func tokenTransports(t *testing.T, driver string) {
	app := webtest.Start(t, webtest.Options{Driver: driver})
	app.CreateAccount(t, "leo", "leo-password", "user")
	token := app.BindNew(t, "leo-phone", "leo", "leo-password")
	for _, s := range []scenario{
		{name: "bearer", path: "/mobileApi/user/info", headers: []string{"Authorization", "Bearer " + token}, wantStatus: 200, wantCode: 1},
		{name: "token header", path: "/mobileApi/user/info", headers: []string{"token", token}, wantStatus: 200, wantCode: 1},
		{name: "token query", path: "/mobileApi/user/info?token=" + token, wantStatus: 200, wantCode: 1},
		{name: "missing", path: "/mobileApi/user/info", wantStatus: 401, wantCode: 401, wantReason: "token_missing"},
		{name: "malformed", path: "/mobileApi/user/info", headers: []string{"token", "not-a-token"}, wantStatus: 401, wantCode: 401, wantReason: "unauthenticated"},
		{name: "overlong", path: "/mobileApi/user/info", headers: []string{"token", strings.Repeat("A", 5000)}, wantStatus: 401, wantCode: 401, wantReason: "unauthenticated"},
		{name: "well-formed but unknown", path: "/mobileApi/user/info", headers: []string{"token", strings.Repeat("A", 43)}, wantStatus: 401, wantCode: 401, wantReason: "unauthenticated"},
		{name: "bearer in lower case", path: "/mobileApi/user/info", headers: []string{"Authorization", "bearer " + token}, wantStatus: 200, wantCode: 1},
		{name: "BEARER, two spaces", path: "/mobileApi/user/info", headers: []string{"Authorization", "BEARER  " + token}, wantStatus: 200, wantCode: 1},
		{name: "bearer without a token", path: "/mobileApi/user/info", headers: []string{"Authorization", "bearer "}, wantStatus: 401, wantCode: 401, wantReason: "token_missing"},
		{name: "Bearerx is another scheme", path: "/mobileApi/user/info", headers: []string{"Authorization", "Bearerx " + token}, wantStatus: 401, wantCode: 401, wantReason: "token_missing"},
		{name: "wrong scheme", path: "/mobileApi/user/info", headers: []string{"Authorization", "Basic " + token}, wantStatus: 401, wantCode: 401},
	} {
		t.Run(s.name, func(t *testing.T) { s.run(t, app) })
	}
}

func TestTokenExpires(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	app := webtest.Start(t, webtest.Options{Now: clock, TokenTTL: time.Hour})
	app.CreateAccount(t, "mia", "mia-password", "user")
	token := app.BindNew(t, "mia-phone", "mia", "mia-password")
	scenario{path: "/mobileApi/user/info", headers: []string{"token", token}, wantStatus: 200, wantCode: 1}.run(t, app)
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	scenario{path: "/mobileApi/user/info", headers: []string{"token", token}, wantStatus: 401, wantCode: 401}.run(t, app)
}

func TestTokensStoredHashed(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		app.CreateAccount(t, "nia", "nia-password", "user")
		token := app.BindNew(t, "nia-phone", "nia", "nia-password")
		if len(token) < 43 {
			t.Fatalf("token %q is shorter than 256 bits of base64", token)
		}
		var hashes []string
		app.DB.Gorm.Model(&models.LoginToken{}).Pluck("token_hash", &hashes)
		for _, h := range hashes {
			if strings.Contains(h, token) || h == token {
				t.Fatal("the database must hold only the token's hash")
			}
		}
		var pw string
		app.DB.Gorm.Model(&models.Account{}).Where("username = ?", "nia").Pluck("password_hash", &pw)
		if !strings.HasPrefix(pw, "$2") {
			t.Fatalf("password must be stored as bcrypt, got %q", pw)
		}
	})
}

func TestInfoProfileLogoutUnbind(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		acct := app.CreateAccount(t, "olga", "olga-password", "user")
		ctx := context.Background()
		parent := models.Menu{Code: "orders", Name: "Orders 📦", Path: "/pages/orders/index", Icon: "cart", Sort: 2, Visible: true}
		app.Store.CreateMenu(ctx, &parent)
		child := models.Menu{ParentID: &parent.ID, Code: "orders.refunds", Name: "Refunds", Path: "/pages/refunds/index", Sort: 1, Visible: true}
		app.Store.CreateMenu(ctx, &child)
		first := models.Menu{Code: "home", Name: "Home", Path: "/pages/index/index", Sort: 1, Visible: true}
		app.Store.CreateMenu(ctx, &first)
		hidden := models.Menu{Code: "secret", Name: "Hidden", Sort: 0, Visible: false}
		app.Store.CreateMenu(ctx, &hidden)
		notMine := models.Menu{Code: "admin", Name: "Admin", Sort: 0, Visible: true}
		app.Store.CreateMenu(ctx, &notMine)
		if err := app.Accounts.SetExtraMenus(ctx, account.Actor{Name: "test"}, acct.ID, []uint64{parent.ID, child.ID, first.ID, hidden.ID}); err != nil {
			t.Fatal(err)
		}

		tokenA := app.BindNew(t, "olga-phone", "olga", "olga-password")
		tokenB := app.CheckBind(t, wechattest.Code("olga-phone")).String("token")

		info := app.Authed(t, http.MethodGet, "/mobileApi/user/info", tokenA, nil)
		menus := info.Body["menuList"].([]any)
		if len(menus) != 2 {
			t.Fatalf("want 2 root menus (home, orders), got %s", info.Raw)
		}
		home, orders := menus[0].(map[string]any), menus[1].(map[string]any)
		if home["code"] != "home" || orders["code"] != "orders" || orders["name"] != "Orders 📦" {
			t.Fatalf("menus must be ordered by sort: %s", info.Raw)
		}
		kids := orders["children"].([]any)
		if len(kids) != 1 || kids[0].(map[string]any)["code"] != "orders.refunds" || len(home["children"].([]any)) != 0 {
			t.Fatalf("children must nest, and be [] when none: %s", info.Raw)
		}
		for _, k := range []string{"id", "code", "name", "path", "icon", "sort", "children"} {
			if _, ok := orders[k]; !ok {
				t.Fatalf("menu lacks %q: %v", k, orders)
			}
		}
		u := info.Body["userInfo"].(map[string]any)
		for _, k := range []string{"userId", "username", "name", "nickName", "avatarUrl", "openId"} {
			if _, ok := u[k]; !ok {
				t.Fatalf("userInfo lacks %q: %v", k, u)
			}
		}
		if u["openId"] != wechattest.OpenID("olga-phone") || u["username"] != "olga" || u["userId"] != float64(acct.ID) {
			t.Fatalf("userInfo must describe the logged-in user: %v", u)
		}

		for _, s := range []scenario{
			{name: "profile nothing", method: "POST", path: "/mobileApi/user/profile", body: map[string]any{}, headers: []string{"token", tokenA}, wantStatus: 400},
			{name: "profile too long", method: "POST", path: "/mobileApi/user/profile", body: map[string]any{"nickName": strings.Repeat("é", 65)}, headers: []string{"token", tokenA}, wantStatus: 400, wantReason: "invalid_nickName"},
			{name: "profile 64 emoji", method: "POST", path: "/mobileApi/user/profile", body: map[string]any{"nickName": strings.Repeat("🐼", 64)}, headers: []string{"token", tokenA}, wantStatus: 200, wantCode: 1},
			{name: "profile avatar only", method: "POST", path: "/mobileApi/user/profile", body: map[string]any{"avatarUrl": "https://thirdwx.qlogo.cn/mmopen/a/132"}, headers: []string{"token", tokenA}, wantStatus: 200, wantCode: 1,
				wantInBody: []string{strings.Repeat("🐼", 64), "https://thirdwx.qlogo.cn/mmopen/a/132"}},
		} {
			t.Run(s.name, func(t *testing.T) { s.run(t, app) })
		}

		// logout kills only that token
		scenario{method: "POST", path: "/mobileApi/user/logout", headers: []string{"token", tokenA}, wantStatus: 200, wantCode: 1}.run(t, app)
		scenario{path: "/mobileApi/user/info", headers: []string{"token", tokenA}, wantStatus: 401, wantCode: 401}.run(t, app)
		scenario{path: "/mobileApi/user/info", headers: []string{"token", tokenB}, wantStatus: 200, wantCode: 1}.run(t, app)

		// unbind kills every token of the binding, keeps history, and the next checkBind is 301
		tokenC := app.CheckBind(t, wechattest.Code("olga-phone")).String("token")
		scenario{method: "POST", path: "/mobileApi/user/unbind", headers: []string{"token", tokenB}, wantStatus: 200, wantCode: 1}.run(t, app)
		scenario{path: "/mobileApi/user/info", headers: []string{"token", tokenB}, wantStatus: 401, wantCode: 401}.run(t, app)
		scenario{path: "/mobileApi/user/info", headers: []string{"token", tokenC}, wantStatus: 401, wantCode: 401}.run(t, app)
		if r := app.CheckBind(t, wechattest.Code("olga-phone")); r.Code() != 301 {
			t.Fatalf("after unbind checkBind must answer 301: %s", r.Raw)
		}
		var ident models.WechatIdentity
		app.DB.Gorm.Where("openid = ?", wechattest.OpenID("olga-phone")).Take(&ident)
		if ident.AccountID != nil || ident.UnboundAt == nil || ident.BoundAt == nil {
			t.Fatalf("unbind must clear the binding and keep its times: %+v", ident)
		}
		var audit int64
		app.DB.Gorm.Model(&models.AuditEntry{}).Where("action = ?", "unbind").Count(&audit)
		if audit != 1 {
			t.Fatalf("unbind must be audited, %d entries", audit)
		}
		// and the account can be bound again
		app.BindNew(t, "olga-new-phone", "olga", "olga-password")
	})
}

func TestDisabledAccountLosesTokens(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	acct := app.CreateAccount(t, "pia", "pia-password", "user")
	token := app.BindNew(t, "pia-phone", "pia", "pia-password")
	app.DB.Gorm.Model(&acct).Update("status", models.StatusDisabled)
	scenario{path: "/mobileApi/user/info", headers: []string{"token", token}, wantStatus: 401, wantCode: 401}.run(t, app)
	scenario{path: "/mobileApi/user/checkBind?code=" + wechattest.Code("pia-phone"), wantStatus: 403, wantReason: "account_disabled"}.run(t, app)
}

// TestNoSecretsInLogsOrResponses runs a whole flow and scans everything the server logged.
func TestNoSecretsInLogsOrResponses(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	app.CreateAccount(t, "quinn", "quinn-password", "user")
	code := wechattest.Code("quinn-phone")
	first := app.CheckBind(t, code)
	bind := app.Do(t, "POST", bindPath, map[string]any{"bindTicket": first.String("bindTicket"), "username": "quinn", "password": "quinn-password"})
	token := bind.String("token")
	app.Authed(t, http.MethodGet, "/mobileApi/user/info?token="+token, token, nil)
	app.CheckBind(t, code) // reused code: WeChat refuses
	app.Do(t, "POST", bindPath, map[string]any{"bindTicket": first.String("bindTicket"), "username": "quinn", "password": "wrong-password"})
	app.Authed(t, http.MethodPost, "/mobileApi/user/logout", token, nil)

	logs := app.Logs.String()
	for what, secret := range map[string]string{
		"login code": code, "token": token, "password": "quinn-password", "session_key": wechattest.SessionKey("quinn-phone"),
		"bind ticket": first.String("bindTicket"), "WeChat secret": app.WeChat.Secret,
	} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds the %s", what)
		}
	}
	for _, r := range []webtest.Response{first, bind} {
		if strings.Contains(string(r.Raw), wechattest.SessionKey("quinn-phone")) {
			t.Error("a response holds the session_key")
		}
	}
	if !strings.Contains(logs, "route=/mobileApi/user/checkBind") {
		t.Fatalf("the access log should name routes:\n%s", logs)
	}
}
