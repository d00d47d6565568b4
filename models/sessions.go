package models

import (
	"context"
	"time"
)

// PruneConsoleSessions deletes console sessions that have expired.
func (s *Store) PruneConsoleSessions(ctx context.Context, now time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Exec("DELETE FROM sessions WHERE expiry < ?", now)
	return res.RowsAffected, res.Error
}
