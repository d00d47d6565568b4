package models_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"wxbind/models"
	"wxbind/models/modelstest"
)

const listAppID = "wxlists"

// listFixture is n accounts u0001…: account i was created i hours after base, every 3rd is bound
// (it logged in (n-i) minutes after base, so login order is the reverse of creation), every 10th
// is staff, every 7th disabled.
type listFixture struct {
	store *models.Store
	base  time.Time
	n     int
}

func seedList(t *testing.T, db modelstest.DB, n int) listFixture {
	t.Helper()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	insert := func(table string, cols []string, rows [][]any) { insertRows(t, db.Gorm, table, cols, rows) }
	var accts, idents [][]any
	for i := 1; i <= n; i++ {
		role, status := "user", "active"
		if i%10 == 0 {
			role = "staff"
		}
		if i%7 == 0 {
			status = "disabled"
		}
		created := base.Add(time.Duration(i) * time.Hour)
		accts = append(accts, []any{i, fmt.Sprintf("u%05d", i), fmt.Sprintf("u%05d", i), "", "x", role, status, created, created})
		if i%3 == 0 {
			login := base.Add(time.Duration(n-i) * time.Minute)
			idents = append(idents, []any{i, listAppID, fmt.Sprintf("o-%05d", i), fmt.Sprintf("nick %d", i), i, created, login, login, created, created})
		}
	}
	insert("accounts", []string{"id", "username", "username_key", "name", "password_hash", "role", "status", "created_at", "updated_at"}, accts)
	insert("wechat_identities", []string{"id", "appid", "openid", "nickname", "account_id", "bound_at", "last_login_at", "last_seen_at", "created_at", "updated_at"}, idents)
	return listFixture{store: models.NewStore(db.Gorm), base: base, n: n}
}

// want is the ids of the fixture's accounts for which keep holds, in the order given.
func (f listFixture) want(keep func(i int) bool, desc bool) []uint64 {
	var out []uint64
	for i := 1; i <= f.n; i++ {
		if keep(i) {
			out = append(out, uint64(i))
		}
	}
	if desc {
		slices.Reverse(out)
	}
	return out
}

// walk reads every page of a list forward, then every page back from the end, and checks both
// give want in order, page by page at the boundaries.
func walk(t *testing.T, fx listFixture, filter models.AccountFilter, sort string, desc bool, want []uint64) {
	t.Helper()
	ctx := context.Background()
	p := models.AccountPage{Page: models.Page{Desc: desc, Limit: 20}, Sort: sort}
	var got []uint64
	var pages [][]models.AccountRow
	for {
		rows, more, err := fx.store.ListAccounts(ctx, filter, p)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, rows)
		for _, r := range rows {
			got = append(got, r.ID)
		}
		if !more {
			break
		}
		k := models.AccountKey(rows[len(rows)-1], sort)
		p.After, p.Before = &k, nil
		if len(pages) > 100 {
			t.Fatal("paging does not end")
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s desc=%v %+v forward:\n got %v\nwant %v", sort, desc, filter, got, want)
	}
	// Back from the last page: each previous page is the one seen going forward.
	for i := len(pages) - 1; i > 0; i-- {
		k := models.AccountKey(pages[i][0], sort)
		p.Before, p.After = &k, nil
		rows, more, err := fx.store.ListAccounts(ctx, filter, p)
		if err != nil {
			t.Fatal(err)
		}
		if ids(rows) != ids(pages[i-1]) || more != (i-1 > 0) {
			t.Fatalf("%s desc=%v: page %d backwards is %s (more %v), forward it was %s", sort, desc, i-1, ids(rows), more, ids(pages[i-1]))
		}
	}
}

func ids(rows []models.AccountRow) string {
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%d ", r.ID)
	}
	return b.String()
}

// TestAccountListPagingSortsAndFilters: on both databases, every sort in both directions and
// every filter, paged forward and back across page boundaries, gives exactly the expected rows.
func TestAccountListPagingSortsAndFilters(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		fx := seedList(t, modelstest.Open(t, driver), 95)
		all := func(int) bool { return true }
		bound := func(i int) bool { return i%3 == 0 }
		at := func(h int) time.Time { return fx.base.Add(time.Duration(h) * time.Hour) }
		f := models.AccountFilter{AppID: listAppID}
		with := func(change func(*models.AccountFilter)) models.AccountFilter { g := f; change(&g); return g }

		walk(t, fx, f, models.SortCreated, true, fx.want(all, true))
		walk(t, fx, f, models.SortCreated, false, fx.want(all, false))
		walk(t, fx, f, models.SortUsername, false, fx.want(all, false)) // u00001… sort as their ids
		walk(t, fx, f, models.SortUsername, true, fx.want(all, true))
		// Login order is the reverse of creation; only bound accounts have one.
		walk(t, fx, f, models.SortLastLogin, true, fx.want(bound, false))
		walk(t, fx, f, models.SortLastLogin, false, fx.want(bound, true))

		walk(t, fx, with(func(g *models.AccountFilter) { g.Role = "staff" }), models.SortCreated, true, fx.want(func(i int) bool { return i%10 == 0 }, true))
		walk(t, fx, with(func(g *models.AccountFilter) { g.Status = "disabled" }), models.SortCreated, true, fx.want(func(i int) bool { return i%7 == 0 }, true))
		walk(t, fx, with(func(g *models.AccountFilter) { g.Bind = models.BindBound }), models.SortUsername, false, fx.want(bound, false))
		walk(t, fx, with(func(g *models.AccountFilter) { g.Bind = models.BindUnbound }), models.SortCreated, true, fx.want(func(i int) bool { return i%3 != 0 }, true))
		walk(t, fx, with(func(g *models.AccountFilter) { g.CreatedFrom, g.CreatedTo = at(10), at(60) }), models.SortCreated, true,
			fx.want(func(i int) bool { return i >= 10 && i < 60 }, true))
		// Logged in from minute 20 to 50 after base: accounts n-50 < i <= n-20.
		walk(t, fx, with(func(g *models.AccountFilter) {
			g.LoginFrom, g.LoginTo = fx.base.Add(20*time.Minute), fx.base.Add(50*time.Minute)
		}), models.SortCreated, true, fx.want(func(i int) bool { return i%3 == 0 && fx.n-i >= 20 && fx.n-i < 50 }, true))
		walk(t, fx, with(func(g *models.AccountFilter) { g.Role, g.Status, g.Bind = "staff", "active", models.BindBound }), models.SortCreated, false,
			fx.want(func(i int) bool { return i%10 == 0 && i%7 != 0 && i%3 == 0 }, false))
		// A whole openid and a prefix both find the account.
		walk(t, fx, with(func(g *models.AccountFilter) { g.Query = "o-00042" }), models.SortCreated, true, []uint64{42})
		walk(t, fx, with(func(g *models.AccountFilter) { g.Query = "o-0004" }), models.SortCreated, true, fx.want(func(i int) bool { return i >= 40 && i < 50 && i%3 == 0 }, true))

		c, err := fx.store.CountAccountsMatching(context.Background(), with(func(g *models.AccountFilter) { g.Role = "staff" }))
		if err != nil || c != (models.Count{N: 9, Exact: true}) {
			t.Fatalf("staff count %+v %v, want 9 exact", c, err)
		}
	})
}

