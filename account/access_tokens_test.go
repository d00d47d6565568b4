package account_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"wxbind/account"
	"wxbind/models"
	"wxbind/models/modelstest"
	"wxbind/wechat"
	"wxbind/wechat/wechattest"
)

const testSecret = "test-secret-key-0123456789abcdef0123456789"

// instances are server instances: each its own wechat.Client (own memory, own lease holder)
// and its own database pool, sharing one database.
func instances(t *testing.T, db modelstest.DB, fake *wechattest.Fake, n int) []*wechat.Client {
	t.Helper()
	var out []*wechat.Client
	for range n {
		gdb, err := models.Open(db.Driver, db.DSN, models.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if s, err := gdb.DB(); err == nil {
				s.Close()
			}
		})
		cache, err := account.NewAccessTokenCache(models.NewStore(gdb), testSecret)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fake.ClientWithCache(t, 3*time.Second, cache))
	}
	return out
}

// hammer runs calls concurrently from every instance and fails on any error.
func hammer(t *testing.T, clients []*wechat.Client, perClient int, openid, key string) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(clients)*perClient)
	for _, c := range clients {
		for range perClient {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := c.CheckSession(context.Background(), openid, key)
				if err == nil && !ok {
					t.Error("checksession: want valid")
				}
				errs <- err
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestAccessTokenSharedAcrossInstances(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		db := modelstest.Open(t, driver)
		fake := wechattest.Start(t)
		clients := instances(t, db, fake, 3)
		ctx := context.Background()
		sess, err := clients[0].Code2Session(ctx, wechattest.Code("zoe"))
		if err != nil {
			t.Fatal(err)
		}

		hammer(t, clients, 15, sess.OpenID, sess.SessionKey)
		if n := fake.CallsTo(wechattest.PathStableToken); n != 1 {
			t.Fatalf("3 instances × 15 concurrent calls fetched the access_token %d times, want 1", n)
		}

		// The token is stored sealed: the database alone does not give it away.
		row, err := models.NewStore(db.Gorm).AccessToken(ctx, fake.AppID)
		if err != nil {
			t.Fatal(err)
		}
		tokens := fake.AccessTokens()
		if row.TokenSealed == "" || strings.Contains(row.TokenSealed, tokens[0]) || row.LeaseHolder != "" {
			t.Fatalf("stored row: sealed %q, lease %q", row.TokenSealed, row.LeaseHolder)
		}

		// WeChat stops taking the token: every instance hits 40001, one forces a new token,
		// the others pick it up from the database.
		fake.KillAccessTokens()
		hammer(t, clients, 10, sess.OpenID, sess.SessionKey)
		if n := fake.ForcedRefreshes(); n != 1 {
			t.Fatalf("forced refreshes after 40001 across 3 instances: %d, want 1", n)
		}
		if n := fake.CallsTo(wechattest.PathStableToken); n != 2 {
			t.Fatalf("stable_token calls: %d, want 2", n)
		}

		// A new instance starts with the shared token instead of fetching one.
		late := instances(t, db, fake, 1)
		hammer(t, late, 5, sess.OpenID, sess.SessionKey)
		if n := fake.CallsTo(wechattest.PathStableToken); n != 2 {
			t.Fatalf("a new instance fetched its own token: %d stable_token calls, want 2", n)
		}
	})
}

func TestAccessTokenLeaseIsExclusive(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		db := modelstest.Open(t, driver)
		cache, err := account.NewAccessTokenCache(models.NewStore(db.Gorm), testSecret)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		now := time.Now()
		var wg sync.WaitGroup
		var mu sync.Mutex
		winners := 0
		for i := range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := cache.LeaseRefresh(ctx, "wxapp", "holder-"+string(rune('a'+i)), now, now.Add(10*time.Second))
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					winners++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if winners != 1 {
			t.Fatalf("%d holders got the lease at once, want 1", winners)
		}
		// An expired lease can be taken over; a saved token ends the lease.
		if ok, _ := cache.LeaseRefresh(ctx, "wxapp", "late", now.Add(11*time.Second), now.Add(20*time.Second)); !ok {
			t.Fatal("an expired lease must be taken over")
		}
		tok := wechat.CachedToken{Token: "T-1", ExpiresAt: now.Add(time.Hour), RefreshAfter: now.Add(50 * time.Minute)}
		if err := cache.SaveToken(ctx, "wxapp", "late", tok); err != nil {
			t.Fatal(err)
		}
		if ok, _ := cache.LeaseRefresh(ctx, "wxapp", "next", now.Add(12*time.Second), now.Add(20*time.Second)); !ok {
			t.Fatal("saving the token must end the lease")
		}
		got, err := cache.LoadToken(ctx, "wxapp")
		if err != nil || got.Token != "T-1" || !got.ExpiresAt.Equal(tok.ExpiresAt.UTC().Truncate(time.Millisecond)) {
			t.Fatalf("loaded %+v %v", got, err)
		}
		// Under another SECRET_KEY the sealed token does not open and reads as none.
		other, _ := account.NewAccessTokenCache(models.NewStore(db.Gorm), strings.Repeat("z", 40))
		if got, err := other.LoadToken(ctx, "wxapp"); err != nil || got.Token != "" {
			t.Fatalf("another key loaded %+v %v", got, err)
		}
	})
}
