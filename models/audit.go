package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// AuditFilter selects audit entries: every condition set must hold.
type AuditFilter struct {
	Actor   string   // exact actor name
	Action  string   // exact action
	Targets []string // any of these targets; empty for any
	// From/To bound when the entry was written, [from, to); zero is open.
	From, To time.Time
}

func (s *Store) auditMatching(ctx context.Context, f AuditFilter, a access) *gorm.DB {
	from := s.table("audit_entries", "audit_entries", a)
	if a == byTime && s.db.Dialector.Name() == DriverMySQL {
		// The index the page is read in order from, made MariaDB's choice: given an action and
		// a cursor it reads the action's entries from the newest, row by row to the cursor
		// (135 ms from the middle of a million), instead of the range from the cursor.
		switch {
		case f.Action != "" && len(f.Targets) == 0:
			from = "audit_entries FORCE INDEX (idx_audit_entries_action)"
		case f.Action == "" && len(f.Targets) == 1:
			from = "audit_entries FORCE INDEX (idx_audit_entries_target)"
		case f.Action == "" && len(f.Targets) == 0:
			from = "audit_entries FORCE INDEX (idx_audit_entries_created)"
		}
	}
	q := s.db.WithContext(ctx).Table(from)
	if f.Actor != "" {
		q = q.Where("actor = ?", f.Actor)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	switch len(f.Targets) {
	case 0:
	case 1:
		q = q.Where("target = ?", f.Targets[0])
	default:
		q = q.Where("target IN ?", f.Targets)
	}
	return within(q, "created_at", f.From, f.To)
}

// ListAuditEntries returns a page of the entries matching f in the order they were written
// (time, then id), and whether there are more in the direction it was read. Every index the
// filters use ends in created_at — (created_at), (action, created_at), (target, created_at) —
// so the order is read from the filter's index, a date range too: by id, SQLite sorted every
// entry of an action or a day for one page (a day of a million is tens of thousands; an action
// 240–590 ms), depending on the planner's statistics. Ids are handed out in the order entries
// are written, so this is the order of ids too but for entries written at the same moment.
func (s *Store) ListAuditEntries(ctx context.Context, f AuditFilter, p Page) ([]AuditEntry, bool, error) {
	var es []AuditEntry
	var val any
	if k := p.cursor(); k != nil {
		val = k.Time
	}
	if err := p.keyset(s.auditMatching(ctx, f, byTime), "created_at", "id", val, false).Find(&es).Error; err != nil {
		return nil, false, err
	}
	es, more := trim(p, es)
	return es, more, nil
}

// AuditKey is an entry's place in the audit log, for the next or previous page.
func AuditKey(e AuditEntry) Key { return Key{Time: e.CreatedAt, ID: e.ID} }

// CountAuditEntries counts the entries matching f: exactly up to a bound, else estimated.
func (s *Store) CountAuditEntries(ctx context.Context, f AuditFilter) (Count, error) {
	bound := exactCountBound
	// A date range alone, or with an action or one target, is a range of one index: (created_at),
	// (action, created_at) or (target, created_at).
	if ranged(f.From, f.To) && f.Actor == "" && len(f.Targets) <= 1 && (f.Action == "" || len(f.Targets) == 0) {
		bound = rangeCountBound
	}
	return s.countMatching(ctx, s.auditMatching(ctx, f, plannerChoice).Select("id"), bound, "audit_entries", func(lo, hi uint64) *gorm.DB {
		return s.auditMatching(ctx, f, inWindow).Where("id BETWEEN ? AND ?", lo, hi)
	})
}

// CountAuditBetween counts entries with action in [from, to).
func (s *Store) CountAuditBetween(ctx context.Context, action string, from, to time.Time) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&AuditEntry{}).
		Where("action = ? AND created_at >= ? AND created_at < ?", action, from, to).Count(&n).Error
	return n, err
}

// AuditEntry records who did what to whom, from where.
type AuditEntry struct {
	ID             uint64 `gorm:"primaryKey"`
	ActorAccountID *uint64
	Actor          string
	Action         string
	Target         string
	Detail         string
	IP             string `gorm:"column:ip"`
	CreatedAt      time.Time
}

