package models

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"gorm.io/gorm"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// ErrDuplicate is returned when a unique key refuses a row.
var ErrDuplicate = errors.New("duplicate key")

// Store runs the queries. Inside Transaction it runs them in that transaction.
type Store struct {
	db   *gorm.DB
	inTx bool // inside Transaction: a deadlock has rolled back more than the statement
}

// NewStore wraps an open database.
func NewStore(db *gorm.DB) *Store { return &Store{db: db} }

// DB is the underlying handle, for health checks and closing.
func (s *Store) DB() *gorm.DB { return s.db }

// Transaction runs fn in one database transaction; fn's error rolls it back. When InnoDB picks
// the transaction as a deadlock victim (concurrent binds can), or TiDB reports a lost write
// conflict, fn runs again on a fresh transaction, up to three times: fn must not have effects
// outside the database.
func (s *Store) Transaction(ctx context.Context, fn func(tx *Store) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			return fn(&Store{db: tx, inTx: true})
		})
		if !isRetryable(err) || attempt == maxAttempts || !pauseBeforeRetry(ctx, attempt) {
			return err
		}
	}
}

// maxAttempts bounds how often a statement or transaction the database rolled back as a
// conflict runs: under TiDB's optimistic conflicts a few rounds are normal.
const maxAttempts = 10

// pauseBeforeRetry waits a short, random, growing pause after a conflict, so that the same two
// writers do not collide again at once; false when ctx ended first.
func pauseBeforeRetry(ctx context.Context, attempt int) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(time.Duration(attempt) * time.Duration(1+rand.IntN(4)) * time.Millisecond):
		return true
	}
}

// isRetryable reports an error after which the database has rolled the statement's transaction
// back and running it again can succeed: MySQL's deadlock, and TiDB's answers to a lost write
// conflict, which its documentation calls safe to retry as a whole.
func isRetryable(err error) bool {
	var me *gomysql.MySQLError
	if !errors.As(err, &me) {
		return false
	}
	switch me.Number {
	case 1213, // deadlock (MySQL, MariaDB, TiDB)
		8002, // TiDB: SELECT FOR UPDATE met a write conflict at commit
		8005, // TiDB: write conflict, txnStartTS is stale
		8022, // TiDB: KV error safe to retry
		8028, // TiDB: the schema changed during the transaction
		9007: // TiDB: write conflict in TiKV
		return true
	case 1105: // TiDB's generic error; a pessimistic statement that kept losing its lock
		return strings.Contains(me.Message, "pessimistic lock retry limit reached")
	}
	return false
}

// IsRefusal reports an error the database answered about a statement itself, other than a
// conflict that running it again can solve: it answered, so it is up, and it will not take
// those rows.
func IsRefusal(err error) bool {
	var me *gomysql.MySQLError
	return errors.As(err, &me) && !isRetryable(err)
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// translate maps GORM's errors onto this package's.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return ErrNotFound
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return ErrDuplicate
	}
	return err
}

// likePrefix escapes q for a LIKE 'q%' ESCAPE '!' that an index can serve. The escape is not a
// backslash, which MySQL and SQLite read differently inside a string literal.
func likePrefix(q string) string {
	r := strings.NewReplacer(`!`, `!!`, `%`, `!%`, `_`, `!_`)
	return r.Replace(q) + "%"
}

// prefixMatch is a condition "col starts with q" that an index serves, with its arguments.
// MySQL serves LIKE 'q%' from an index; SQLite's LIKE ignores ASCII case and so cannot use a
// BINARY index at all (every search read the whole table), so there it is the equivalent range
// [q, q + the greatest character), which matches case-sensitively.
func (s *Store) prefixMatch(col, q string) (string, []any) {
	if s.db.Dialector.Name() == "sqlite" {
		return col + " >= ? AND " + col + " < ?", []any{q, q + "\U0010FFFF"}
	}
	return col + " LIKE ? ESCAPE '!'", []any{likePrefix(q)}
}

// prefixSearch collects, in order, the arguments of a statement that looks for q as a prefix of
// several columns: arg and match each return the text to write in the statement and add its
// arguments. Go evaluates a concatenation's calls left to right, so the arguments follow the
// placeholders' order.
type prefixSearch struct {
	s    *Store
	q    string
	args []any
}

func (s *Store) prefixSearch(q string) *prefixSearch { return &prefixSearch{s: s, q: q} }

// arg is a placeholder for v.
func (p *prefixSearch) arg(v any) string {
	p.args = append(p.args, v)
	return "?"
}

// match is the condition that col starts with the searched text.
func (p *prefixSearch) match(col string) string {
	cond, args := p.s.prefixMatch(col, p.q)
	p.args = append(p.args, args...)
	return cond
}

// Lists page by keyset (the last id seen), never by OFFSET or a COUNT of the whole table, so a
// page costs the same at a million rows as at a hundred. limit caps a page's size.
func limit(n int) int {
	if n <= 0 || n > 500 {
		return 50
	}
	return n
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
