// Package models holds the GORM models and every query on them. It is the only package that
// talks to the database; it knows nothing about who may do what.
package models

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	gomysql "github.com/go-sql-driver/mysql"
	"github.com/pressly/goose/v3"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"wxbind/migrations"
)

// Database drivers.
const (
	DriverSQLite = "sqlite"
	DriverMySQL  = "mysql"
)

// Options size the connection pool and bound every statement's wait.
type Options struct {
	MaxOpenConns int           // default 32 (MySQL); SQLite serialises writes anyway
	MaxIdleConns int           // default MaxOpenConns
	ConnMaxLife  time.Duration // default 30m, so connections follow a failover
	Logger       *slog.Logger  // slow and failed statements, never their arguments
}

// sqlitePragmas make concurrent writers wait for each other instead of failing with
// SQLITE_BUSY, and turn on foreign keys.
const sqlitePragmas = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate"

// SQLiteDSN turns a file path into a DSN with the pragmas the server relies on.
// A DSN that already has query parameters is returned as is.
func SQLiteDSN(path string) string {
	if strings.Contains(path, "?") {
		return path
	}
	return "file:" + path + "?" + sqlitePragmas
}

// MySQLDSN forces the connection settings the schema relies on: utf8mb4 with a collation
// MariaDB also has, times parsed as UTC, and timeouts so no call waits forever.
func MySQLDSN(dsn string) (string, error) {
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("DB_DSN is not a valid MySQL DSN (user:pass@tcp(host:3306)/db): %w", err)
	}
	if cfg.DBName == "" {
		return "", errors.New("DB_DSN names no database (…/DBNAME at the end)")
	}
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["charset"] = "utf8mb4"
	cfg.Collation = "utf8mb4_unicode_ci"
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	// Send each statement with its arguments in one packet instead of prepare, execute and
	// close: a third of the round trips per query (docs/benchmarks.md). Safe with utf8mb4,
	// which the lines above force. A DSN that sets interpolateParams itself keeps its choice.
	if !strings.Contains(dsn, "interpolateParams=") {
		cfg.InterpolateParams = true
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = 30 * time.Second
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 30 * time.Second
	}
	return cfg.FormatDSN(), nil
}

// Open connects to the database. It does not migrate.
func Open(driver, dsn string, opt Options) (*gorm.DB, error) {
	var dialector gorm.Dialector
	switch driver {
	case DriverSQLite:
		dialector = sqlite.Open(SQLiteDSN(dsn))
	case DriverMySQL:
		full, err := MySQLDSN(dsn)
		if err != nil {
			return nil, err
		}
		dialector = mysql.New(mysql.Config{DSN: full})
	default:
		return nil, fmt.Errorf("DB_DRIVER %q is not supported: use sqlite or mysql", driver)
	}
	log := opt.Logger
	if log == nil {
		log = slog.Default()
	}
	db, err := gorm.Open(dialector, &gorm.Config{
		TranslateError:         true,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) },
		Logger: logger.NewSlogLogger(log, logger.Config{
			SlowThreshold:             500 * time.Millisecond,
			LogLevel:                  logger.Warn,
			IgnoreRecordNotFoundError: true,
			ParameterizedQueries:      true, // never log values: they can be token hashes or secrets
		}),
	})
	if err != nil {
		return nil, fmt.Errorf("opening %s database: %w", driver, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	maxOpen := opt.MaxOpenConns
	if maxOpen <= 0 {
		maxOpen = 32
	}
	maxIdle := opt.MaxIdleConns
	if maxIdle <= 0 {
		maxIdle = maxOpen
	}
	life := opt.ConnMaxLife
	if life <= 0 {
		life = 30 * time.Minute
	}
	sqlDB.SetMaxOpenConns(maxOpen)
	sqlDB.SetMaxIdleConns(maxIdle)
	sqlDB.SetConnMaxLifetime(life)
	return db, nil
}

// Migrate applies every pending migration for driver and reports what it applied.
func Migrate(ctx context.Context, db *gorm.DB, driver string) ([]string, error) {
	return migrateTo(ctx, db, driver, 0)
}

// migrateTo applies the pending migrations up to version, or all of them for 0.
func migrateTo(ctx context.Context, db *gorm.DB, driver string, version int64) ([]string, error) {
	provider, err := newMigrationProvider(db, driver)
	if err != nil {
		return nil, err
	}
	var results []*goose.MigrationResult
	if version > 0 {
		results, err = provider.UpTo(ctx, version)
	} else {
		results, err = provider.Up(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("migrating %s database: %w", driver, err)
	}
	applied := make([]string, 0, len(results))
	for _, r := range results {
		if r.Source.Path == "" { // a Go migration
			applied = append(applied, fmt.Sprintf("%05d (Go)", r.Source.Version))
			continue
		}
		applied = append(applied, r.Source.Path)
	}
	return applied, nil
}

// newMigrationProvider is goose over driver's SQL files and the Go migrations.
func newMigrationProvider(db *gorm.DB, driver string) (*goose.Provider, error) {
	dialect := goose.DialectMySQL
	if driver == DriverSQLite {
		dialect = goose.DialectSQLite3
	}
	sub, err := fs.Sub(migrations.FS, driver)
	if err != nil {
		return nil, err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	provider, err := goose.NewProvider(dialect, sqlDB, sub, goose.WithGoMigrations(usernameKeysMigration()))
	if err != nil {
		return nil, fmt.Errorf("loading migrations: %w", err)
	}
	return provider, nil
}

// RedactDSN hides the password of a MySQL DSN for log lines.
func RedactDSN(driver, dsn string) string {
	if driver != DriverMySQL {
		return dsn
	}
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return "(unparseable DSN)"
	}
	cfg.Passwd = ""
	cfg.Params = nil
	return (&url.URL{Scheme: "mysql", User: url.User(cfg.User), Host: cfg.Addr, Path: "/" + cfg.DBName}).String()
}
