package server

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// dialect is what differs between the database engines the server can
// keep its data in: SQLite (one file, the default) and PostgreSQL (for a
// cluster of servers). The queries themselves are written once, in the SQL
// both accept, with ? placeholders.
type dialect interface {
	String() string
	// bind rewrites a query's ? placeholders into the engine's own.
	bind(query string) string
	// migrations are the schema's versions in order: step i makes version i+1.
	migrations() []migrationStep
	// lockMigrations keeps two servers opening one database at once from
	// migrating it both; it runs first in the migration's transaction.
	lockMigrations(ctx context.Context, tx *sql.Tx) error
	// recordStatement is one statement that inserts a call's record (the
	// first for its cid wins), clears the call's open state and returns
	// the record's seq, taking seqs in the order concurrent servers commit
	// so that seq keeps the order calls ended in; "" where it takes a
	// transaction of several (insertRecord). Its arguments are the lock,
	// the record's columns (recordArgs), then the cid twice.
	recordStatement() string
	// nextRevocation is the expression for the next token revocation number.
	nextRevocation() string
}

// migrationStep changes the schema from one version to the next inside the
// migration's transaction.
type migrationStep func(ctx context.Context, tx *sql.Tx) error

// statements is a step that runs fixed SQL.
func statements(q string) migrationStep {
	return func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, q)
		return err
	}
}

// numberedPlaceholders turns ? into $1, $2… Our queries never hold a ?
// inside a string literal.
func numberedPlaceholders(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] != '?' {
			b.WriteByte(q[i])
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}
