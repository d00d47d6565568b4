package models_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"wxbind/models"
	"wxbind/models/modelstest"
)

// TestArgumentsSurviveInterpolation guards the client-side interpolation Open turns on for
// MySQL: quotes, backslashes, NUL, emoji and binary bytes come back exactly as stored.
func TestArgumentsSurviveInterpolation(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		db := modelstest.Open(t, driver)
		store := models.NewStore(db.Gorm)
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		tricky := `a'b"c\d` + "\x00e\n\r\x1a 🐼 %_ ' OR '1'='1"
		a := models.Account{Username: "tricky", Name: tricky, PasswordHash: `\'; DROP TABLE accounts; --`, Role: "user", Status: "active", CreatedAt: now, UpdatedAt: now}
		if err := store.CreateAccount(ctx, &a); err != nil {
			t.Fatal(err)
		}
		got, err := store.AccountByUsername(ctx, "tricky")
		if err != nil || got.Name != tricky || got.PasswordHash != a.PasswordHash || !got.CreatedAt.Equal(now) {
			t.Fatalf("round trip: %q %q %v (%v)", got.Name, got.PasswordHash, got.CreatedAt, err)
		}
		var n int64
		if err := db.Gorm.Model(&models.Account{}).Where("name = ?", tricky).Count(&n).Error; err != nil || n != 1 {
			t.Fatalf("looking up by the tricky value: %d %v", n, err)
		}
	})
}

func TestMySQLDSNInterpolatesUnlessTold(t *testing.T) {
	dsn, err := models.MySQLDSN("u:p@tcp(db:3306)/wxbind")
	if err != nil || !strings.Contains(dsn, "interpolateParams=true") {
		t.Fatalf("default DSN %q (%v) must interpolate", dsn, err)
	}
	dsn, err = models.MySQLDSN("u:p@tcp(db:3306)/wxbind?interpolateParams=false")
	if err != nil || strings.Contains(dsn, "interpolateParams=true") {
		t.Fatalf("a DSN that turns interpolation off must keep it off: %q (%v)", dsn, err)
	}
}
