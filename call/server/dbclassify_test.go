package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"modernc.org/sqlite"

	"duet/call/proto"
)

func TestDBFaultNames(t *testing.T) {
	seen := map[string]bool{}
	for f := faultUnknown; f <= faultUnreachable; f++ {
		name := f.String()
		if name == "" || seen[name] || (f != faultUnknown && name == "unknown") {
			t.Errorf("fault %d: name %q is empty or not unique", int(f), name)
		}
		seen[name] = true
		if f.advice() == "" || f.forUsers() == "" {
			t.Errorf("%s: no advice or user text", f)
		}
	}
	if got := dbFault(99).String(); got != "unknown" {
		t.Errorf("out of range fault: %q", got)
	}
}

// TestClassifyRealSQLiteErrors makes SQLite fail for real in each way the
// server tells apart, and checks the fault and the advice it gets.
func TestClassifyRealSQLiteErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dir := t.TempDir()
	insert := func(s *store, cid string) error {
		_, err := s.insertRecord(ctx, recordFor(cid))
		return err
	}

	busy := func() error {
		path := filepath.Join(dir, "busy.db")
		s := openTestStore(t, path, storeOptions{busyTimeout: 50 * time.Millisecond})
		other, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			return err
		}
		defer other.Close()
		conn, err := other.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
			return err
		}
		defer conn.ExecContext(ctx, "ROLLBACK")
		return insert(s, "busy")
	}
	full := func() error {
		s := openTestStore(t, filepath.Join(dir, "full.db"), storeOptions{pageLimit: func() int64 { return 1 }})
		for i := range 1000 {
			if err := insert(s, fmt.Sprintf("full%04d", i)); err != nil {
				return err
			}
		}
		return errors.New("1000 records fit")
	}
	readOnly := func() error {
		path := filepath.Join(dir, "ro.db")
		openTestStore(t, path, storeOptions{})
		db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
		if err != nil {
			return err
		}
		defer db.Close()
		return insert(&store{db: db, dialect: sqliteDialect{}}, "ro")
	}
	corrupt := func() error {
		path := filepath.Join(dir, "corrupt.db")
		if err := os.WriteFile(path, []byte(strings.Repeat("not a database ", 300)), 0o600); err != nil {
			return err
		}
		_, err := openStoreWith(path, storeOptions{})
		return err
	}
	cantOpen := func() error {
		_, err := openStoreWith(filepath.Join(dir, "no", "such", "dir", "x.db"), storeOptions{})
		return err
	}
	timeout := func() error {
		s := openTestStore(t, filepath.Join(dir, "timeout.db"), storeOptions{})
		c, cancel := context.WithTimeout(ctx, time.Nanosecond)
		defer cancel()
		time.Sleep(time.Millisecond)
		_, err := s.insertRecord(c, recordFor("late"))
		return err
	}
	syntax := func() error {
		s := openTestStore(t, filepath.Join(dir, "syntax.db"), storeOptions{})
		return s.exec(ctx, "INSERT INTO nowhere VALUES (1)")
	}

	for _, tc := range []struct {
		name   string
		fail   func() error
		fault  dbFault
		advice string
	}{
		{"locked by another connection", busy, faultBusy, "end that transaction"},
		{"over the page limit", full, faultFull, "free disk space"},
		{"read-only file", readOnly, faultReadOnly, "writable"},
		{"not a database", corrupt, faultCorrupt, "restore a backup"},
		{"missing directory", cantOpen, faultCantOpen, "check the --db path"},
		{"deadline", timeout, faultTimeout, "did not answer in time"},
		{"bad SQL", syntax, faultUnknown, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.fail()
			if err == nil {
				t.Fatal("did not fail")
			}
			if got := classifyDB(err); got != tc.fault {
				t.Fatalf("%v: classified %s, want %s", err, got, tc.fault)
			}
			described := describeDBError(err)
			if tc.fault == faultUnknown {
				if described != err {
					t.Fatalf("an unknown fault was rewritten: %v", described)
				}
				return
			}
			if !strings.Contains(described.Error(), tc.advice) || !strings.Contains(described.Error(), err.Error()) {
				t.Fatalf("described as %q; want the error and advice %q", described, tc.advice)
			}
			// Wrapping again changes nothing and keeps the cause reachable.
			if again := describeDBError(fmt.Errorf("outer: %w", described)); again.Error() != "outer: "+described.Error() {
				t.Fatalf("described twice: %v", again)
			}
			var se *sqlite.Error
			if tc.fault != faultTimeout && !errors.As(described, &se) {
				t.Fatalf("%v: the SQLite error is not reachable", described)
			}
		})
	}
	if describeDBError(nil) != nil {
		t.Fatal("describeDBError(nil) is not nil")
	}
}

func openTestStore(t *testing.T, path string, opts storeOptions) *store {
	t.Helper()
	s, err := openStoreWith(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.close() })
	return s
}

func recordFor(cid string) proto.CallRecord {
	return proto.CallRecord{CID: cid, Caller: "alice", Callee: "bob", Type: proto.CallTypeVideo,
		Status: proto.StatusCompleted, CreatedAt: 1, AnsweredAt: 2, EndedAt: 3, Duration: 1}
}
