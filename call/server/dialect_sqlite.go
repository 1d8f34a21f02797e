package server

import (
	"context"
	"database/sql"
)

// sqliteDialect keeps the data in one file. SQLite runs one writer at a
// time, so nothing needs locking beyond its own.
type sqliteDialect struct{}

func (sqliteDialect) String() string           { return "sqlite" }
func (sqliteDialect) bind(query string) string { return query }

func (sqliteDialect) lockMigrations(context.Context, *sql.Tx) error { return nil }
func (sqliteDialect) recordStatement() string                       { return "" }

func (sqliteDialect) nextRevocation() string {
	return `(SELECT COALESCE(MAX(revoked_seq), 0) + 1 FROM tokens)`
}

// migrations: version 1 is the schema of every database made before the
// schema had versions (CREATE IF NOT EXISTS, so such a file passes through
// it unchanged).
func (sqliteDialect) migrations() []migrationStep {
	return []migrationStep{
		statements(sqliteSchemaV1),
		migrateTokens,
		statements(`CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL)`),
	}
}

const sqliteSchemaV1 = `
CREATE TABLE IF NOT EXISTS accounts (
	name       TEXT PRIMARY KEY,
	token_hash BLOB,             -- unused: tokens moved to the tokens table (version 2)
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
CREATE TABLE IF NOT EXISTS open_calls (
	cid        TEXT PRIMARY KEY,
	state      TEXT NOT NULL,    -- openCall as JSON
	updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	account     TEXT NOT NULL REFERENCES accounts(name),
	label       TEXT NOT NULL DEFAULT '',
	hash        TEXT NOT NULL,              -- PHC string, see tokenhash.go
	bare        INTEGER NOT NULL DEFAULT 0, -- 1: issued without its id (the single token of an old database)
	created_at  INTEGER NOT NULL,
	revoked_at  INTEGER NOT NULL DEFAULT 0,
	revoked_seq INTEGER NOT NULL DEFAULT 0  -- orders revocations, for servers polling the database
);
CREATE INDEX IF NOT EXISTS tokens_account ON tokens(account);
CREATE INDEX IF NOT EXISTS tokens_revoked ON tokens(revoked_seq) WHERE revoked_seq > 0;
`
