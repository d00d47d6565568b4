package models_test

import (
	"context"
	"testing"
	"time"

	"gorm.io/driver/mysql"
	"gorm.io/gorm"

	"wxbind/models"
	"wxbind/models/modelstest"
)

// TestWriteLoginsBatch: one batch of checkBinds of bound, disabled, unbound and new identities,
// one of them twice: every write is answered with what the database then holds, tokens are
// issued only to active bound accounts, and the openid written twice keeps the later
// session_key and the unionid given.
func TestWriteLoginsBatch(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		db := modelstest.Open(t, driver)
		testWriteLoginsBatch(t, db.Gorm)
		if driver != models.DriverMySQL {
			return
		}
		// As on MySQL and TiDB, which have no INSERT … RETURNING: the tokens' ids are read back.
		t.Run("without RETURNING", func(t *testing.T) {
			db := modelstest.Open(t, driver)
			dsn, err := models.MySQLDSN(db.DSN)
			if err != nil {
				t.Fatal(err)
			}
			g, err := gorm.Open(mysql.New(mysql.Config{DSN: dsn, DisableWithReturning: true}), &gorm.Config{SkipDefaultTransaction: true, TranslateError: true})
			if err != nil {
				t.Fatal(err)
			}
			testWriteLoginsBatch(t, g)
		})
	})
}

