package models_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"

	"wxbind/models"
	"wxbind/models/modelstest"
)

// TiDB's answers when a transaction loses a write conflict, as its server sends them.
var tidbConflicts = []*gomysql.MySQLError{
	{Number: 1105, SQLState: [5]byte{'H', 'Y', '0', '0', '0'}, Message: "pessimistic lock retry limit reached"},
	{Number: 9007, SQLState: [5]byte{'H', 'Y', '0', '0', '0'}, Message: "Write conflict, txnStartTS=1, conflictStartTS=2, conflictCommitTS=3, key={tableID=5, tableName=wechat_identities, indexID=1}, reason=Optimistic [try again later]"},
	{Number: 8022, SQLState: [5]byte{'H', 'Y', '0', '0', '0'}, Message: "Error: KV error safe to retry Write conflict [try again later]"},
	{Number: 8002, SQLState: [5]byte{'H', 'Y', '0', '0', '0'}, Message: "[8002] can not retry select for update statement"},
	{Number: 1213, SQLState: [5]byte{'4', '0', '0', '0', '1'}, Message: "Deadlock found when trying to get lock; try restarting transaction"},
}

// TestUpsertRetriesTiDBConflicts: the database answers the identity upsert with each of TiDB's
// retryable errors in turn (injected in the driver, in front of the real server); the upsert runs
// again after each and then succeeds.
func TestUpsertRetriesTiDBConflicts(t *testing.T) {
	db, faults := openFaulty(t)
	store := models.NewStore(db)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)

	faults.answer("INSERT INTO `wechat_identities`", tidbConflicts...)
	ident, err := store.UpsertIdentity(ctx, "wxapp", "contended", "", "sealed", now)
	if err != nil {
		t.Fatalf("upsert after %d conflicts: %v", len(tidbConflicts), err)
	}
	if got, want := faults.attempts(), len(tidbConflicts)+1; got != want {
		t.Fatalf("upsert ran %d times, want %d (once per conflict, then through)", got, want)
	}
	stored, err := store.IdentityByOpenID(ctx, "wxapp", "contended")
	if err != nil || stored.ID != ident.ID || stored.SessionKeySealed != "sealed" {
		t.Fatalf("stored identity %+v, %v; upsert returned id %d", stored, err, ident.ID)
	}
}

// TestUpsertDoesNotRetryOtherErrors: an error that is not a lost conflict — TiDB's 1105 carries
// many — is answered at once.
func TestUpsertDoesNotRetryOtherErrors(t *testing.T) {
	db, faults := openFaulty(t)
	store := models.NewStore(db)
	other := &gomysql.MySQLError{Number: 1105, Message: "runtime error: index out of range"}
	faults.answer("INSERT INTO `wechat_identities`", other)
	_, err := store.UpsertIdentity(context.Background(), "wxapp", "broken", "", "sealed", time.Now().UTC())
	var me *gomysql.MySQLError
	if !errors.As(err, &me) || me.Message != other.Message {
		t.Fatalf("upsert answered %v, want the database's error", err)
	}
	if n := faults.attempts(); n != 1 {
		t.Fatalf("upsert ran %d times, want 1", n)
	}
}

// TestTransactionRetriesTiDBConflicts: inside a transaction the upsert does not retry on its own
// (the whole transaction was rolled back); the transaction runs again instead.
func TestTransactionRetriesTiDBConflicts(t *testing.T) {
	db, faults := openFaulty(t)
	store := models.NewStore(db)
	ctx := context.Background()
	faults.answer("INSERT INTO `wechat_identities`", tidbConflicts[0], tidbConflicts[1])
	runs := 0
	err := store.Transaction(ctx, func(tx *models.Store) error {
		runs++
		_, err := tx.UpsertIdentity(ctx, "wxapp", "in-tx", "", "sealed", time.Now().UTC())
		return err
	})
	if err != nil || runs != 3 {
		t.Fatalf("transaction ran %d times and answered %v, want 3 runs and success", runs, err)
	}
	if _, err := store.IdentityByOpenID(ctx, "wxapp", "in-tx"); err != nil {
		t.Fatalf("identity not stored: %v", err)
	}
}

// openFaulty opens a migrated throwaway MySQL database through a driver that can answer chosen
// statements with chosen errors, configured as models.Open configures its connections.
func openFaulty(t *testing.T) (*gorm.DB, *faults) {
	t.Helper()
	tdb := modelstest.Open(t, models.DriverMySQL)
	dsn, err := models.MySQLDSN(tdb.DSN)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	inner, err := gomysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f := &faults{}
	sqlDB := sql.OpenDB(faultyConnector{Connector: inner, faults: f})
	t.Cleanup(func() { sqlDB.Close() })
	db, err := gorm.Open(mysql.New(mysql.Config{Conn: sqlDB}), &gorm.Config{TranslateError: true, SkipDefaultTransaction: true})
	if err != nil {
		t.Fatal(err)
	}
	return db, f
}

// faults answers statements that start with prefix with the queued errors, one per statement,
// then lets them through, counting every statement that matched.
type faults struct {
	mu      sync.Mutex
	prefix  string
	queue   []*gomysql.MySQLError
	matched int
}

func (f *faults) answer(prefix string, errs ...*gomysql.MySQLError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.prefix, f.queue, f.matched = prefix, errs, 0
}

func (f *faults) attempts() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.matched
}

func (f *faults) check(query string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.prefix == "" || !strings.HasPrefix(query, f.prefix) {
		return nil
	}
	f.matched++
	if len(f.queue) == 0 {
		return nil
	}
	err := f.queue[0]
	f.queue = f.queue[1:]
	return err
}

type faultyConnector struct {
	driver.Connector
	faults *faults
}

func (c faultyConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &faultyConn{Conn: conn, faults: c.faults}, nil
}

// faultyConn passes everything to the MySQL driver's connection, except the faults.
type faultyConn struct {
	driver.Conn
	faults *faults
}

func (c *faultyConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if err := c.faults.check(query); err != nil {
		return nil, err
	}
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
}

func (c *faultyConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if err := c.faults.check(query); err != nil {
		return nil, err
	}
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
}

func (c *faultyConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if err := c.faults.check(query); err != nil {
		return nil, err
	}
	return c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
}

func (c *faultyConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *faultyConn) Ping(ctx context.Context) error { return c.Conn.(driver.Pinger).Ping(ctx) }

func (c *faultyConn) ResetSession(ctx context.Context) error {
	return c.Conn.(driver.SessionResetter).ResetSession(ctx)
}

func (c *faultyConn) IsValid() bool { return c.Conn.(driver.Validator).IsValid() }

func (c *faultyConn) CheckNamedValue(nv *driver.NamedValue) error {
	return c.Conn.(driver.NamedValueChecker).CheckNamedValue(nv)
}
