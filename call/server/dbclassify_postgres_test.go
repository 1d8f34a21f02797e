package server

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"
)

// TestClassifyRealPostgresErrors makes PostgreSQL fail for real in each way
// the server tells apart, and checks the fault and the advice it gets.
func TestClassifyRealPostgresErrors(t *testing.T) {
	pg := OwnPostgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url, err := pg.CreateSchema(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	open := func(t *testing.T, source string, busy time.Duration) *store {
		s, err := openStoreWith(source, storeOptions{busyTimeout: busy})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.close() })
		return s
	}
	insert := func(s *store, cid string) error {
		_, err := s.insertRecord(ctx, recordFor(cid))
		return err
	}
	for _, tc := range []struct {
		name   string
		fail   func(t *testing.T) error
		fault  dbFault
		advice string
	}{
		{"locked by another session", func(t *testing.T) error {
			s := open(t, url, 50*time.Millisecond)
			other, err := sql.Open("pgx", url)
			if err != nil {
				return err
			}
			defer other.Close()
			conn, err := other.Conn(ctx)
			if err != nil {
				return err
			}
			defer conn.Close()
			if _, err := conn.ExecContext(ctx, `BEGIN; LOCK TABLE records IN EXCLUSIVE MODE`); err != nil {
				return err
			}
			defer conn.ExecContext(ctx, "ROLLBACK")
			return insert(s, "busy")
		}, faultBusy, "locked by another program"},
		{"read-only", func(t *testing.T) error {
			open(t, url, 0)
			return insert(open(t, url+"&default_transaction_read_only=on", 0), "ro")
		}, faultReadOnly, "not a standby"},
		{"statement timeout", func(t *testing.T) error {
			// Long enough for opening (its schema check) on a loaded
			// machine, far shorter than the sleep.
			s := open(t, url+"&statement_timeout=500", 0)
			return s.exec(ctx, `SELECT pg_sleep(5)`)
		}, faultTimeout, "did not answer in time"},
		{"no such database", func(t *testing.T) error {
			_, err := openStore(pg.URL("nosuchdb", ""))
			return err
		}, faultCantOpen, "database name in the --db URL"},
		{"server stopped", func(t *testing.T) error {
			s := open(t, url, 0)
			if err := pg.Stop(); err != nil {
				return err
			}
			defer pg.Restart()
			return insert(s, "down")
		}, faultUnreachable, "cannot be reached"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.fail(t)
			if err == nil {
				t.Fatal("did not fail")
			}
			if got := classifyDB(err); got != tc.fault {
				t.Fatalf("%v: classified %s, want %s", err, got, tc.fault)
			}
			if d := describeDBError(err); !strings.Contains(d.Error(), tc.advice) {
				t.Fatalf("described as %q; want advice %q", d, tc.advice)
			}
		})
	}
}

// TestPostgresPasswordIsNotLogged: errors name the database without the
// password of its URL.
func TestPostgresPasswordIsNotLogged(t *testing.T) {
	_, err := openStore("postgres://duet:s3cret@127.0.0.1:1/duet?connect_timeout=1")
	if err == nil {
		t.Fatal("opened a database on port 1")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("the password is in the error: %v", err)
	}
}
