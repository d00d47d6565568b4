package models_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"wxbind/models"
	"wxbind/models/modelstest"
)

func TestDemoQueries(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		db := modelstest.Open(t, driver)
		store := models.NewStore(db.Gorm)
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)

		if _, found, err := store.LastDemoAccount(ctx, "demo", 11); err != nil || found {
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
		var batch []models.DemoAccount
		for i := 1; i <= 2500; i++ {
			batch = append(batch, models.DemoAccount{
				Username: fmt.Sprintf("demo%07d", i), Name: "Demo", OpenID: fmt.Sprintf("demo-openid-%d", i),
				Nickname: "小明 🐼", MenuIDs: []uint64{byCode["d.root"].ID, byCode["d.child"].ID},
			})
		}
		if err := store.InsertDemoAccounts(ctx, "wxdemo", "hash-of-password", batch, now); err != nil {
			t.Fatal(err)
		}
		// An account outside the demo pattern does not count as the last one.
		if err := store.CreateAccount(ctx, &models.Account{Username: "demo9999999x", PasswordHash: "h", Role: "user", Status: "active", CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		last, found, err := store.LastDemoAccount(ctx, "demo", 11)
		if err != nil || !found || last.Username != "demo0002500" || last.AppID != "wxdemo" || last.PasswordHash != "hash-of-password" {
			t.Fatalf("last demo account: %+v found=%v err=%v", last, found, err)
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
		dup := []models.DemoAccount{{Username: "demo0002501", OpenID: "demo-openid-2501"}, {Username: "demo0000001", OpenID: "demo-openid-x"}}
		if err := store.InsertDemoAccounts(ctx, "wxdemo", "h", dup, now); err == nil {
			t.Fatal("a duplicate username must fail the batch")
		}
		if _, err := store.AccountByUsername(ctx, "demo0002501"); err != models.ErrNotFound {
			t.Fatalf("the failed batch left demo0002501 behind: %v", err)
		}
	})
}

// TestArgumentsSurviveInterpolation guards the client-side interpolation Open turns on for
// MySQL: quotes, backslashes, NUL, emoji and binary bytes come back exactly as stored.
func TestArgumentsSurviveInterpolation(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		db := modelstest.Open(t, driver)
		store := models.NewStore(db.Gorm)
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		tricky := `a'b"c\d` + "\x00e\n\r\x1a 🐼 %_ ' OR '1'='1"
		a := models.Account{Username: "tricky", Name: tricky, PasswordHash: `\'; DROP TABLE accounts; --`, Role: "user", Status: "active", CreatedAt: now, UpdatedAt: now}
		if err := store.CreateAccount(ctx, &a); err != nil {
			t.Fatal(err)
		}
		got, err := store.AccountByUsername(ctx, "tricky")
		if err != nil || got.Name != tricky || got.PasswordHash != a.PasswordHash || !got.CreatedAt.Equal(now) {
			t.Fatalf("round trip: %q %q %v (%v)", got.Name, got.PasswordHash, got.CreatedAt, err)
		}
		var n int64
		if err := db.Gorm.Model(&models.Account{}).Where("name = ?", tricky).Count(&n).Error; err != nil || n != 1 {
			t.Fatalf("looking up by the tricky value: %d %v", n, err)
		}
	})
}

func TestMySQLDSNInterpolatesUnlessTold(t *testing.T) {
	dsn, err := models.MySQLDSN("u:p@tcp(db:3306)/wxbind")
	if err != nil || !strings.Contains(dsn, "interpolateParams=true") {
		t.Fatalf("default DSN %q (%v) must interpolate", dsn, err)
	}
	dsn, err = models.MySQLDSN("u:p@tcp(db:3306)/wxbind?interpolateParams=false")
	if err != nil || strings.Contains(dsn, "interpolateParams=true") {
		t.Fatalf("a DSN that turns interpolation off must keep it off: %q (%v)", dsn, err)
	}
}
