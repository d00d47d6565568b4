package models_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"wxbind/models"
	"wxbind/models/modelstest"
)

// insertRows inserts rows into table, 500 to a statement.
func insertRows(t *testing.T, db *gorm.DB, table string, cols []string, rows [][]any) {
	t.Helper()
	for lo := 0; lo < len(rows); lo += 500 {
		hi := min(lo+500, len(rows))
		one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
		var args []any
		for _, r := range rows[lo:hi] {
			args = append(args, r...)
		}
		q := "INSERT INTO " + table + " (" + strings.Join(cols, ",") + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+",", hi-lo), ",")
		if err := db.Exec(q, args...).Error; err != nil {
			t.Fatal(err)
		}
	}
}

// pageWalk reads a list forward page by page from the start, then back from the last page, and
// checks both ways give want (ids in the list's order). read answers a page: its ids, their keys,
// and whether there are more in the direction read.
func pageWalk(t *testing.T, name string, desc bool, want []uint64, read func(models.Page) ([]uint64, []models.Key, bool)) {
	t.Helper()
	p := models.Page{Desc: desc, Limit: 4}
	var got []uint64
	var pages [][]uint64
	var firsts []models.Key
	for {
		ids, keys, more := read(p)
		pages = append(pages, ids)
		if len(keys) > 0 {
			firsts = append(firsts, keys[0])
		}
		got = append(got, ids...)
		if !more {
			break
		}
		k := keys[len(keys)-1]
		p.After, p.Before = &k, nil
		if len(pages) > 100 {
			t.Fatalf("%s: paging does not end", name)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s desc=%v forward:\n got %v\nwant %v", name, desc, got, want)
	}
	for i := len(pages) - 1; i > 0; i-- {
		k := firsts[i]
		p.Before, p.After = &k, nil
		ids, _, more := read(p)
		if !slices.Equal(ids, pages[i-1]) || more != (i-1 > 0) {
			t.Fatalf("%s desc=%v: page %d backwards is %v (more %v), forward it was %v", name, desc, i-1, ids, more, pages[i-1])
		}
	}
}

// TestDateRangeListsPageInTimeOrder: with a date range, the users list (sorted by creation), the
// WeChat users list (first seen) and the audit log are read in time order, ties by id, from the
// range's own index; the last two without a range too. On both databases, paging forward and back — page boundaries falling
// inside runs of equal times, times that do not follow the ids — gives every row of the range
// once, in that order; an open end works too; and the count of the range is exact.
func TestDateRangeListsPageInTimeOrder(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		db := modelstest.Open(t, driver)
		store := models.NewStore(db.Gorm)
		ctx := context.Background()
		base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		const n = 60
		// Row i's time: three rows to each of 20 hours, the hours out of id order.
		at := func(i int) time.Time { return base.Add(time.Duration((i*7)%20) * time.Hour) }
		var accts, idents, entries [][]any
		for i := 1; i <= n; i++ {
			accts = append(accts, []any{i, fmt.Sprintf("r%03d", i), fmt.Sprintf("r%03d", i), "", "x", "user", "active", at(i), at(i)})
			idents = append(idents, []any{i, listAppID, fmt.Sprintf("o-r%03d", i), "", at(i), at(i), at(i)})
			entries = append(entries, []any{i, "root", "bind", fmt.Sprintf("wechat:%d", i), at(i)})
		}
		insertRows(t, db.Gorm, "accounts", []string{"id", "username", "username_key", "name", "password_hash", "role", "status", "created_at", "updated_at"}, accts)
		insertRows(t, db.Gorm, "wechat_identities", []string{"id", "appid", "openid", "nickname", "last_seen_at", "created_at", "updated_at"}, idents)
		insertRows(t, db.Gorm, "audit_entries", []string{"id", "actor", "action", "target", "created_at"}, entries)

		want := func(from, to time.Time, desc bool) []uint64 {
			var ids []uint64
			for i := 1; i <= n; i++ {
				if !at(i).Before(from) && (to.IsZero() || at(i).Before(to)) {
					ids = append(ids, uint64(i))
				}
			}
			slices.SortStableFunc(ids, func(a, b uint64) int { return at(int(a)).Compare(at(int(b))) }) // stable: ties stay in id order
			if desc {
				slices.Reverse(ids)
			}
			return ids
		}
		for _, r := range []struct{ from, to time.Time }{
			{base.Add(3 * time.Hour), base.Add(15 * time.Hour)},
			{base.Add(12 * time.Hour), time.Time{}},
			{}, // no range: the WeChat users and the audit log are in time order still (the users list by id)
		} {
			for _, desc := range []bool{true, false} {
				w := want(r.from, r.to, desc)
				af := models.AccountFilter{AppID: listAppID, CreatedFrom: r.from, CreatedTo: r.to}
				if !r.from.IsZero() || !r.to.IsZero() {
					pageWalk(t, "accounts", desc, w, func(p models.Page) ([]uint64, []models.Key, bool) {
						rows, more, err := store.ListAccounts(ctx, af, models.AccountPage{Page: p, Sort: models.SortCreated})
						if err != nil {
							t.Fatal(err)
						}
						var ids []uint64
						var keys []models.Key
						for _, r := range rows {
							ids, keys = append(ids, r.ID), append(keys, models.AccountKey(r, models.SortCreated))
						}
						return ids, keys, more
					})
				}
				idf := models.IdentityFilter{AppID: listAppID, SeenFrom: r.from, SeenTo: r.to}
				pageWalk(t, "identities", desc, w, func(p models.Page) ([]uint64, []models.Key, bool) {
					rows, more, err := store.ListIdentities(ctx, idf, p)
					if err != nil {
						t.Fatal(err)
					}
					var ids []uint64
					var keys []models.Key
					for _, r := range rows {
						ids, keys = append(ids, r.ID), append(keys, models.IdentityKey(r))
					}
					return ids, keys, more
				})
				auf := models.AuditFilter{From: r.from, To: r.to}
				pageWalk(t, "audit", desc, w, func(p models.Page) ([]uint64, []models.Key, bool) {
					es, more, err := store.ListAuditEntries(ctx, auf, p)
					if err != nil {
						t.Fatal(err)
					}
					var ids []uint64
					var keys []models.Key
					for _, e := range es {
						ids, keys = append(ids, e.ID), append(keys, models.AuditKey(e))
					}
					return ids, keys, more
				})
			}
			truth := models.Count{N: int64(len(want(r.from, r.to, true))), Exact: true}
			if c, err := store.CountAccountsMatching(ctx, models.AccountFilter{AppID: listAppID, CreatedFrom: r.from, CreatedTo: r.to}); err != nil || c != truth {
				t.Fatalf("accounts created in range: %+v %v, want %+v", c, err, truth)
			}
			if c, err := store.CountIdentitiesMatching(ctx, models.IdentityFilter{AppID: listAppID, SeenFrom: r.from, SeenTo: r.to}); err != nil || c != truth {
				t.Fatalf("identities seen in range: %+v %v, want %+v", c, err, truth)
			}
			if c, err := store.CountAuditEntries(ctx, models.AuditFilter{From: r.from, To: r.to}); err != nil || c != truth {
				t.Fatalf("audit entries in range: %+v %v, want %+v", c, err, truth)
			}
		}
	})
}

