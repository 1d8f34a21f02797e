package server

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"

	_ "modernc.org/sqlite" // pure-Go SQLite driver: no cgo for the server
)

// store is the server's SQLite database: accounts, their tokens and call records.
// Its methods are safe for concurrent use.
type store struct {
	db        *sql.DB
	pageLimit func() int64 // nil but in tests; see storeOptions
}

// storeOptions tune openStoreWith.
type storeOptions struct {
	// busyTimeout is how long a statement waits for a lock held by another
	// connection (another program, a backup) before failing with SQLITE_BUSY.
	busyTimeout time.Duration
	// pageLimit, when set, caps the database at that many pages for every
	// write: writes that need more fail with SQLITE_FULL, as on a full disk.
	pageLimit func() int64
}

const schema = `
CREATE TABLE IF NOT EXISTS accounts (
	name       TEXT PRIMARY KEY,
	token_hash BLOB,             -- unused: tokens moved to the tokens table (store_tokens.go)
	created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	cid         TEXT NOT NULL UNIQUE,
	caller      TEXT NOT NULL,
	callee      TEXT NOT NULL,
	type        INTEGER NOT NULL,
	status      INTEGER NOT NULL,
	created_at  INTEGER NOT NULL,
	answered_at INTEGER NOT NULL,
	ended_at    INTEGER NOT NULL,
	duration    INTEGER NOT NULL,
	ended_by    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_caller ON records(caller, seq);
CREATE INDEX IF NOT EXISTS records_callee ON records(callee, seq);
`

func openStore(path string) (*store, error) {
	return openStoreWith(path, storeOptions{busyTimeout: 5 * time.Second})
}

func openStoreWith(path string, opts storeOptions) (*store, error) {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", opts.busyTimeout.Milliseconds()))
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if _, err := db.Exec(schema + openCallsSchema + tokenSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("create schema in %s: %w", path, describeDBError(err))
	}
	if err := migrateTokens(context.Background(), db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, describeDBError(err))
	}
	return &store{db: db, pageLimit: opts.pageLimit}, nil
}

// exec runs one write. Under a page limit it runs on one connection after
// setting the limit there, since SQLite's max_page_count is per connection.
func (s *store) exec(ctx context.Context, query string, args ...any) error {
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

func (s *store) close() error { return s.db.Close() }

func (s *store) accountExists(ctx context.Context, name string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT EXISTS(SELECT 1 FROM accounts WHERE name = ?)`, name).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look up account %s: %w", name, err)
	}
	return n == 1, nil
}

// ensureAccount registers a name seen on an open server so others can call it.
func (s *store) ensureAccount(ctx context.Context, name string, now int64) error {
	err := s.exec(ctx,
		`INSERT INTO accounts(name, token_hash, created_at) VALUES(?, NULL, ?) ON CONFLICT(name) DO NOTHING`, name, now)
	if err != nil {
		return fmt.Errorf("register account %s: %w", name, describeDBError(err))
	}
	return nil
}

func (s *store) accountNames(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name FROM accounts ORDER BY name`)
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
