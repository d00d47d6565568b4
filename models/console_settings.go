package models

import (
	"context"
	"time"

	"gorm.io/gorm/clause"
)

// ConsoleSetting is one console setting an admin changes at run time.
type ConsoleSetting struct {
	Name      string `gorm:"primaryKey"`
	Value     string
	UpdatedAt time.Time
}

// ConsoleSettingValue reads a setting; "" when it was never set.
func (s *Store) ConsoleSettingValue(ctx context.Context, name string) (string, error) {
	var rows []ConsoleSetting
	err := s.db.WithContext(ctx).Where("name = ?", name).Limit(1).Find(&rows).Error
	if err != nil || len(rows) == 0 {
		return "", err
	}
	return rows[0].Value, nil
}

// SetConsoleSetting stores a setting, replacing its old value.
func (s *Store) SetConsoleSetting(ctx context.Context, name, value string, now time.Time) error {
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "name"}},
		DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at"}),
	}).Create(&ConsoleSetting{Name: name, Value: value, UpdatedAt: now}).Error
}
