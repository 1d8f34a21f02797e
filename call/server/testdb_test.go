package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"duet/internal/pgtest"
)

// TestDBEnv picks the engine the server tests keep their data in: unset
// (SQLite, a file per test) or "postgres" (a schema per test in one
// PostgreSQL the tests start). `make test` runs the package both ways.
const TestDBEnv = "DUET_TEST_DB"

var (
	testPostgres *pgtest.Server // set by StartTestDatabase when TestDBEnv says postgres
	testSchemas  atomic.Int64
)

// StartTestDatabase starts the PostgreSQL of a postgres run; stop ends it.
func StartTestDatabase() (stop func(), err error) {
	switch engine := os.Getenv(TestDBEnv); engine {
	case "", "sqlite":
		return func() {}, nil
	case "postgres":
		s, err := pgtest.Start()
		if err != nil {
			return nil, fmt.Errorf("%s=postgres: %w", TestDBEnv, err)
		}
		testPostgres = s
		return func() { s.Close() }, nil
	default:
		return nil, fmt.Errorf("%s=%q: want sqlite or postgres", TestDBEnv, engine)
	}
}

// OnPostgres reports whether this run keeps the tests' data in PostgreSQL.
func OnPostgres() bool { return testPostgres != nil }

// NewTestDB returns a fresh, empty database for one test: a SQLite file in
// the test's directory, or a new schema of the run's PostgreSQL.
func NewTestDB(tb testing.TB) string {
	tb.Helper()
	if testPostgres == nil {
		return filepath.Join(tb.TempDir(), "duet.db")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url, err := testPostgres.CreateSchema(ctx, fmt.Sprintf("t%d", testSchemas.Add(1)))
	if err != nil {
		tb.Fatal(err)
	}
	return url
}

// SkipOnPostgres skips a test of something only SQLite has.
func SkipOnPostgres(tb testing.TB, what string) {
	tb.Helper()
	if OnPostgres() {
		tb.Skip("SQLite only: " + what)
	}
}

// OwnPostgres starts a PostgreSQL for one test that stops and starts it.
// Skipped without PostgreSQL installed, unless CI is set.
func OwnPostgres(tb testing.TB) *pgtest.Server {
	tb.Helper()
	s, err := pgtest.Start()
	if errors.Is(err, pgtest.ErrNotInstalled) && os.Getenv("CI") == "" {
		tb.Skip(err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}
