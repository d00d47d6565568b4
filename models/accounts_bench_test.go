package models_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"wxbind/models"
	"wxbind/models/modelstest"
)

const benchAppID = "wxbench"

// BenchmarkListAccounts measures the console's users list on MariaDB with a million accounts
// (BENCH_ACCOUNTS to change it), a third of them bound. Every page is a keyset read; none
// counts the table. Run:
//
//	go test ./models -run '^$' -bench ListAccounts -benchtime 200x
func BenchmarkListAccounts(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("BENCH_ACCOUNTS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	db := modelstest.Open(b, models.DriverMySQL)
	start := time.Now()
	seedAccounts(b, db, n)
	b.Logf("seeded %d accounts in %s", n, time.Since(start).Round(time.Millisecond))
	store := models.NewStore(db.Gorm)
	ctx := context.Background()
	mid := uint64(n / 2)

	before := func(id uint64) models.Page {
		return models.Page{Desc: true, After: &models.Key{ID: id}}
	}
	cases := []struct {
		name string
		f    models.AccountFilter
		p    models.Page
		min  int // rows the page must hold, so a broken query cannot look fast
	}{
		{"first page", models.AccountFilter{}, models.Page{Desc: true}, 50},
		{"page in the middle", models.AccountFilter{}, before(mid), 50},
		{"last page", models.AccountFilter{}, before(30), 29},
		{"role staff", models.AccountFilter{Role: models.RoleStaff}, models.Page{Desc: true}, 50},
		{"bound only", models.AccountFilter{Bind: models.BindBound}, models.Page{Desc: true}, 50},
		{"unbound only, middle", models.AccountFilter{Bind: models.BindUnbound}, before(mid), 50},
		{"search username prefix", models.AccountFilter{Query: "user05000"}, models.Page{Desc: true}, 10},
		{"search nickname prefix", models.AccountFilter{Query: "Nick 77778"}, models.Page{Desc: true}, 1},
		{"search openid prefix", models.AccountFilter{Query: "obench00000000000000000033333"}, models.Page{Desc: true}, 1},
		{"search, no match", models.AccountFilter{Query: "zzz-nobody"}, models.Page{Desc: true}, 0},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			f, p := c.f, c.p
			f.AppID, p.Limit = benchAppID, 50
			for b.Loop() {
				rows, _, err := store.ListAccounts(ctx, f, models.AccountPage{Page: p})
				if err != nil {
					b.Fatal(err)
				}
				if len(rows) < c.min {
					b.Fatalf("%s: %d rows, want at least %d", c.name, len(rows), c.min)
				}
			}
		})
	}
	// The dashboard's figures: three totals and, for each of 7 days, three indexed counts.
	b.Run("dashboard counts", func(b *testing.B) {
		now := time.Now().UTC()
		for b.Loop() {
			if got, err := store.CountAccounts(ctx); err != nil || got != int64(n) {
				b.Fatal(err)
			}
			if _, err := store.CountIdentities(ctx, benchAppID); err != nil {
				b.Fatal(err)
			}
			if _, err := store.CountBoundIdentities(ctx, benchAppID); err != nil {
				b.Fatal(err)
			}
			for d := 0; d < 7; d++ {
				from := now.AddDate(0, 0, -d-1)
				for _, action := range []string{"bind", "unbind"} {
					if _, err := store.CountAuditBetween(ctx, action, from, from.AddDate(0, 0, 1)); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := store.CountLoginsBetween(ctx, from, from.AddDate(0, 0, 1)); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("wechat users, middle", func(b *testing.B) {
		ident, err := store.IdentityByID(ctx, mid/3)
		if err != nil {
			b.Fatal(err)
		}
		after := models.IdentityKey(models.IdentityRow{WechatIdentity: ident})
		for b.Loop() {
			rows, _, err := store.ListIdentities(ctx, models.IdentityFilter{AppID: benchAppID}, models.Page{Desc: true, After: &after, Limit: 50})
			if err != nil || len(rows) != 50 {
				b.Fatalf("%d rows, %v", len(rows), err)
			}
		}
	})
}

// seedAccounts inserts n accounts user0000001… in a few set-based statements; every third is
// bound to a WeChat identity with nickname "Nick <id>" and openid obench<id, 24 digits>, and
// every thousandth is staff.
func seedAccounts(b *testing.B, db modelstest.DB, n int) {
	b.Helper()
	exec := func(q string, args ...any) {
		b.Helper()
		if err := db.Gorm.Exec(q, args...).Error; err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	exec("CREATE TEMPORARY TABLE digits (i INT NOT NULL)")
	exec("INSERT INTO digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)")
	exec(`CREATE TEMPORARY TABLE seq (n INT NOT NULL PRIMARY KEY)`)
	exec(`INSERT INTO seq SELECT 1 + a.i + 10*b.i + 100*c.i + 1000*d.i + 10000*e.i + 100000*f.i + 1000000*g.i
		FROM digits a, digits b, digits c, digits d, digits e, digits f, digits g
		WHERE a.i + 10*b.i + 100*c.i + 1000*d.i + 10000*e.i + 100000*f.i + 1000000*g.i < ?`, n)
	now := time.Now().UTC()
	// In chunks, so that no statement comes near the connection's 30 s read timeout on a busy
	// machine.
	const chunk = 100_000
	for lo := 1; lo <= n; lo += chunk {
		exec(`INSERT INTO accounts (username, username_key, name, password_hash, role, status, created_at, updated_at)
			SELECT CONCAT('user', LPAD(n, 7, '0')), CONCAT('user', LPAD(n, 7, '0')), CONCAT('Name ', n), 'x',
			       CASE WHEN n % 1000 = 0 THEN 'staff' ELSE 'user' END, 'active', ?, ?
			FROM seq WHERE n >= ? AND n < ? ORDER BY n`, now, now, lo, lo+chunk)
	}
	for lo := 1; lo <= n; lo += chunk {
		exec(`INSERT INTO wechat_identities (appid, openid, nickname, account_id, bound_at, last_login_at, last_seen_at, created_at, updated_at)
			SELECT ?, CONCAT('obench', LPAD(id, 24, '0')), CONCAT('Nick ', id), id, ?, ?, ?, ?, ?
			FROM accounts WHERE id % 3 = 0 AND id >= ? AND id < ? ORDER BY id`, benchAppID, now, now, now, now, now, lo, lo+chunk)
	}
	exec("ANALYZE TABLE accounts, wechat_identities")
	var got int64
	db.Gorm.Table("accounts").Count(&got)
	if got != int64(n) {
		b.Fatalf("seeded %d accounts, want %d", got, n)
	}
}
