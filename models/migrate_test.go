package models_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

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
// machine-made keys compared byte for byte may be ascii_bin instead, and the username key
// utf8mb4_bin (the server folds it; the collation must not fold further).
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
		AND COLLATION_NAME <> 'ascii_bin'
		AND NOT (TABLE_NAME = 'accounts' AND COLUMN_NAME = 'username_key' AND COLLATION_NAME = 'utf8mb4_bin')`).Scan(&badColumns)
	if len(badColumns) > 0 {
		t.Errorf("columns not utf8mb4_unicode_ci: %v", badColumns)
	}
	var conn struct{ Charset, Collation string }
	db.Gorm.Raw("SELECT @@character_set_connection AS charset, @@collation_connection AS collation").Scan(&conn)
	if conn.Charset != "utf8mb4" || conn.Collation != "utf8mb4_unicode_ci" {
		t.Errorf("connection is %s/%s, want utf8mb4/utf8mb4_unicode_ci", conn.Charset, conn.Collation)
	}
}

// TestUsernameKeyMigrationRefusesClashes: accounts stored by an older server whose usernames are
// the same after NFKC and case folding stop the username_key migration with a report naming
// them (ids and usernames); once renamed, the migration finishes and fills every key.
func TestUsernameKeyMigrationRefusesClashes(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		db, err := models.Open(driver, modelstest.NewDSN(t, driver), models.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if sqlDB, err := db.DB(); err == nil {
				sqlDB.Close()
			}
		})
		if _, err := models.MigrateTo(ctx, db, driver, 4); err != nil {
			t.Fatal(err)
		}
		// What an older server let in: on SQLite any case and width; on MySQL its collation
		// already merged case and width, but not the capital sharp s.
		usernames := []string{"gross", "bob", "GROẞ"}
		if driver == models.DriverSQLite {
			usernames = append(usernames, "alice", "ALICE", "Ａｌｉｃｅ")
		}
		ids := map[string]uint64{}
		for _, u := range usernames {
			if err := db.Exec(`INSERT INTO accounts (username, password_hash, role, status, created_at, updated_at) VALUES (?, 'x', 'user', 'active', ?, ?)`,
				u, time.Now().UTC(), time.Now().UTC()).Error; err != nil {
				t.Fatalf("inserting %s: %v", u, err)
			}
			var id uint64
			db.Raw("SELECT id FROM accounts WHERE username = ? COLLATE "+map[string]string{models.DriverSQLite: "BINARY", models.DriverMySQL: "utf8mb4_bin"}[driver], u).Scan(&id)
			ids[u] = id
		}

		_, err = models.Migrate(ctx, db, driver)
		var clash *models.UsernameClashError
		if !errors.As(err, &clash) {
			t.Fatalf("migrating clashing usernames: want a UsernameClashError, got %v", err)
		}
		msg := err.Error()
		want := []string{fmt.Sprintf(`id %d "gross", id %d "GROẞ"`, ids["gross"], ids["GROẞ"])}
		if driver == models.DriverSQLite {
			want = append(want, fmt.Sprintf(`id %d "alice", id %d "ALICE", id %d "Ａｌｉｃｅ"`, ids["alice"], ids["ALICE"], ids["Ａｌｉｃｅ"]))
		}
		for _, w := range append(want, "Rename all but one") {
			if !strings.Contains(msg, w) {
				t.Fatalf("the report must name the clashing accounts (%s); got:\n%s", w, msg)
			}
		}
		if strings.Contains(msg, `"bob"`) {
			t.Fatalf("bob clashes with nobody but is reported:\n%s", msg)
		}
		var filled int64
		db.Raw("SELECT COUNT(*) FROM accounts WHERE username_key <> ''").Scan(&filled)
		if filled != 0 {
			t.Fatalf("a refused migration must change nothing; %d keys were filled", filled)
		}

		// Renamed, the migration finishes; the keys find accounts whatever the case and width.
		for _, u := range []string{"GROẞ", "ALICE", "Ａｌｉｃｅ"} {
			db.Exec("UPDATE accounts SET username = ? WHERE id = ?", fmt.Sprintf("renamed%d", ids[u]), ids[u])
		}
		if _, err := models.Migrate(ctx, db, driver); err != nil {
			t.Fatalf("migrating after the renames: %v", err)
		}
		store := models.NewStore(db)
		for typed, owner := range map[string]string{"GROSS": "gross", "ｂｏｂ": "bob", "Bob": "bob"} {
			a, err := store.AccountByUsername(ctx, typed)
			if err != nil || a.ID != ids[owner] || a.Username != owner {
				t.Fatalf("%s: want account %d %s, got %d %q %v", typed, ids[owner], owner, a.ID, a.Username, err)
			}
		}
		err = store.CreateAccount(ctx, &models.Account{Username: "BOB", PasswordHash: "x", Role: "user", Status: "active", CreatedAt: time.Now(), UpdatedAt: time.Now()})
		if !errors.Is(err, models.ErrDuplicate) {
			t.Fatalf("a second bob after the migration: want ErrDuplicate, got %v", err)
		}
	})
}
