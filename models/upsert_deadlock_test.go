package models_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"wxbind/models"
	"wxbind/models/modelstest"
)

// TestUpsertIdentitySurvivesConcurrentLogins replays a checkBind racing a transaction on the same
// identity on MySQL: one upserts the identity while the other, in a transaction, inserts a login
// token (whose foreign key holds the identity row shared) and then updates the identity, as a
// bind with a nickname does. InnoDB picks one of them as a deadlock victim; the upsert must then
// run again, not fail.
func TestUpsertIdentitySurvivesConcurrentLogins(t *testing.T) {
	db := modelstest.Open(t, models.DriverMySQL)
	store := models.NewStore(db.Gorm)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	a := models.Account{Username: "busy", PasswordHash: "h", Role: "user", Status: "active", CreatedAt: now, UpdatedAt: now}
	if err := store.CreateAccount(ctx, &a); err != nil {
		t.Fatal(err)
	}
	ident, err := store.UpsertIdentity(ctx, "wxapp", "busy-openid", "", "sealed", now)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := store.BindIdentity(ctx, ident.ID, a.ID, now); !ok || err != nil {
		t.Fatalf("bind: %v %v", ok, err)
	}

	var upsertFailures, logins atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				at := time.Now().UTC().Truncate(time.Millisecond)
				if _, err := store.UpsertIdentity(ctx, "wxapp", "busy-openid", "", "sealed-again", at); err != nil {
					upsertFailures.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
				b := make([]byte, 32)
				rand.Read(b)
				err := store.Transaction(ctx, func(tx *models.Store) error {
					if err := tx.CreateLoginToken(ctx, &models.LoginToken{TokenHash: hex.EncodeToString(b), AccountID: a.ID, IdentityID: ident.ID, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}); err != nil {
						return err
					}
					return tx.UpdateIdentityProfile(ctx, ident.ID, "busy 🐝", "", at)
				})
				if err == nil {
					logins.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if n := upsertFailures.Load(); n > 0 {
		t.Fatalf("%d of 200 upserts failed, e.g. %v", n, firstErr.Load())
	}
	if logins.Load() == 0 {
		t.Fatal("no login transaction went through")
	}
}
