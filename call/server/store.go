package server

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL, for servers sharing one database
	_ "modernc.org/sqlite"             // pure-Go SQLite driver: no cgo for the server
)

// store is the server's database: accounts, their tokens and call records,
// in SQLite or PostgreSQL (see dialect). Its methods are safe for
// concurrent use.
type store struct {
	db        *sql.DB
	dialect   dialect
	pageLimit func() int64 // nil but in tests; see storeOptions
	observe   func(query string, start time.Time, err error)
	// known holds names seen to exist. Accounts are never deleted, so a
	// call to a known name needs no database read: calls between signed-in
	// people go on while a PostgreSQL server restarts.
	known sync.Map // account name → struct{}
}

// storeOptions tune openStoreWith.
type storeOptions struct {
	// busyTimeout is how long a statement waits for a lock held by another
	// connection (another program, a backup) before failing: SQLite's busy
	// timeout, PostgreSQL's lock_timeout.
	busyTimeout time.Duration
	// observe, when set, is told how long each statement took and how it
	// failed.
	observe func(query string, start time.Time, err error)
	// pageLimit, when set, caps a SQLite database at that many pages for
	// every write: writes that need more fail with SQLITE_FULL, as on a full
	// disk.
	pageLimit func() int64
}

// postgresConns bounds one server's connections to a shared PostgreSQL:
// the recorder writes one record at a time and reads are short, so a few
// are plenty, and a cluster's nodes stay well under max_connections.
const postgresConns = 16

func openStore(source string) (*store, error) {
	return openStoreWith(source, storeOptions{busyTimeout: 5 * time.Second})
}

// DBFile returns the SQLite file a database source names, and false for a
// PostgreSQL URL.
func DBFile(source string) (string, bool) {
	if isPostgres(source) {
		return "", false
	}
	return strings.TrimPrefix(source, "sqlite:"), true
}

// RedactDB is source fit for logs and messages: without a URL's password.
func RedactDB(source string) string { return redactSource(source) }

// isPostgres tells a PostgreSQL URL from a SQLite path.
func isPostgres(source string) bool {
	return strings.HasPrefix(source, "postgres://") || strings.HasPrefix(source, "postgresql://")
}

// openStoreWith opens the database named by source: a postgres:// URL, or
// a SQLite file as sqlite:PATH or a plain path.
func openStoreWith(source string, opts storeOptions) (*store, error) {
	var s *store
	var err error
	if isPostgres(source) {
		s, err = openPostgres(source, opts)
	} else {
		s, err = openSQLite(strings.TrimPrefix(source, "sqlite:"), opts)
	}
	if err != nil {
		return nil, err
	}
	if err := migrate(context.Background(), s.db, s.dialect); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("open database %s: %w", redactSource(source), describeDBError(err))
	}
	return s, nil
}

func openSQLite(path string, opts storeOptions) (*store, error) {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", opts.busyTimeout.Milliseconds()))
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	// A transaction takes the write lock when it begins, so two processes
	// migrating one file at once wait for each other instead of failing.
	q.Add("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return &store{db: db, dialect: sqliteDialect{}, pageLimit: opts.pageLimit, observe: opts.observe}, nil
}

func openPostgres(source string, opts storeOptions) (*store, error) {
	db, err := sql.Open("pgx", withLockTimeout(source, opts.busyTimeout))
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", redactSource(source), err)
	}
	db.SetMaxOpenConns(postgresConns)
	db.SetMaxIdleConns(postgresConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return &store{db: db, dialect: postgresDialect{}, observe: opts.observe}, nil
}

// withLockTimeout makes a statement that waits for another session's lock
// fail after d, as SQLite's busy timeout does, unless the URL sets its own.
func withLockTimeout(source string, d time.Duration) string {
	u, err := url.Parse(source)
	if err != nil || d <= 0 || u.Query().Has("lock_timeout") {
		return source
	}
	q := u.Query()
	q.Set("lock_timeout", strconv.FormatInt(d.Milliseconds(), 10))
	u.RawQuery = q.Encode()
	return u.String()
}

// redactSource hides a URL's password from logs and errors.
func redactSource(source string) string {
	u, err := url.Parse(source)
	if err != nil || u.User == nil {
		return source
	}
	return u.Redacted()
}

// queryRow, query and tx.exec bind the query's placeholders for the engine.
func (s *store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	start := time.Now()
	row := s.db.QueryRowContext(ctx, s.dialect.bind(query), args...)
	s.observed(query, start, row.Err())
	return row
}

func (s *store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	start := time.Now()
	rows, err := s.db.QueryContext(ctx, s.dialect.bind(query), args...)
	s.observed(query, start, err)
	return rows, err
}

func (s *store) observed(query string, start time.Time, err error) {
	if s.observe != nil {
		s.observe(query, start, err)
	}
}

// exec runs one write, timed.
func (s *store) exec(ctx context.Context, query string, args ...any) error {
	start := time.Now()
	err := s.execUntimed(ctx, s.dialect.bind(query), args...)
	s.observed(query, start, err)
	return err
}

// execUntimed runs one write. Under a page limit it runs on one connection
// after setting the limit there, since SQLite's max_page_count is per
// connection.
func (s *store) execUntimed(ctx context.Context, query string, args ...any) error {
	if s.pageLimit == nil {
		_, err := s.db.ExecContext(ctx, query, args...)
		return err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", s.pageLimit())); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, query, args...)
	return err
}

// boundTx is a transaction that binds placeholders like the store does.
type boundTx struct {
	*sql.Tx
	dialect dialect
}

// begin starts a transaction, under the page limit when there is one.
func (s *store) begin(ctx context.Context) (boundTx, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return boundTx{}, err
	}
	if s.pageLimit != nil {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", s.pageLimit())); err != nil {
			tx.Rollback()
			return boundTx{}, err
		}
	}
	return boundTx{Tx: tx, dialect: s.dialect}, nil
}

func (tx boundTx) exec(ctx context.Context, query string, args ...any) error {
	_, err := tx.ExecContext(ctx, tx.dialect.bind(query), args...)
	return err
}

func (tx boundTx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return tx.QueryRowContext(ctx, tx.dialect.bind(query), args...)
}

func (s *store) close() error { return s.db.Close() }

func (s *store) accountExists(ctx context.Context, name string) (bool, error) {
	if _, ok := s.known.Load(name); ok {
		return true, nil
	}
	var exists bool
	err := s.queryRow(ctx, `SELECT EXISTS(SELECT 1 FROM accounts WHERE name = ?)`, name).Scan(&exists)
	if err != nil {
		return false, fmt.Errorf("look up account %s: %w", name, err)
	}
	if exists {
		s.sawAccount(name)
	}
	return exists, nil
}

// sawAccount notes that name exists: it was found, registered, or has a
// device signed in on another node of a cluster (a device signs in only
// to an account that exists), so a call to it reads nothing.
func (s *store) sawAccount(name string) {
	s.known.Store(name, struct{}{})
}

// ensureAccount registers a name seen on an open server so others can call it.
func (s *store) ensureAccount(ctx context.Context, name string, now int64) error {
	err := s.exec(ctx,
		`INSERT INTO accounts(name, created_at) VALUES(?, ?) ON CONFLICT(name) DO NOTHING`, name, now)
	if err != nil {
		return fmt.Errorf("register account %s: %w", name, describeDBError(err))
	}
	s.sawAccount(name)
	return nil
}

func (s *store) accountNames(ctx context.Context) ([]string, error) {
	rows, err := s.query(ctx, `SELECT name FROM accounts ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list accounts: %w", err)
		}
		names = append(names, n)
	}
	return names, rows.Err()
}
