package models_test

import (
	"context"
	"io/fs"
	"slices"
	"testing"

	"wxbind/migrations"
	"wxbind/models"
	"wxbind/models/modelstest"
)

// TestMigrationsNumberedAlike: every migration exists for both databases under the same name.
func TestMigrationsNumberedAlike(t *testing.T) {
	mysql, _ := fs.Glob(migrations.FS, "mysql/*.sql")
	sqlite, _ := fs.Glob(migrations.FS, "sqlite/*.sql")
	base := func(paths []string) []string {
		out := make([]string, len(paths))
		for i, p := range paths {
			_, out[i], _ = cutLast(p, "/")
		}
		return out
	}
	if len(mysql) == 0 || !slices.Equal(base(mysql), base(sqlite)) {
		t.Fatalf("migrations differ:\nmysql  %v\nsqlite %v", base(mysql), base(sqlite))
	}
}

func cutLast(s, sep string) (string, string, bool) {
	for i := len(s) - len(sep); i >= 0; i-- {
		if s[i:i+len(sep)] == sep {
			return s[:i], s[i+len(sep):], true
		}
	}
	return "", s, false
}

// TestMigrateIsIdempotent: running the migrations again applies nothing.
func TestMigrateIsIdempotent(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		db := modelstest.Open(t, driver)
		applied, err := models.Migrate(context.Background(), db.Gorm, driver)
		if err != nil || len(applied) != 0 {
			t.Fatalf("second migrate applied %v, %v", applied, err)
		}
	})
}

// TestMySQLTablesAreUTF8MB4 checks every table and text column on the real server. Only
// machine-made keys compared byte for byte may be ascii_bin instead.
func TestMySQLTablesAreUTF8MB4(t *testing.T) {
	db := modelstest.Open(t, models.DriverMySQL)
	type table struct {
		Name, Engine, Collation string
	}
	var tables []table
	err := db.Gorm.Raw(`SELECT TABLE_NAME AS name, ENGINE AS engine, TABLE_COLLATION AS collation
		FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME <> 'goose_db_version'`).Scan(&tables).Error
	if err != nil || len(tables) == 0 {
		t.Fatalf("listing tables: %v", err)
	}
	for _, tb := range tables {
		if tb.Engine != "InnoDB" || tb.Collation != "utf8mb4_unicode_ci" {
			t.Errorf("table %s is %s/%s, want InnoDB/utf8mb4_unicode_ci", tb.Name, tb.Engine, tb.Collation)
		}
	}
	var badColumns []string
	db.Gorm.Raw(`SELECT CONCAT(TABLE_NAME, '.', COLUMN_NAME) FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME <> 'goose_db_version' AND CHARACTER_SET_NAME IS NOT NULL
		AND (CHARACTER_SET_NAME <> 'utf8mb4' OR COLLATION_NAME <> 'utf8mb4_unicode_ci')
		AND COLLATION_NAME <> 'ascii_bin'`).Scan(&badColumns)
	if len(badColumns) > 0 {
		t.Errorf("columns not utf8mb4_unicode_ci: %v", badColumns)
	}
	var conn struct{ Charset, Collation string }
	db.Gorm.Raw("SELECT @@character_set_connection AS charset, @@collation_connection AS collation").Scan(&conn)
	if conn.Charset != "utf8mb4" || conn.Collation != "utf8mb4_unicode_ci" {
		t.Errorf("connection is %s/%s, want utf8mb4/utf8mb4_unicode_ci", conn.Charset, conn.Collation)
	}
}
