package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"

	_ "modernc.org/sqlite" // pure-Go SQLite driver: no cgo for the server
)

// store is the server's SQLite database: accounts and call records.
// Its methods are safe for concurrent use.
type store struct {
	db *sql.DB
}

const schema = `
CREATE TABLE IF NOT EXISTS accounts (
	name       TEXT PRIMARY KEY,
	token_hash BLOB,             -- NULL for accounts that signed in on an open server
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
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if _, err := db.Exec(schema + openCallsSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("create schema in %s: %w", path, err)
	}
	return &store{db: db}, nil
}

func (s *store) close() error { return s.db.Close() }

// errNoAccount is returned by accountHash for names never added.
var errNoAccount = errors.New("no such account")

// accountHash returns the stored token hash; nil for an account created on an open server.
func (s *store) accountHash(ctx context.Context, name string) ([]byte, error) {
	var hash []byte
	err := s.db.QueryRowContext(ctx, `SELECT token_hash FROM accounts WHERE name = ?`, name).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoAccount
	}
	if err != nil {
		return nil, fmt.Errorf("look up account %s: %w", name, err)
	}
	return hash, nil
}

func (s *store) accountExists(ctx context.Context, name string) (bool, error) {
	_, err := s.accountHash(ctx, name)
	if errors.Is(err, errNoAccount) {
		return false, nil
	}
	return err == nil, err
}

// ensureAccount registers a name seen on an open server so others can call it.
func (s *store) ensureAccount(ctx context.Context, name string, now int64) error {
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO accounts(name, token_hash, created_at) VALUES(?, NULL, ?) ON CONFLICT(name) DO NOTHING`, name, now)
	if err != nil {
		return fmt.Errorf("register account %s: %w", name, err)
	}
	return nil
}

// setAccountToken creates the account or replaces its token.
func (s *store) setAccountToken(ctx context.Context, name string, hash []byte, now int64) error {
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO accounts(name, token_hash, created_at) VALUES(?, ?, ?)
		 ON CONFLICT(name) DO UPDATE SET token_hash = excluded.token_hash`, name, hash, now)
	if err != nil {
		return fmt.Errorf("store token for %s: %w", name, err)
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
