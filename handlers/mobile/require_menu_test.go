package mobile_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"wxbind/account"
	"wxbind/handlers/mobile"
	"wxbind/models/modelstest"
	"wxbind/web/webtest"
)

// TestRequireMenu: a business API behind RequireMenu answers 403 until the console assigns the
// menu to the token's user, and again once the menu is hidden or taken away.
func TestRequireMenu(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		alice := app.CreateAccount(t, "alice", "alice-password", "user")
		token := app.BindNew(t, "alice-phone", "alice", "alice-password")
		ctx := context.Background()
		admin := account.Actor{Name: "test-admin"}
		orders, err := app.Accounts.CreateMenu(ctx, admin, account.MenuInput{Name: "Orders", Code: "orders", Visible: true})
		if err != nil {
			t.Fatal(err)
		}

		h := mobile.New(app.Accounts)
		e := gin.New()
		e.GET("/biz/orders", h.RequireToken(), h.RequireMenu("orders"), func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"code": 1}) })
		call := func(tok string) int {
			req := httptest.NewRequest(http.MethodGet, "/biz/orders", nil)
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			return rec.Code
		}

		if got := call(""); got != http.StatusUnauthorized {
			t.Fatalf("no token: want 401, got %d", got)
		}
		if got := call(token); got != http.StatusForbidden {
			t.Fatalf("without the menu: want 403, got %d", got)
		}
		if err := app.Accounts.SetAccountMenus(ctx, admin, alice.ID, []uint64{orders.ID}); err != nil {
			t.Fatal(err)
		}
		if got := call(token); got != http.StatusOK {
			t.Fatalf("with the menu: want 200, got %d", got)
		}
		if err := app.Accounts.UpdateMenu(ctx, admin, orders.ID, account.MenuInput{Name: "Orders", Code: "orders", Visible: false}); err != nil {
			t.Fatal(err)
		}
		if got := call(token); got != http.StatusForbidden {
			t.Fatalf("menu hidden: want 403, got %d", got)
		}
		if err := app.Accounts.UpdateMenu(ctx, admin, orders.ID, account.MenuInput{Name: "Orders", Code: "orders", Visible: true}); err != nil {
			t.Fatal(err)
		}
		if err := app.Accounts.SetAccountMenus(ctx, admin, alice.ID, nil); err != nil {
			t.Fatal(err)
		}
		if got := call(token); got != http.StatusForbidden {
			t.Fatalf("menu taken away: want 403, got %d", got)
		}
	})
}
