package models

import (
	"context"
	"time"
)

// SpentBindTicket records a bind ticket that has been used, until it would have expired.
type SpentBindTicket struct {
	TicketID  string `gorm:"primaryKey"`
	ExpiresAt time.Time
	SpentAt   time.Time
}

// SpendBindTicket marks a ticket used; a ticket spent before is ErrDuplicate.
func (s *Store) SpendBindTicket(ctx context.Context, ticketID string, expiresAt, now time.Time) error {
	return translate(s.db.WithContext(ctx).Create(&SpentBindTicket{TicketID: ticketID, ExpiresAt: expiresAt, SpentAt: now}).Error)
}

// PruneSpentBindTickets forgets tickets that have expired anyway.
func (s *Store) PruneSpentBindTickets(ctx context.Context, now time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Where("expires_at < ?", now).Delete(&SpentBindTicket{})
	return res.RowsAffected, res.Error
}
