package models_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"wxbind/models"
	"wxbind/models/modelstest"
)

// TestUserDataMigrationDownAndUp undoes migration 00003 and applies it again on both
// databases, so its Down section is known to work.
func TestUserDataMigrationDownAndUp(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		db := modelstest.Open(t, driver)
		ctx := context.Background()
		store := models.NewStore(db.Gorm)
		now := time.Now().UTC().Truncate(time.Millisecond)
		a := models.Account{Username: "pat", PasswordHash: "x", Role: models.RoleUser, Status: models.StatusActive, CreatedAt: now, UpdatedAt: now}
		if err := store.CreateAccount(ctx, &a); err != nil {
			t.Fatal(err)
		}
		if err := store.SetAccountPhone(ctx, a.ID, "13800138000", "86", now); err != nil {
			t.Fatal(err)
		}
		if err := store.SetAccountPhone(ctx, a.ID+1000, "13800138000", "86", now); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("phone for a missing account: want ErrNotFound, got %v", err)
		}
		got, _ := store.AccountByID(ctx, a.ID)
		if got.Phone != "13800138000" || got.PhoneCountryCode != "86" || got.PhoneUpdatedAt == nil || !got.PhoneUpdatedAt.Equal(now) {
			t.Fatalf("stored phone: %+v", got)
		}

		p, err := models.NewMigrationProvider(db.Gorm, driver)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.DownTo(ctx, 2); err != nil {
			t.Fatalf("down from 00003: %v", err)
		}
		if db.Gorm.Migrator().HasColumn(&models.Account{}, "phone") || db.Gorm.Migrator().HasTable("wechat_access_tokens") {
			t.Fatal("down left 00003's column or table behind")
		}
		if _, err := p.Up(ctx); err != nil {
			t.Fatalf("up again: %v", err)
		}
		if _, err := store.AccessToken(ctx, "wxapp"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("fresh cache: want ErrNotFound, got %v", err)
		}
	})
}

// TestAccessTokenLeaseRace has many connections race for the refresh lease at once.
func TestAccessTokenLeaseRace(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		db := modelstest.Open(t, driver)
		store := models.NewStore(db.Gorm)
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var won []string
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				holder := string(rune('A' + i))
				ok, err := store.LeaseAccessTokenRefresh(ctx, "wxrace", holder, now, now.Add(15*time.Second))
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					won = append(won, holder)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(won) != 1 {
			t.Fatalf("lease won by %v, want exactly one holder", won)
		}
		// Only the holder releases it.
		if err := store.ReleaseAccessTokenLease(ctx, "wxrace", "not-the-holder"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := store.LeaseAccessTokenRefresh(ctx, "wxrace", "other", now.Add(time.Second), now.Add(16*time.Second)); ok {
			t.Fatal("a stranger's release ended the lease")
		}
		if err := store.ReleaseAccessTokenLease(ctx, "wxrace", won[0]); err != nil {
			t.Fatal(err)
		}
		if ok, _ := store.LeaseAccessTokenRefresh(ctx, "wxrace", "other", now.Add(time.Second), now.Add(16*time.Second)); !ok {
			t.Fatal("a released lease must be free")
		}
	})
}

// TestConsoleSearchFindsUnionID: the console's account and WeChat-user searches match a
// unionid prefix.
func TestConsoleSearchFindsUnionID(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		db := modelstest.Open(t, driver)
		store := models.NewStore(db.Gorm)
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		a := models.Account{Username: "quinn", PasswordHash: "x", Role: models.RoleUser, Status: models.StatusActive, CreatedAt: now, UpdatedAt: now}
		if err := store.CreateAccount(ctx, &a); err != nil {
			t.Fatal(err)
		}
		bound, err := store.UpsertIdentity(ctx, "wxapp", "o-quinn", "", "", now)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.SetIdentityUnionID(ctx, bound.ID, "ocMvos6NjeKLIBqg5Mr9QjxrP1FA", now); err != nil {
			t.Fatal(err)
		}
		if _, err := store.BindIdentity(ctx, bound.ID, a.ID, now); err != nil {
			t.Fatal(err)
		}
		if _, err := store.UpsertIdentity(ctx, "wxapp", "o-other", "ocMvOTHER", "", now); err != nil {
			t.Fatal(err)
		}
		accts, _, err := store.ListAccounts(ctx, models.AccountFilter{AppID: "wxapp", Query: "ocMvos6N"}, models.AccountPage{})
		if err != nil || len(accts) != 1 || accts[0].ID != a.ID {
			t.Fatalf("accounts by unionid prefix: %+v %v", accts, err)
		}
		idents, _, err := store.ListIdentities(ctx, models.IdentityFilter{AppID: "wxapp", Query: "ocMv"}, models.Page{})
		if err != nil || len(idents) != 2 {
			t.Fatalf("identities by unionid prefix: %d %v", len(idents), err)
		}
		if idents, _, _ := store.ListIdentities(ctx, models.IdentityFilter{AppID: "another-app", Query: "ocMv"}, models.Page{}); len(idents) != 0 {
			t.Fatalf("another appid's search found %d identities", len(idents))
		}
		byUnion, _, err := store.ListIdentities(ctx, models.IdentityFilter{AppID: "wxapp", Query: "ocMvOTHER"}, models.Page{})
		if err != nil || len(byUnion) != 1 || byUnion[0].OpenID != "o-other" {
			t.Fatalf("identity by its whole unionid: %+v %v", byUnion, err)
		}
	})
}