func testWriteLoginsBatch(t *testing.T, gdb *gorm.DB) {
	store := models.NewStore(gdb)
	ctx := context.Background()
	t0 := time.Now().UTC().Truncate(time.Millisecond).Add(-time.Hour)
	account := func(name, status string) models.Account {
		a := models.Account{Username: name, Name: "N " + name, PasswordHash: "h", Role: "user", Status: status, Phone: "1380000" + name[:1], CreatedAt: t0, UpdatedAt: t0}
		if err := store.CreateAccount(ctx, &a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	identity := func(openid string, a *models.Account) models.WechatIdentity {
		w, err := store.UpsertIdentity(ctx, "wxapp", openid, "", "old-key", t0)
		if err != nil {
			t.Fatal(err)
		}
		if a != nil {
			if ok, err := store.BindIdentity(ctx, w.ID, a.ID, t0); !ok || err != nil {
				t.Fatalf("bind: %v %v", ok, err)
			}
		}
		return w
	}
	active, disabled := account("active", models.StatusActive), account("disabled", "disabled")
	bound := identity("o-bound", &active)
	identity("o-disabled", &disabled)
	unbound := identity("o-unbound", nil)
	if err := store.UpdateIdentityProfile(ctx, bound.ID, "昵称🙂", "https://example.com/a.png", t0); err != nil {
		t.Fatal(err)
	}

	var menus []models.Menu
	for i, name := range []string{"Orders", "Hidden", "Home"} {
		m := models.Menu{Code: name, Name: name, Sort: 2 - i, Visible: name != "Hidden", CreatedAt: t0, UpdatedAt: t0}
		if err := store.CreateMenu(ctx, &m); err != nil {
			t.Fatal(err)
		}
		menus = append(menus, m)
	}
	modelstest.GiveMenus(t, store, []uint64{active.ID}, []uint64{menus[0].ID, menus[1].ID, menus[2].ID})

	now := t0.Add(time.Hour)
	ws := []models.LoginWrite{
		{OpenID: "o-bound", UnionID: "u-1", SessionKeySealed: "key-1", TokenHash: "hash-1"},
		{OpenID: "o-new", SessionKeySealed: "key-n", TokenHash: "hash-n"},
		{OpenID: "o-bound", SessionKeySealed: "key-2", TokenHash: "hash-2"},
		{OpenID: "o-disabled", SessionKeySealed: "key-d", TokenHash: "hash-d"},
		{OpenID: "o-unbound", SessionKeySealed: "key-u", TokenHash: "hash-u"},
	}
	out, err := store.WriteLogins(ctx, "wxapp", now, now.Add(time.Hour), ws)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(ws) {
		t.Fatalf("%d answers for %d writes", len(out), len(ws))
	}
	for _, i := range []int{0, 2} {
		r := out[i]
		if r.TokenID == 0 || r.Identity.ID != bound.ID || r.Identity.AccountID == nil || *r.Identity.AccountID != active.ID ||
			r.Account.ID != active.ID || r.Account.Username != "active" || r.Account.Name != "N active" || r.Account.Phone != active.Phone ||
			r.Account.Status != models.StatusActive || r.Identity.Nickname != "昵称🙂" || r.Identity.AvatarURL != "https://example.com/a.png" ||
			r.Identity.OpenID != "o-bound" || r.Identity.AppID != "wxapp" {
			t.Fatalf("write %d: %+v", i, r)
		}
		// The counters are those the token check reads for this token.
		chk, err := store.LoginByID(ctx, r.TokenID, now)
		if err != nil {
			t.Fatalf("token %d of write %d: %v", r.TokenID, i, err)
		}
		if chk != r.Check || chk.TokenHash != ws[i].TokenHash {
			t.Fatalf("write %d: check %+v, token check reads %+v", i, r.Check, chk)
		}
		// The visible menus, in their order.
		if len(r.Menus) != 2 || r.Menus[0].Name != "Home" || r.Menus[1].Name != "Orders" {
			t.Fatalf("write %d: menus %+v", i, r.Menus)
		}
	}
	if out[0].TokenID == out[2].TokenID {
		t.Fatalf("two logins got one token row %d", out[0].TokenID)
	}
	if r := out[1]; r.TokenID != 0 || r.Identity.AccountID != nil || r.Identity.ID == 0 || r.Identity.OpenID != "o-new" {
		t.Fatalf("new identity: %+v", r)
	}
	if r := out[3]; r.TokenID != 0 || r.Identity.AccountID == nil || r.Account.Status != "disabled" {
		t.Fatalf("disabled account: %+v", r)
	}
	if r := out[4]; r.TokenID != 0 || r.Identity.AccountID != nil || r.Identity.ID != unbound.ID {
		t.Fatalf("unbound identity: %+v", r)
	}
	var tokens int64
	gdb.Model(&models.LoginToken{}).Count(&tokens)
	if tokens != 2 {
		t.Fatalf("%d tokens stored, want 2", tokens)
	}

	stored, err := store.IdentityByOpenID(ctx, "wxapp", "o-bound")
	if err != nil {
		t.Fatal(err)
	}
	if stored.SessionKeySealed != "key-2" || stored.UnionID != "u-1" || !stored.LastSeenAt.Equal(now) ||
		stored.LastLoginAt == nil || !stored.LastLoginAt.Equal(now) {
		t.Fatalf("o-bound written twice: want the later session_key, the unionid given, seen and logged in now: %+v", stored)
	}
	stored, err = store.IdentityByOpenID(ctx, "wxapp", "o-unbound")
	if err != nil {
		t.Fatal(err)
	}
	if stored.SessionKeySealed != "key-u" || stored.LastLoginAt != nil || !stored.LastSeenAt.Equal(now) {
		t.Fatalf("o-unbound: seen now, never logged in: %+v", stored)
	}
}

// TestWriteLoginsRetriesConflicts: the database answers the batch's upsert with each of TiDB's
// retryable errors and a deadlock in turn (injected in front of the real server); the whole batch
// runs again after each, and what finally commits holds each login once.
func TestWriteLoginsRetriesConflicts(t *testing.T) {
	db, faults := openFaulty(t)
	store := models.NewStore(db)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	a := models.Account{Username: "u", PasswordHash: "h", Role: "user", Status: models.StatusActive, CreatedAt: now, UpdatedAt: now}
	if err := store.CreateAccount(ctx, &a); err != nil {
		t.Fatal(err)
	}
	w, err := store.UpsertIdentity(ctx, "wxapp", "o-1", "", "k", now)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := store.BindIdentity(ctx, w.ID, a.ID, now); !ok || err != nil {
		t.Fatalf("bind: %v %v", ok, err)
	}

	// The token insert fails: the identity upsert before it must be rolled back and run again.
	faults.answer("INSERT INTO login_tokens", tidbConflicts...)
	out, err := store.WriteLogins(ctx, "wxapp", now, now.Add(time.Hour), []models.LoginWrite{
		{OpenID: "o-1", SessionKeySealed: "k2", TokenHash: "h-1"},
		{OpenID: "o-2", SessionKeySealed: "k3", TokenHash: "h-2"},
	})
	if err != nil {
		t.Fatalf("batch after %d conflicts: %v", len(tidbConflicts), err)
	}
	if got, want := faults.attempts(), len(tidbConflicts)+1; got != want {
		t.Fatalf("token insert ran %d times, want %d (once per conflict, then through)", got, want)
	}
	if out[0].TokenID == 0 || out[1].TokenID != 0 {
		t.Fatalf("answers %+v", out)
	}
	var tokens, identities int64
	db.Model(&models.LoginToken{}).Count(&tokens)
	db.Model(&models.WechatIdentity{}).Count(&identities)
	if tokens != 1 || identities != 2 {
		t.Fatalf("%d tokens and %d identities stored, want 1 and 2", tokens, identities)
	}
}
