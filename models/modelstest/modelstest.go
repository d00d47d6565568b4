// Package modelstest gives tests a migrated, throwaway database: a SQLite file, or a fresh
// database on a real MariaDB/MySQL server.
//
// MariaDB is found through TEST_MYSQL_DSN (a DSN whose database part is ignored), else the local
// server on its socket or 127.0.0.1:3306 as root without a password. When none answers, MySQL
// tests are skipped with a message, unless CI is set, where that is a failure.
package modelstest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"gorm.io/gorm"

	"wxbind/models"
)

// Drivers is every database the tests run on.
var Drivers = []string{models.DriverSQLite, models.DriverMySQL}

// ForEachDriver runs fn as a subtest per database. TEST_DRIVERS (a comma-separated list, e.g.
// "mysql") skips the others: scripts/test-tidb runs only the MySQL half on TiDB.
func ForEachDriver(t *testing.T, fn func(t *testing.T, driver string)) {
	t.Helper()
	only := os.Getenv("TEST_DRIVERS")
	for _, d := range Drivers {
		t.Run(d, func(t *testing.T) {
			if only != "" && !slices.Contains(strings.Split(only, ","), d) {
				t.Skipf("TEST_DRIVERS=%s", only)
			}
			fn(t, d)
		})
	}
}

// DB is a throwaway database.
type DB struct {
	Driver string
	DSN    string // what models.Open takes for it
	Gorm   *gorm.DB
}

// Open makes a migrated throwaway database, removed when t ends.
func Open(t testing.TB, driver string) DB {
	t.Helper()
	dsn := NewDSN(t, driver)
	db, err := models.Open(driver, dsn, models.Options{})
	if err != nil {
		t.Fatalf("opening %s: %v", driver, err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := models.Migrate(ctx, db, driver); err != nil {
		t.Fatalf("migrating %s: %v", driver, err)
	}
	return DB{Driver: driver, DSN: dsn, Gorm: db}
}

// NewDSN makes an empty throwaway database and returns its DSN; it is dropped when t ends.
func NewDSN(t testing.TB, driver string) string {
	t.Helper()
	switch driver {
	case models.DriverSQLite:
		return filepath.Join(t.TempDir(), "test.db")
	case models.DriverMySQL:
		return newMySQLDatabase(t)
	}
	t.Fatalf("unknown driver %q", driver)
	return ""
}

var (
	serverOnce sync.Once
	serverCfg  *gomysql.Config
	serverErr  error
)

// mysqlServer finds a reachable server once per test binary.
func mysqlServer() (*gomysql.Config, error) {
	serverOnce.Do(func() {
		candidates := []string{"root@unix(/run/mysqld/mysqld.sock)/", "root@unix(/var/run/mysqld/mysqld.sock)/", "root@tcp(127.0.0.1:3306)/"}
		if dsn := os.Getenv("TEST_MYSQL_DSN"); dsn != "" {
			candidates = []string{dsn}
		}
		var errs []error
		for _, dsn := range candidates {
			cfg, err := gomysql.ParseDSN(dsn)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", dsn, err))
				continue
			}
			cfg.DBName = ""
			cfg.Timeout = 3 * time.Second
			if err := ping(cfg); err != nil {
				errs = append(errs, fmt.Errorf("%s@%s: %w", cfg.User, cfg.Addr, err))
				continue
			}
			serverCfg = cfg
			return
		}
		serverErr = fmt.Errorf("no MySQL/MariaDB server reachable (set TEST_MYSQL_DSN): %v", errs)
	})
	return serverCfg, serverErr
}

func ping(cfg *gomysql.Config) error {
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

// RequireMySQL returns the server's config, or skips (fails under CI) when there is none.
func RequireMySQL(t testing.TB) *gomysql.Config {
	t.Helper()
	cfg, err := mysqlServer()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but %v", err)
		}
		t.Skipf("skipping MySQL test: %v", err)
	}
	return cfg.Clone()
}

func newMySQLDatabase(t testing.TB) string {
	cfg := RequireMySQL(t)
	b := make([]byte, 6)
	rand.Read(b)
	name := "wxbind_test_" + hex.EncodeToString(b)
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		admin.Close()
		t.Fatalf("creating test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			t.Logf("dropping %s: %v", name, err)
		}
		admin.Close()
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}

// GiveMenus adds every menu to every account's extra menus, keeping what they have, and brings
// their effective menus up to date, the way the rules' own writes do: a shortcut for tests that
// need accounts with menus.
func GiveMenus(t testing.TB, store *models.Store, accountIDs, menuIDs []uint64) {
	t.Helper()
	ctx := context.Background()
	if err := store.AddToAccounts(ctx, models.ExtraMenus, accountIDs, menuIDs); err != nil {
		t.Fatal(err)
	}
	if err := store.RecomputeEffectiveMenus(ctx, accountIDs); err != nil {
		t.Fatal(err)
	}
}
