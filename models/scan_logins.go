package models

import (
	"context"
	"time"
)

// Scan login states. A request past its expires_at that has not ended counts as expired; no
// row is ever written as expired.
const (
	ScanWaiting   = "waiting"
	ScanScanned   = "scanned"
	ScanConfirmed = "confirmed"
	ScanCompleted = "completed"
	ScanCancelled = "cancelled"
)

// ScanLogin is a console login request waiting for a phone to confirm it.
type ScanLogin struct {
	ID            uint64 `gorm:"primaryKey"`
	Scene         string
	SecretHash    string
	State         string
	Next          string
	BrowserIP     string `gorm:"column:browser_ip"`
	BrowserAgent  string
	AccountID     *uint64 // who scanned it
	ScannedIP     string  `gorm:"column:scanned_ip"`
	CodeImage     []byte
	CodeImageType string
	CreatedAt     time.Time
	ExpiresAt     time.Time
	ScannedAt     *time.Time
	ConfirmedAt   *time.Time
	EndedAt       *time.Time
}

// CreateScanLogin inserts r; a scene taken already is ErrDuplicate.
func (s *Store) CreateScanLogin(ctx context.Context, r *ScanLogin) error {
	return translate(s.db.WithContext(ctx).Create(r).Error)
}

// ScanLoginByScene loads a request without its cached image.
func (s *Store) ScanLoginByScene(ctx context.Context, scene string) (ScanLogin, error) {
	var r ScanLogin
	err := s.db.WithContext(ctx).Omit("code_image").Where("scene = ?", scene).Take(&r).Error
	return r, translate(err)
}

// ScanLoginCodeImage loads a request's cached mini-program code; empty when none is cached.
func (s *Store) ScanLoginCodeImage(ctx context.Context, id uint64) (image []byte, contentType string, err error) {
	var r ScanLogin
	err = s.db.WithContext(ctx).Select("code_image", "code_image_type").Where("id = ?", id).Take(&r).Error
	return r.CodeImage, r.CodeImageType, translate(err)
}

// SetScanLoginCodeImage caches the mini-program code drawn for a request.
func (s *Store) SetScanLoginCodeImage(ctx context.Context, id uint64, image []byte, contentType string) error {
	return s.db.WithContext(ctx).Model(&ScanLogin{}).Where("id = ?", id).
		Updates(map[string]any{"code_image": image, "code_image_type": contentType}).Error
}

// ScanLoginMove is one state change of a request.
type ScanLoginMove struct {
	From      string
	To        string
	AccountID *uint64 // required to match when set (and set on the row when From is waiting)
	IP        string  // the scanning phone's address, when moving to scanned
	Now       time.Time
}

// MoveScanLogin changes a live request's state from m.From to m.To in one conditional update,
// so that of two phones or two tabs racing only one wins; it reports whether this one did.
func (s *Store) MoveScanLogin(ctx context.Context, id uint64, m ScanLoginMove) (bool, error) {
	set := map[string]any{"state": m.To}
	switch m.To {
	case ScanScanned:
		set["account_id"], set["scanned_ip"], set["scanned_at"] = m.AccountID, m.IP, m.Now
	case ScanConfirmed:
		set["confirmed_at"] = m.Now
	default:
		set["ended_at"] = m.Now
	}
	q := s.db.WithContext(ctx).Model(&ScanLogin{}).Where("id = ? AND state = ? AND expires_at > ?", id, m.From, m.Now)
	if m.AccountID != nil && m.From != ScanWaiting {
		q = q.Where("account_id = ?", *m.AccountID)
	}
	res := q.Updates(set)
	return res.RowsAffected == 1, res.Error
}

// PruneScanLogins deletes requests that ended or expired before a time.
func (s *Store) PruneScanLogins(ctx context.Context, before time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Where("expires_at < ?", before).Delete(&ScanLogin{})
	return res.RowsAffected, res.Error
}
