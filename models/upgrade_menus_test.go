package models_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"wxbind/models"
	"wxbind/models/modelstest"
)

// menuRolesMigration is the version of 00010_menu_roles.sql.
const menuRolesMigration = 10

// TestUpgradeKeepsEveryonesMenus fills a database of the schema before menu roles (every migration
// before 00010) with menus and per-user assignments, a child assigned without its parent among them,
// then upgrades it: every assignment becomes an extra menu, and everyone sees what they saw,
// the child now under its parent.
func TestUpgradeKeepsEveryonesMenus(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		dsn := modelstest.NewDSN(t, driver)
		db, err := models.Open(driver, dsn, models.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if sqlDB, err := db.DB(); err == nil {
				sqlDB.Close()
			}
		})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		provider, err := models.NewMigrationProvider(db, driver)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := provider.UpTo(ctx, menuRolesMigration-1); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC().Truncate(time.Millisecond)
		exec := func(q string, args ...any) {
			t.Helper()
			if err := db.Exec(q, args...).Error; err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		exec("INSERT INTO accounts (id, username, username_key, password_hash, created_at, updated_at) VALUES (1, 'ann', 'ann', 'x', ?, ?), (2, 'bob', 'bob', 'x', ?, ?), (3, 'cid', 'cid', 'x', ?, ?)", now, now, now, now, now, now)
		exec("INSERT INTO wechat_identities (id, appid, openid, account_id, bound_at, last_seen_at, created_at, updated_at) VALUES (1, 'wx1', 'o1', 2, ?, ?, ?, ?)", now, now, now, now)
		exec("INSERT INTO menus (id, parent_id, code, name, sort, visible, created_at, updated_at) VALUES (1, NULL, 'orders', 'Orders', 1, 1, ?, ?)", now, now)
		exec("INSERT INTO menus (id, parent_id, code, name, sort, visible, created_at, updated_at) VALUES (2, 1, 'orders.list', 'List', 1, 1, ?, ?)", now, now)
		exec("INSERT INTO menus (id, parent_id, code, name, sort, visible, created_at, updated_at) VALUES (3, 2, 'orders.list.x', 'X', 1, 1, ?, ?)", now, now)
		exec("INSERT INTO menus (id, parent_id, code, name, sort, visible, created_at, updated_at) VALUES (4, NULL, 'home', 'Home', 0, 1, ?, ?)", now, now)
		// ann: a parent and its child; bob: a grandchild alone; cid: nothing.
		exec("INSERT INTO account_menus (account_id, menu_id) VALUES (1, 1), (1, 2), (1, 4), (2, 3)")

		if _, err := models.Migrate(ctx, db, driver); err != nil {
			t.Fatalf("upgrading: %v", err)
		}
		store := models.NewStore(db)
		for _, c := range []struct {
			account       uint64
			extras, menus []uint64
		}{
			{1, []uint64{1, 2, 4}, []uint64{1, 2, 4}},
			{2, []uint64{3}, []uint64{1, 2, 3}},
			{3, nil, nil},
		} {
			extras, err := store.ListOfAccount(ctx, models.ExtraMenus, c.account)
			if err != nil || !slices.Equal(extras, c.extras) {
				t.Errorf("account %d extras %v, %v; want %v", c.account, extras, err, c.extras)
			}
			ms, err := store.MenusOfAccount(ctx, c.account)
			var ids []uint64
			for _, m := range ms {
				ids = append(ids, m.ID)
			}
			slices.Sort(ids)
			if err != nil || !slices.Equal(ids, c.menus) {
				t.Errorf("account %d menus %v, %v; want %v", c.account, ids, err, c.menus)
			}
		}
		var firstBound []uint64
		db.Table("accounts").Where("first_bound_at IS NOT NULL").Order("id").Pluck("id", &firstBound)
		if !slices.Equal(firstBound, []uint64{2}) {
			t.Errorf("accounts marked as bound before: %v, want [2]", firstBound)
		}
		// And back down, and up again.
		if _, err := provider.DownTo(ctx, menuRolesMigration-1); err != nil {
			t.Fatalf("down: %v", err)
		}
		var n int64
		db.Table("account_menus").Count(&n)
		if n != 4 {
			t.Errorf("after down, account_menus has %d rows, want 4", n)
		}
		if _, err := models.Migrate(ctx, db, driver); err != nil {
			t.Fatalf("up again: %v", err)
		}
	})
}
