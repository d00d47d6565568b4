package mobile_test

import (
	"net/http"
	"testing"

	"wxbind/models"
	"wxbind/models/modelstest"
	"wxbind/web/webtest"
	"wxbind/wechat/wechattest"
)

// TestLoginFlow walks the mini-program's whole path: not bound, bind, bound, info, profile,
// logout, unbind.
func TestLoginFlow(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		app.CreateAccount(t, "alice", "correct-horse", "user")

		first := app.CheckBind(t, wechattest.Code("alice-phone"))
		if first.Status != 200 || first.Code() != 301 {
			t.Fatalf("first checkBind: want 200/301, got %d %s", first.Status, first.Raw)
		}
		if first.String("openId") != wechattest.OpenID("alice-phone") || first.String("bindTicket") == "" {
			t.Fatalf("301 must carry the openId and a bindTicket: %s", first.Raw)
		}

		nick := "Ali 🐱‍👤 <b>ce</b>"
		bind := app.Do(t, http.MethodPost, "/mobileApi/user/bind", map[string]any{
			"bindTicket": first.String("bindTicket"), "openId": first.String("openId"),
			"username": "alice", "password": "correct-horse", "nickName": nick,
		})
		if bind.Status != 200 || bind.Code() != 1 || bind.String("token") == "" {
			t.Fatalf("bind: %d %s", bind.Status, bind.Raw)
		}

		again := app.CheckBind(t, wechattest.Code("alice-phone"))
		if again.Code() != 1 || again.String("token") == "" {
			t.Fatalf("checkBind after bind: want code 1 with token, got %s", again.Raw)
		}
		user := again.Body["userInfo"].(map[string]any)
		if user["nickName"] != nick || user["username"] != "alice" {
			t.Fatalf("userInfo: nickname must come back byte for byte: %v", user)
		}
		token := again.String("token")
		var ident models.WechatIdentity
		app.DB.Gorm.Where("openid = ?", wechattest.OpenID("alice-phone")).Take(&ident)
		if ident.LastLoginAt == nil || ident.BoundAt == nil || ident.LastLoginAt.Before(*ident.BoundAt) {
			t.Fatalf("a bound user's checkBind must record the login: bound %v, last login %v", ident.BoundAt, ident.LastLoginAt)
		}
		info := app.Authed(t, http.MethodGet, "/mobileApi/user/info", token, nil)
		if info.Status != 200 || info.Code() != 1 {
			t.Fatalf("info: %d %s", info.Status, info.Raw)
		}

		if r := app.Authed(t, http.MethodPost, "/mobileApi/user/logout", token, nil); r.Code() != 1 {
			t.Fatalf("logout: %s", r.Raw)
		}
		if r := app.Authed(t, http.MethodGet, "/mobileApi/user/info", token, nil); r.Status != 401 || r.Code() != 401 {
			t.Fatalf("info after logout: want 401, got %d %s", r.Status, r.Raw)
		}
	})
}
