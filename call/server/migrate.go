package server

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migrate brings the schema to the newest version this server knows, one
// transaction for all steps, and refuses a database a newer server made.
// A database already up to date is only read, so a server still starts
// where writes fail for now (a standby, a full disk) and says why when it
// writes.
func migrate(ctx context.Context, db *sql.DB, d dialect) error {
	steps := d.migrations()
	var current int
	err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current)
	if err == nil && current == len(steps) {
		return nil
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate schema: %w", err)
	}
	defer tx.Rollback()
	if err := d.lockMigrations(ctx, tx); err != nil {
		return fmt.Errorf("migrate schema: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate schema: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > len(steps) {
		return fmt.Errorf("the database's schema is version %d, newer than this server's %d: run a newer duet", current, len(steps))
	}
	for v := current + 1; v <= len(steps); v++ {
		if err := steps[v-1](ctx, tx); err != nil {
			return fmt.Errorf("migrate schema to version %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, d.bind(`INSERT INTO schema_migrations(version, applied_at) VALUES(?, ?)`),
			v, time.Now().UnixMilli()); err != nil {
			return fmt.Errorf("migrate schema to version %d: %w", v, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate schema: %w", err)
	}
	return nil
}
