package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"wxbind/models"
	"wxbind/models/modelstest"
)

// TestInsertAccountsInBulk: a fill of more rows than one statement takes lands whole, bound and
// with its menus; LastNumberedAccount finds where it stopped; EnsureMenus reuses what exists; a
// batch with a taken username leaves nothing behind.
func TestInsertAccountsInBulk(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		db := modelstest.Open(t, driver)
		store := models.NewStore(db.Gorm)
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)

		if _, found, err := store.LastNumberedAccount(ctx, "demo", 11); err != nil || found {
			t.Fatalf("empty database: found=%v err=%v", found, err)
		}
		menus := []models.Menu{{Code: "d.root", Name: "Root", Visible: true}, {Code: "d.child", Name: "Child 🌱", Visible: true}}
		byCode, err := store.EnsureMenus(ctx, menus, map[string]string{"d.child": "d.root"}, now)
		if err != nil {
			t.Fatal(err)
		}
		if c := byCode["d.child"]; c.ParentID == nil || *c.ParentID != byCode["d.root"].ID {
			t.Fatalf("child's parent: %+v", c)
		}
		again, err := store.EnsureMenus(ctx, menus, map[string]string{"d.child": "d.root"}, now)
		if err != nil || again["d.child"].ID != byCode["d.child"].ID {
			t.Fatalf("a second EnsureMenus must reuse the menus: %v %v", again, err)
		}

		// 2,500 accounts: more rows than one statement takes, and menus split across statements.
		var batch []models.BulkAccount
		for i := 1; i <= 2500; i++ {
			batch = append(batch, models.BulkAccount{
				Username: fmt.Sprintf("demo%07d", i), Name: "Demo", OpenID: fmt.Sprintf("demo-openid-%d", i),
				Nickname: "小明 🐼", MenuIDs: []uint64{byCode["d.root"].ID, byCode["d.child"].ID},
			})
		}
		if err := store.InsertAccountsInBulk(ctx, "wxdemo", "hash-of-password", batch, now); err != nil {
			t.Fatal(err)
		}
		// An account outside the demo pattern does not count as the last one.
		if err := store.CreateAccount(ctx, &models.Account{Username: "demo9999999x", PasswordHash: "h", Role: "user", Status: "active", CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		last, found, err := store.LastNumberedAccount(ctx, "demo", 11)
		if err != nil || !found || last.Username != "demo0002500" || last.AppID != "wxdemo" || last.PasswordHash != "hash-of-password" {
			t.Fatalf("last numbered account: %+v found=%v err=%v", last, found, err)
		}
		ident, err := store.IdentityByOpenID(ctx, "wxdemo", "demo-openid-1234")
		if err != nil || ident.AccountID == nil || ident.Nickname != "小明 🐼" {
			t.Fatalf("identity of 1234: %+v %v", ident, err)
		}
		acct, err := store.AccountByID(ctx, *ident.AccountID)
		if err != nil || acct.Username != "demo0001234" {
			t.Fatalf("identity 1234 is bound to %+v (%v)", acct, err)
		}
		if ms, err := store.MenusOfAccount(ctx, acct.ID); err != nil || len(ms) != 2 {
			t.Fatalf("menus of demo0001234: %d %v", len(ms), err)
		}

		// A batch whose username exists is refused whole: nothing of it stays.
		dup := []models.BulkAccount{{Username: "demo0002501", OpenID: "demo-openid-2501"}, {Username: "demo0000001", OpenID: "demo-openid-x"}}
		if err := store.InsertAccountsInBulk(ctx, "wxdemo", "h", dup, now); err == nil {
			t.Fatal("a duplicate username must fail the batch")
		}
		if _, err := store.AccountByUsername(ctx, "demo0002501"); err != models.ErrNotFound {
			t.Fatalf("the failed batch left demo0002501 behind: %v", err)
		}
	})
}
