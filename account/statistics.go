package account

import (
	"context"
	"time"
)

// Totals are the dashboard's whole-table counts.
type Totals struct {
	Accounts   int64
	Identities int64 // WeChat users seen, bound or not
	Bound      int64
}

// Totals counts accounts and WeChat users. Each is a count over a whole table, about half a
// second at a million accounts on MariaDB: callers cache it.
func (s *Service) Totals(ctx context.Context) (Totals, error) {
	var t Totals
	var err error
	if t.Accounts, err = s.store.CountAccounts(ctx); err != nil {
		return t, err
	}
	if t.Identities, err = s.store.CountIdentities(ctx, s.AppID()); err != nil {
		return t, err
	}
	t.Bound, err = s.store.CountBoundIdentities(ctx, s.AppID())
	return t, err
}

// Activity is what happened in a span of time.
type Activity struct {
	Binds   int64
	Unbinds int64
	Logins  int64 // mini-program logins: tokens issued
}

// ActivityBetween counts binds, unbinds and logins in [from, to), each an indexed count.
func (s *Service) ActivityBetween(ctx context.Context, from, to time.Time) (Activity, error) {
	var a Activity
	var err error
	from, to = from.UTC(), to.UTC() // the database keeps UTC; SQLite compares text
	if a.Binds, err = s.store.CountAuditBetween(ctx, ActionBind, from, to); err != nil {
		return a, err
	}
	if a.Unbinds, err = s.store.CountAuditBetween(ctx, ActionUnbind, from, to); err != nil {
		return a, err
	}
	a.Logins, err = s.store.CountLoginsBetween(ctx, from, to)
	return a, err
}