// AddAuditEntry appends to the audit log.
func (s *Store) AddAuditEntry(ctx context.Context, e *AuditEntry) error {
	return s.db.WithContext(ctx).Create(e).Error
}

// AddAuditEntries appends many entries in batched inserts.
func (s *Store) AddAuditEntries(ctx context.Context, es []AuditEntry) error {
	if len(es) == 0 {
		return nil
	}
	return s.db.WithContext(ctx).CreateInBatches(&es, 500).Error
}

// LoginFailures are failed password attempts counted over a window, each count stopping at
// its cap: nothing past a cap changes a decision, and capped counts cost the same however many
// failures an attack has piled up.
type LoginFailures struct {
	OfTarget            int64 // for the target (a username), from every address
	OfTargetFromAddress int64 // for the target, from the address asked about
	FromAddress         int64 // from the address, for any target
}

// LoginFailureCaps are where the counts of LoginFailures stop.
type LoginFailureCaps struct {
	OfTarget, OfTargetFromAddress, FromAddress int
}

// CountLoginFailures counts entries with one of actions since a time, for target and ip, in one
// round trip. Each count is a range scan that stops at its cap: (target, ip, action, created_at)
// and (ip, action, created_at) answer from the index alone; (target, created_at) reads at most
// caps.OfTarget rows.
func (s *Store) CountLoginFailures(ctx context.Context, actions []string, since time.Time, target, ip string, caps LoginFailureCaps) (LoginFailures, error) {
	var n LoginFailures
	err := s.db.WithContext(ctx).Raw(`SELECT
		(SELECT COUNT(*) FROM (SELECT 1 AS x FROM audit_entries WHERE target = ? AND action IN ? AND created_at >= ? LIMIT ?) t) AS of_target,
		(SELECT COUNT(*) FROM (SELECT 1 AS x FROM audit_entries WHERE target = ? AND ip = ? AND action IN ? AND created_at >= ? LIMIT ?) tp) AS of_target_from_address,
		(SELECT COUNT(*) FROM (SELECT 1 AS x FROM audit_entries WHERE ip = ? AND action IN ? AND created_at >= ? LIMIT ?) p) AS from_address`,
		target, actions, since, caps.OfTarget,
		target, ip, actions, since, caps.OfTargetFromAddress,
		ip, actions, since, caps.FromAddress).Scan(&n).Error
	return n, err
}

// LatestAuditEntry is the newest entry with action about target; ErrNotFound when none.
func (s *Store) LatestAuditEntry(ctx context.Context, action, target string) (AuditEntry, error) {
	var e AuditEntry
	err := s.db.WithContext(ctx).Where("target = ? AND action = ?", target, action).Order("created_at DESC, id DESC").Take(&e).Error
	return e, translate(err)
}

// Binding is one bind recorded in the audit log: an identity (its target) bound by an account.
type Binding struct {
	Target    string
	AccountID uint64
	Username  string
}

// BindingsOfTargets lists who bound each of targets (wechat:<id>), oldest first, once per
// account and target.
func (s *Store) BindingsOfTargets(ctx context.Context, targets []string) ([]Binding, error) {
	if len(targets) == 0 {
		return nil, nil
	}
	var out []Binding
	err := s.db.WithContext(ctx).Model(&AuditEntry{}).
		Select("target, actor_account_id AS account_id, MAX(actor) AS username").
		Where("action = ? AND target IN ? AND actor_account_id IS NOT NULL", "bind", targets).
		Group("target, actor_account_id").Order("MIN(id)").Scan(&out).Error
	return out, err
}

// TargetsBoundBy lists the identities (wechat:<id>) the account ever bound.
func (s *Store) TargetsBoundBy(ctx context.Context, accountID uint64) ([]string, error) {
	var out []string
	err := s.db.WithContext(ctx).Model(&AuditEntry{}).Distinct("target").
		Where("actor_account_id = ? AND action = ?", accountID, "bind").Pluck("target", &out).Error
	return out, err
}
