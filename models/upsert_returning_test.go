package models_test

import (
	"context"
	"testing"
	"time"

	"wxbind/models"
	"wxbind/models/modelstest"
)

// TestUpsertIdentityReturnsTheStoredRow: what UpsertIdentity returns, whether it inserted or
// updated (through RETURNING where the database has it), is the row a fresh read finds.
func TestUpsertIdentityReturnsTheStoredRow(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		db := modelstest.Open(t, driver)
		store := models.NewStore(db.Gorm)
		ctx := context.Background()
		t0 := time.Now().UTC().Truncate(time.Millisecond)
		same := func(step string, got models.WechatIdentity) {
			t.Helper()
			want, err := store.IdentityByOpenID(ctx, "wxapp", "o-1")
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != want.ID || got.AppID != want.AppID || got.OpenID != want.OpenID || got.UnionID != want.UnionID ||
				got.SessionKeySealed != want.SessionKeySealed || got.Nickname != want.Nickname ||
				(got.AccountID == nil) != (want.AccountID == nil) || (got.AccountID != nil && *got.AccountID != *want.AccountID) ||
				!got.LastSeenAt.Equal(want.LastSeenAt) || !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
				t.Fatalf("%s: returned %+v, stored %+v", step, got, want)
			}
		}
		first, err := store.UpsertIdentity(ctx, "wxapp", "o-1", "u-1", "key-1", t0)
		if err != nil || first.ID == 0 || first.SessionKeySealed != "key-1" || first.UnionID != "u-1" {
			t.Fatalf("insert: %+v %v", first, err)
		}
		same("insert", first)

		a := models.Account{Username: "bound", PasswordHash: "h", Role: "user", Status: "active", CreatedAt: t0, UpdatedAt: t0}
		if err := store.CreateAccount(ctx, &a); err != nil {
			t.Fatal(err)
		}
		if ok, err := store.BindIdentity(ctx, first.ID, a.ID, t0); !ok || err != nil {
			t.Fatalf("bind: %v %v", ok, err)
		}
		t1 := t0.Add(time.Second)
		again, err := store.UpsertIdentity(ctx, "wxapp", "o-1", "", "key-2", t1) // no unionid: the stored one stays
		if err != nil || again.ID != first.ID || again.AccountID == nil || *again.AccountID != a.ID ||
			again.SessionKeySealed != "key-2" || again.UnionID != "u-1" || !again.LastSeenAt.Equal(t1) || !again.CreatedAt.Equal(t0) {
			t.Fatalf("update: %+v %v", again, err)
		}
		same("update", again)
	})
}
