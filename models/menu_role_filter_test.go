package models_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"wxbind/models"
	"wxbind/models/modelstest"
)

// giveMenuRole makes a menu role named name and gives it to the fixture's accounts i for which
// has holds; it returns the role's id.
func giveMenuRole(t *testing.T, db modelstest.DB, fx listFixture, name string, has func(i int) bool) uint64 {
	t.Helper()
	now := time.Now().UTC()
	r := models.MenuRole{Name: name, CreatedAt: now, UpdatedAt: now}
	if err := db.Gorm.Create(&r).Error; err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for i := 1; i <= fx.n; i++ {
		if has(i) {
			ids = append(ids, uint64(i))
		}
	}
	for lo := 0; lo < len(ids); lo += 5_000 {
		if err := models.NewStore(db.Gorm).AddToAccounts(context.Background(), models.MenuRoles, ids[lo:min(lo+5_000, len(ids))], []uint64{r.ID}); err != nil {
			t.Fatal(err)
		}
	}
	return r.ID
}

// TestMenuRoleFilter: on both databases, the accounts with a menu role, read from the role's few
// members and by an EXISTS per account (the plan for a role of many), alone and with every other
// filter, paged forward and back in every sort, are exactly those that have it; their count and
// the bulk actions' list agree.
func TestMenuRoleFilter(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		db := modelstest.Open(t, driver)
		fx := seedList(t, db, 95)
		even := giveMenuRole(t, db, fx, "even", func(i int) bool { return i%2 == 0 })
		fifth := giveMenuRole(t, db, fx, "fifth", func(i int) bool { return i%5 == 0 })
		nobody := giveMenuRole(t, db, fx, "nobody", func(int) bool { return false })
		ctx := context.Background()
		bound := func(i int) bool { return i%3 == 0 }
		isEven := func(i int) bool { return i%2 == 0 }

		for _, plan := range []struct {
			name  string
			bound int // fewMembersBound: 47 members are few under the default, many under 10
		}{{"few members drive", 10_000}, {"EXISTS per account", 10}} {
			t.Run(plan.name, func(t *testing.T) {
				defer models.SetFewMembersBound(plan.bound)()
				f := models.AccountFilter{AppID: listAppID, MenuRoleID: even}
				with := func(change func(*models.AccountFilter)) models.AccountFilter { g := f; change(&g); return g }
				for _, c := range []struct {
					f    models.AccountFilter
					sort string
					desc bool
					want []uint64
				}{
					{f, models.SortCreated, true, fx.want(isEven, true)},
					{f, models.SortCreated, false, fx.want(isEven, false)},
					{f, models.SortUsername, false, fx.want(isEven, false)},
					{f, models.SortUsername, true, fx.want(isEven, true)},
					// Login order is the reverse of creation; only bound accounts have one.
					{f, models.SortLastLogin, true, fx.want(func(i int) bool { return isEven(i) && bound(i) }, false)},
					{with(func(g *models.AccountFilter) { g.Bind = models.BindBound }), models.SortCreated, true, fx.want(func(i int) bool { return i%6 == 0 }, true)},
					{with(func(g *models.AccountFilter) { g.Bind = models.BindUnbound }), models.SortCreated, false, fx.want(func(i int) bool { return isEven(i) && !bound(i) }, false)},
					{with(func(g *models.AccountFilter) { g.Role, g.Status = "staff", "active" }), models.SortCreated, true,
						fx.want(func(i int) bool { return i%10 == 0 && i%7 != 0 }, true)},
					{with(func(g *models.AccountFilter) {
						g.CreatedFrom, g.CreatedTo = fx.base.Add(10*time.Hour), fx.base.Add(60*time.Hour)
					}), models.SortUsername, false,
						fx.want(func(i int) bool { return isEven(i) && i >= 10 && i < 60 }, false)},
					{with(func(g *models.AccountFilter) {
						g.LoginFrom, g.LoginTo = fx.base.Add(20*time.Minute), fx.base.Add(50*time.Minute)
					}), models.SortLastLogin, false, fx.want(func(i int) bool { return i%6 == 0 && fx.n-i >= 20 && fx.n-i < 50 }, true)},
					// With a search the role is an EXISTS on its matches, whatever its size.
					{with(func(g *models.AccountFilter) { g.Query, g.MenuRoleID = "u0001", fifth }), models.SortCreated, true, []uint64{15, 10}},
					{with(func(g *models.AccountFilter) { g.MenuRoleID = fifth }), models.SortCreated, true, fx.want(func(i int) bool { return i%5 == 0 }, true)},
					{with(func(g *models.AccountFilter) { g.MenuRoleID = nobody }), models.SortCreated, true, nil},
					{with(func(g *models.AccountFilter) { g.MenuRoleID = nobody + 1000 }), models.SortCreated, true, nil}, // deleted since
				} {
					walk(t, fx, c.f, c.sort, c.desc, c.want)
					if c.sort == models.SortLastLogin && c.f.LoginFrom.IsZero() {
						continue // the sort lists bound accounts only; the filter's count is of all
					}
					n, err := fx.store.CountAccountsMatching(ctx, c.f)
					if err != nil || n != (models.Count{N: int64(len(c.want)), Exact: true}) {
						t.Fatalf("%+v: count %+v %v, want %d exact", c.f, n, err, len(c.want))
					}
					refs, err := fx.store.AccountsMatching(ctx, c.f, 1000)
					if err != nil {
						t.Fatal(err)
					}
					var got []uint64
					for _, r := range refs {
						got = append(got, r.ID)
					}
					want := slices.Clone(c.want)
					slices.Sort(want)
					slices.Reverse(want)
					if !slices.Equal(got, want) {
						t.Fatalf("%+v: the bulk actions' accounts are %v, want %v", c.f, got, want)
					}
				}
			})
		}
	})
}

// TestMenuRoleCountEstimated: on both databases, a menu role of more members than are cheap to
// count gets an estimate close to the truth, read from samples of the role's index; a role of
// a few an exact count.
func TestMenuRoleCountEstimated(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		db := modelstest.Open(t, driver)
		fx := seedList(t, db, 30_000)
		half := giveMenuRole(t, db, fx, "half", func(i int) bool { return i%2 == 0 })
		few := giveMenuRole(t, db, fx, "few", func(i int) bool { return i%3_000 == 0 })
		ctx := context.Background()
		for _, tc := range []struct {
			f     models.AccountFilter
			truth int64
			exact bool
		}{
			{models.AccountFilter{AppID: listAppID, MenuRoleID: half}, 15_000, false},
			{models.AccountFilter{AppID: listAppID, MenuRoleID: half, Bind: models.BindUnbound}, 10_000, true}, // even, not a multiple of 3: at the bound
			{models.AccountFilter{AppID: listAppID, MenuRoleID: half, Role: "staff"}, 3_000, true},
			{models.AccountFilter{AppID: listAppID, MenuRoleID: few}, 10, true},
		} {
			c, err := fx.store.CountAccountsMatching(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if c.Exact != tc.exact || (tc.exact && c.N != tc.truth) {
				t.Fatalf("%+v: %+v, want %d (exact: %v)", tc.f, c, tc.truth, tc.exact)
			}
			if off := float64(c.N-tc.truth) / float64(tc.truth); off > 0.05 || off < -0.05 {
				t.Fatalf("%+v: estimate %d is more than 5%% off %d", tc.f, c.N, tc.truth)
			}
		}
	})
}
