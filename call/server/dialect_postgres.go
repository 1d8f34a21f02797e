package server

import (
	"context"
	"database/sql"
)

// postgresDialect keeps the data in a PostgreSQL database that several
// servers share. Times are milliseconds, so BIGINT throughout.
type postgresDialect struct{}

// Advisory lock keys of the server's own: arbitrary, fixed numbers.
const (
	migrationLock = 0x6475_6574_0001 // "duet" 1
	recordLock    = 0x6475_6574_0002
)

func (postgresDialect) String() string           { return "postgres" }
func (postgresDialect) bind(query string) string { return numberedPlaceholders(query) }

func (postgresDialect) lockMigrations(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock)
	return err
}

// recordStatement: one round trip for what a transaction takes six
// (begin, lock, insert, commit, read back, clear). A sequence hands out
// numbers at insert, not at commit, so the insert waits for the lock,
// held to the statement's commit: two servers' records could otherwise
// commit out of seq order, and a client paging history with `before`
// would never see the one that came in late. A cid already recorded
// returns the first record's seq.
func (postgresDialect) recordStatement() string {
	return `WITH serialized AS (SELECT pg_advisory_xact_lock(?)),
	inserted AS (
		INSERT INTO records (cid, caller, callee, type, status, created_at, answered_at, ended_at, duration, ended_by)
		SELECT ?::text, ?::text, ?::text, ?::integer, ?::integer, ?::bigint, ?::bigint, ?::bigint, ?::bigint, ?::text
		FROM serialized
		ON CONFLICT(cid) DO NOTHING RETURNING seq),
	cleared AS (DELETE FROM open_calls WHERE cid = ?)
	SELECT seq FROM inserted UNION ALL SELECT seq FROM records WHERE cid = ?`
}

// nextRevocation: a sequence, since PostgreSQL runs writers concurrently
// and MAX()+1 would hand two of them the same number.
func (postgresDialect) nextRevocation() string { return `nextval('token_revocations')` }

func (postgresDialect) migrations() []migrationStep {
	return []migrationStep{statements(postgresSchemaV1)}
}

const postgresSchemaV1 = `
CREATE TABLE accounts (
	name       TEXT PRIMARY KEY,
	created_at BIGINT NOT NULL
);
CREATE TABLE records (
	seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	cid         TEXT NOT NULL UNIQUE,
	caller      TEXT NOT NULL,
	callee      TEXT NOT NULL,
	type        INTEGER NOT NULL,
	status      INTEGER NOT NULL,
	created_at  BIGINT NOT NULL,
	answered_at BIGINT NOT NULL,
	ended_at    BIGINT NOT NULL,
	duration    BIGINT NOT NULL,
	ended_by    TEXT NOT NULL
);
CREATE INDEX records_caller ON records(caller, seq);
CREATE INDEX records_callee ON records(callee, seq);
CREATE TABLE open_calls (
	cid        TEXT PRIMARY KEY,
	state      TEXT NOT NULL,    -- openCall as JSON
	updated_at BIGINT NOT NULL
);
CREATE TABLE tokens (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	account     TEXT NOT NULL REFERENCES accounts(name),
	label       TEXT NOT NULL DEFAULT '',
	hash        TEXT NOT NULL,               -- PHC string, see tokenhash.go
	bare        SMALLINT NOT NULL DEFAULT 0, -- always 0: PostgreSQL databases start with ids
	created_at  BIGINT NOT NULL,
	revoked_at  BIGINT NOT NULL DEFAULT 0,
	revoked_seq BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX tokens_account ON tokens(account);
CREATE INDEX tokens_revoked ON tokens(revoked_seq) WHERE revoked_seq > 0;
CREATE SEQUENCE token_revocations;
CREATE TABLE secrets (name TEXT PRIMARY KEY, value BYTEA NOT NULL);
`
