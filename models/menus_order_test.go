package models_test

import (
	"context"
	"testing"
	"time"

	"wxbind/models"
	"wxbind/models/modelstest"
)

// TestMenusOfAccountOrder: the menus come ordered by sort then id (sorted in Go, see
// MenusOfAccount), hidden and unassigned ones left out.
func TestMenusOfAccountOrder(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		db := modelstest.Open(t, driver)
		store := models.NewStore(db.Gorm)
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		a := models.Account{Username: "menus", PasswordHash: "h", Role: "user", Status: "active", CreatedAt: now, UpdatedAt: now}
		if err := store.CreateAccount(ctx, &a); err != nil {
			t.Fatal(err)
		}
		var ids []uint64
		for _, m := range []models.Menu{
			{Code: "c30", Name: "c", Sort: 30, Visible: true},
			{Code: "a10", Name: "a", Sort: 10, Visible: true},
			{Code: "b10", Name: "b", Sort: 10, Visible: true}, // same sort: by id, after a10
			{Code: "hidden", Name: "h", Sort: 0, Visible: false},
			{Code: "z-5", Name: "z", Sort: -5, Visible: true},
			{Code: "unassigned", Name: "u", Sort: 1, Visible: true},
		} {
			m.CreatedAt, m.UpdatedAt = now, now
			if err := store.CreateMenu(ctx, &m); err != nil {
				t.Fatal(err)
			}
			if m.Code != "unassigned" {
				ids = append(ids, m.ID)
			}
		}
		modelstest.GiveMenus(t, store, []uint64{a.ID}, ids)
		ms, err := store.MenusOfAccount(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range ms {
			got = append(got, m.Code)
		}
		want := []string{"z-5", "a10", "b10", "c30"}
		if len(got) != len(want) {
			t.Fatalf("menus %v, want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("menus %v, want %v", got, want)
			}
		}
	})
}
