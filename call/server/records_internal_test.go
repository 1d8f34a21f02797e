package server

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"duet/call/proto"
)

// TestRecordClearsItsOpenCall, on both engines: a call's record clears
// the call's open state in the same write; writing it again keeps the
// first record and its seq; seqs follow the order of the writes.
func TestRecordClearsItsOpenCall(t *testing.T) {
	engines := []struct {
		name string
		open func(t *testing.T) *store
	}{
		{"sqlite", func(t *testing.T) *store {
			return openTestStore(t, filepath.Join(t.TempDir(), "duet.db"), storeOptions{})
		}},
		{"postgres", func(t *testing.T) *store {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			url, err := OwnPostgres(t).CreateSchema(ctx, "records")
			if err != nil {
				t.Fatal(err)
			}
			s, err := openStoreWith(url, storeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.close() })
			return s
		}},
	}
	for _, engine := range engines {
		t.Run(engine.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := engine.open(t)
			for _, cid := range []string{"first", "second"} {
				if err := s.saveOpenCall(ctx, openCall{CID: cid, Caller: openParty{Account: "alice"}, Callee: openParty{Account: "bob"}}, 1); err != nil {
					t.Fatal(err)
				}
			}
			openCIDs := func() []string {
				calls, err := s.openCalls(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var cids []string
				for _, o := range calls {
					cids = append(cids, o.CID)
				}
				return cids
			}
			first, err := s.insertRecord(ctx, recordFor("first"))
			if err != nil {
				t.Fatal(err)
			}
			if got := openCIDs(); len(got) != 1 || got[0] != "second" {
				t.Errorf("open calls after the first record: %q, want [second]", got)
			}
			again := recordFor("first")
			again.Status = proto.StatusRejected
			if seq, err := s.insertRecord(ctx, again); err != nil || seq != first {
				t.Errorf("the first record written again: seq %d, %v; want %d", seq, err, first)
			}
			second, err := s.insertRecord(ctx, recordFor("second"))
			if err != nil || second <= first {
				t.Errorf("the second record: seq %d, %v; want after %d", second, err, first)
			}
			if got := openCIDs(); len(got) != 0 {
				t.Errorf("open calls after both records: %q", got)
			}
			page, err := s.history(ctx, "alice", 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Records) != 2 || page.Records[1].Status != proto.StatusCompleted {
				t.Errorf("history: %+v, want two records, the first as first written", page.Records)
			}
		})
	}
}

// TestStatementKind labels statements for the database metrics.
func TestStatementKind(t *testing.T) {
	for q, want := range map[string]string{
		"SELECT seq FROM records":              "select",
		"\n\tINSERT INTO records VALUES (?)":   "insert",
		postgresDialect{}.recordStatement():    "insert",
		"WITH x AS (SELECT 1) SELECT * FROM x": "select",
		"PRAGMA max_page_count = 10":           "other",
		"":                                     "other",
		"with gone AS (DELETE FROM t RETURNING 1) TABLE gone": "delete",
	} {
		if got := statementKind(q); got != want {
			t.Errorf("statementKind(%q) = %q, want %q", q, got, want)
		}
	}
}