// TestCountsEstimatedPastTheBound: a filter matching more rows than are cheap to count gets an
// estimate from sampled id ranges, close to the truth; a small one an exact count; a date range
// that one index answers is counted exactly further (its matches sit together in id order, where
// samples cannot estimate them).
func TestCountsEstimatedPastTheBound(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		db := modelstest.Open(t, driver)
		fx := seedList(t, db, 30_000)
		ctx := context.Background()
		at := func(h int) time.Time { return fx.base.Add(time.Duration(h) * time.Hour) }
		// 2,000 WeChat users never bound, first seen after the accounts, and 12,000 audit
		// entries over 12,000 seconds of one day, every third a bind.
		var idents, entries [][]any
		for i := 1; i <= 2_000; i++ {
			idents = append(idents, []any{100_000 + i, listAppID, fmt.Sprintf("o-unbound-%05d", i), at(30_000 + i), at(30_000 + i), at(30_000 + i)})
		}
		day := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
		for i := 1; i <= 12_000; i++ {
			action := "login"
			if i%3 == 0 {
				action = "bind"
			}
			entries = append(entries, []any{i, "root", action, "", day.Add(time.Duration(i) * time.Second)})
		}
		insertRows(t, db.Gorm, "wechat_identities", []string{"id", "appid", "openid", "last_seen_at", "created_at", "updated_at"}, idents)
		insertRows(t, db.Gorm, "audit_entries", []string{"id", "actor", "action", "target", "created_at"}, entries)
		for _, tc := range []struct {
			name  string
			count func() (models.Count, error)
			truth int64
		}{
			{"accounts created in 15,000 hours", func() (models.Count, error) {
				return fx.store.CountAccountsMatching(ctx, models.AccountFilter{AppID: listAppID, CreatedFrom: at(5_001), CreatedTo: at(20_001)})
			}, 15_000},
			{"every bound account by its last login", func() (models.Count, error) {
				return fx.store.CountAccountsMatching(ctx, models.AccountFilter{AppID: listAppID, LoginFrom: fx.base})
			}, 10_000},
			{"WeChat users first seen since the start", func() (models.Count, error) {
				return fx.store.CountIdentitiesMatching(ctx, models.IdentityFilter{AppID: listAppID, SeenFrom: fx.base})
			}, 12_000},
			{"audit entries of the day", func() (models.Count, error) {
				return fx.store.CountAuditEntries(ctx, models.AuditFilter{From: day, To: day.AddDate(0, 0, 1)})
			}, 12_000},
			{"audit binds of the day", func() (models.Count, error) {
				return fx.store.CountAuditEntries(ctx, models.AuditFilter{Action: "bind", From: day})
			}, 4_000},
		} {
			if c, err := tc.count(); err != nil || c != (models.Count{N: tc.truth, Exact: true}) {
				t.Fatalf("%s: %+v %v, want exactly %d", tc.name, c, err, tc.truth)
			}
		}
		for _, tc := range []struct {
			f     models.AccountFilter
			truth int64
			exact bool
		}{
			{models.AccountFilter{AppID: listAppID}, 30_000, false},
			{models.AccountFilter{AppID: listAppID, Bind: models.BindBound}, 10_000, true}, // at the bound: still exact
			{models.AccountFilter{AppID: listAppID, Bind: models.BindUnbound}, 20_000, false},
			{models.AccountFilter{AppID: listAppID, Role: "staff"}, 3_000, true},
		} {
			c, err := fx.store.CountAccountsMatching(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if c.Exact != tc.exact {
				t.Fatalf("%+v: exact=%v, want %v (%d)", tc.f, c.Exact, tc.exact, c.N)
			}
			if tc.exact && c.N != tc.truth {
				t.Fatalf("%+v: %d, want exactly %d", tc.f, c.N, tc.truth)
			}
			if off := float64(c.N-tc.truth) / float64(tc.truth); off > 0.05 || off < -0.05 {
				t.Fatalf("%+v: estimate %d is more than 5%% off %d", tc.f, c.N, tc.truth)
			}
		}
	})
}
