package mobile_test

import (
	"context"
	"net/http"
	"testing"

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
