package account

import (
	"context"
	"strings"
	"testing"
	"time"

	"wxbind/models"
	"wxbind/models/modelstest"
)

func testLoginBatches(t *testing.T, driver string) (*loginBatches, *models.Store) {
	db := modelstest.Open(t, driver)
	store := models.NewStore(db.Gorm)
	return &loginBatches{store: store, appID: "wxapp", tokenTTL: time.Hour, timeout: 30 * time.Second,
		clock: func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }}, store
}

// TestLoginBatchRefusedRowFailsAlone: MariaDB refuses a batch for one row it will not store (a
// sealed session_key over its column's 255 characters); the batch is tried row by row, so that
// row's login fails and the other's is stored and answered.
func TestLoginBatchRefusedRowFailsAlone(t *testing.T) {
	b, store := testLoginBatches(t, models.DriverMySQL)
	good := &loginRequest{write: models.LoginWrite{OpenID: "o-good", SessionKeySealed: "sealed", TokenHash: "h-good"}, done: make(chan struct{})}
	bad := &loginRequest{write: models.LoginWrite{OpenID: "o-bad", SessionKeySealed: strings.Repeat("k", 300), TokenHash: "h-bad"}, done: make(chan struct{})}
	b.flush([]*loginRequest{good, bad})
	<-good.done
	<-bad.done
	if good.err != nil || good.out.Identity.ID == 0 || good.out.Identity.OpenID != "o-good" {
		t.Fatalf("the good row: %+v, %v", good.out, good.err)
	}
	if bad.err == nil || !models.IsRefusal(bad.err) {
		t.Fatalf("the refused row must fail with the database's refusal, got %v", bad.err)
	}
	ctx := context.Background()
	if w, err := store.IdentityByOpenID(ctx, "wxapp", "o-good"); err != nil || w.SessionKeySealed != "sealed" {
		t.Fatalf("the good row is not stored: %+v %v", w, err)
	}
	if _, err := store.IdentityByOpenID(ctx, "wxapp", "o-bad"); err != models.ErrNotFound {
		t.Fatalf("the refused row: %v", err)
	}
}

// TestLoginBatchCallerGivesUp: a caller whose request is cancelled is answered at once with its
// context's error, and its write still commits (it carries the newest session_key WeChat gave).
func TestLoginBatchCallerGivesUp(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		b, store := testLoginBatches(t, driver)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := b.write(ctx, models.LoginWrite{OpenID: "o-gone", SessionKeySealed: "newest", TokenHash: "h"}); err != context.Canceled {
			t.Fatalf("a cancelled caller: %v", err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			w, err := store.IdentityByOpenID(context.Background(), "wxapp", "o-gone")
			if err == nil && w.SessionKeySealed == "newest" {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the cancelled caller's write never committed: %+v %v", w, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