// TestCountsMatchTheirLists: on both databases, for every kind of filter — each counted by its
// own route (the identities' indexes for bound and last-login filters, NOT EXISTS or the
// anti-join for unbound, the created index for a created range) — the count of the small
// fixture is exact and is the number of rows its list walks.
func TestCountsMatchTheirLists(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		fx := seedList(t, modelstest.Open(t, driver), 95)
		ctx := context.Background()
		at := func(h int) time.Time { return fx.base.Add(time.Duration(h) * time.Hour) }
		mins := func(m int) time.Time { return fx.base.Add(time.Duration(m) * time.Minute) }
		for _, f := range []models.AccountFilter{
			{},
			{Bind: models.BindBound},
			{Bind: models.BindUnbound},
			{LoginFrom: mins(20), LoginTo: mins(50)},
			{LoginFrom: mins(20)},
			{Bind: models.BindBound, LoginTo: mins(50)},
			{Bind: models.BindUnbound, LoginFrom: mins(20)}, // no account is both
			{Role: "staff", LoginFrom: mins(20), LoginTo: mins(80)},
			{CreatedFrom: at(10), CreatedTo: at(60)},
			{CreatedFrom: at(10), Bind: models.BindBound},
			{CreatedTo: at(60), Bind: models.BindUnbound, Status: "disabled"},
		} {
			f.AppID = listAppID
			var n int64
			p := models.AccountPage{Page: models.Page{Desc: true, Limit: 500}, Sort: models.SortCreated}
			rows, more, err := fx.store.ListAccounts(ctx, f, p)
			if err != nil || more {
				t.Fatalf("%+v: %v (more %v)", f, err, more)
			}
			n = int64(len(rows))
			c, err := fx.store.CountAccountsMatching(ctx, f)
			if err != nil || c != (models.Count{N: n, Exact: true}) {
				t.Fatalf("%+v: count %+v %v, the list has %d", f, c, err, n)
			}
		}
	})
}

// TestLoginRangePagesBothWays: a last-login range, whose created order is read from the login
// index's account ids before the rows, pages forward and back in every sort and direction on
// both databases, alone and with a condition on the account.
func TestLoginRangePagesBothWays(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		fx := seedList(t, modelstest.Open(t, driver), 95)
		// Logged in from minute 20 to 50 after base: bound accounts with n-50 < i <= n-20.
		in := func(i int) bool { return i%3 == 0 && fx.n-i >= 20 && fx.n-i < 50 }
		f := models.AccountFilter{AppID: listAppID, LoginFrom: fx.base.Add(20 * time.Minute), LoginTo: fx.base.Add(50 * time.Minute)}
		walk(t, fx, f, models.SortCreated, true, fx.want(in, true))
		walk(t, fx, f, models.SortCreated, false, fx.want(in, false))
		walk(t, fx, f, models.SortUsername, false, fx.want(in, false))
		walk(t, fx, f, models.SortLastLogin, true, fx.want(in, false)) // logins run against creation
		walk(t, fx, f, models.SortLastLogin, false, fx.want(in, true))
		f.Status = "active"
		walk(t, fx, f, models.SortCreated, false, fx.want(func(i int) bool { return in(i) && i%7 != 0 }, false))
	})
}
