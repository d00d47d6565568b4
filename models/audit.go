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

// CountAuditSince counts entries with action since a time, optionally only for one target or IP.
func (s *Store) CountAuditSince(ctx context.Context, action string, since time.Time, target, ip string) (int64, error) {
	q := s.db.WithContext(ctx).Model(&AuditEntry{}).Where("action = ? AND created_at >= ?", action, since)
	if target != "" {
		q = q.Where("target = ?", target)
	}
	if ip != "" {
		q = q.Where("ip = ?", ip)
	}
	var n int64
	err := q.Count(&n).Error
	return n, err
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
