package models_test

import (
	"context"
	"testing"
	"time"

	"wxbind/models"
	"wxbind/models/modelstest"
)

// TestTokensCopyTheirIdentitysInfoVersion: the token check reads no identity and no account, so
// each token's info_version must follow its identity's through every change to what the user's
// info shows: the WeChat profile, the account's fields, its phone; a token issued by binding or
// by a checkBind batch starts from the identity's latest.
func TestTokensCopyTheirIdentitysInfoVersion(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		db := modelstest.Open(t, driver)
		store := models.NewStore(db.Gorm)
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		a := models.Account{Username: "tess", Name: "Tess", PasswordHash: "h", Role: "user", Status: models.StatusActive, CreatedAt: now, UpdatedAt: now}
		if err := store.CreateAccount(ctx, &a); err != nil {
			t.Fatal(err)
		}
		w, err := store.UpsertIdentity(ctx, "wxapp", "o-tess", "", "key", now)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := store.BindIdentity(ctx, w.ID, a.ID, now); !ok || err != nil {
			t.Fatalf("bind: %v %v", ok, err)
		}
		if err := store.UpdateIdentityProfile(ctx, w.ID, "Tess 🌷", "", now); err != nil {
			t.Fatal(err)
		}
		bound := models.LoginToken{TokenHash: "hash-bound", AccountID: a.ID, IdentityID: w.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := store.CreateLoginToken(ctx, &bound); err != nil {
			t.Fatal(err)
		}
		batch, err := store.WriteLogins(ctx, "wxapp", now, now.Add(time.Hour), []models.LoginWrite{{OpenID: "o-tess", SessionKeySealed: "key2", TokenHash: "hash-batch"}})
		if err != nil || batch[0].TokenID == 0 {
			t.Fatalf("checkBind batch: %v %+v", err, batch)
		}
		check := func(when string, want uint64) {
			t.Helper()
			var ident uint64
			db.Gorm.Table("wechat_identities").Where("id = ?", w.ID).Select("info_version").Take(&ident)
			if ident != want {
				t.Fatalf("%s: identity's info_version %d, want %d", when, ident, want)
			}
			for _, id := range []uint64{bound.ID, batch[0].TokenID} {
				c, err := store.LoginByID(ctx, id, now)
				if err != nil || c.InfoVersion != ident || c.AccountID != a.ID || c.IdentityID != w.ID {
					t.Fatalf("%s: token %d reads %+v (%v), want info_version %d", when, id, c, err, ident)
				}
			}
			if batch[0].Check.InfoVersion != 1 {
				t.Fatalf("the batch read info_version %d, want 1", batch[0].Check.InfoVersion)
			}
		}
		check("issued", 1)
		if err := store.UpdateAccountFields(ctx, a.ID, "Tessa", "user", models.StatusActive, now); err != nil {
			t.Fatal(err)
		}
		check("account renamed", 2)
		if err := store.SetAccountPhone(ctx, a.ID, "13800138000", "86", now); err != nil {
			t.Fatal(err)
		}
		check("phone set", 3)
		if err := store.UpdateIdentityProfile(ctx, w.ID, "Tessa 🌷", "", now); err != nil {
			t.Fatal(err)
		}
		check("new nickname", 4)
		if err := store.SetAccountPhone(ctx, a.ID+1000, "13800138000", "86", now); err != models.ErrNotFound {
			t.Fatalf("phone of a missing account: %v", err)
		}
	})
}
