package models

import (
	"context"
	"time"
)

// AuditFilter selects a page of audit entries, newest first.
type AuditFilter struct {
	Actor    string // exact actor name
	Action   string
	Target   string
	BeforeID uint64
	Limit    int
}

// ListAuditEntries returns audit entries matching f, newest first.
func (s *Store) ListAuditEntries(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	q := s.db.WithContext(ctx).Model(&AuditEntry{})
	if f.Actor != "" {
		q = q.Where("actor = ?", f.Actor)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.Target != "" {
		q = q.Where("target = ?", f.Target)
	}
	if f.BeforeID > 0 {
		q = q.Where("id < ?", f.BeforeID)
	}
	var es []AuditEntry
	err := q.Order("id DESC").Limit(limit(f.Limit)).Find(&es).Error
	return es, err
}

// AuditEntriesOfTargets lists the newest entries about any of targets.
func (s *Store) AuditEntriesOfTargets(ctx context.Context, targets []string, n int) ([]AuditEntry, error) {
	var es []AuditEntry
	err := s.db.WithContext(ctx).Where("target IN ?", targets).Order("id DESC").Limit(limit(n)).Find(&es).Error
	return es, err
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
