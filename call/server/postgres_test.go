package server_test

import (
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"duet/call/proto"
	"duet/call/server"
)

// TestPostgresGoesAway: the PostgreSQL server stops in the middle of a
// working day. Calls between people already signed in go on, their
// records wait in memory, history says the database cannot be reached,
// and when PostgreSQL is back the records land once each, in order.
func TestPostgresGoesAway(t *testing.T) {
	pg := server.OwnPostgres(t)
	logs := newLogSink()
	e := newEnv(t, func(c *server.Config) {
		c.DB = pg.URL("postgres", "")
		c.Open = true
		c.RecordRetry = 50 * time.Millisecond
		c.Logger = logs.logger()
	})
	// Before the leak check: the restarted PostgreSQL is this test's own.
	t.Cleanup(func() { e.stop(); pg.Close() })
	alice, bob, carol := e.dial("alice", "a1"), e.dial("bob", "b1"), e.dial("carol", "c1")
	first := answered(t, alice, bob)
	waitRecord(t, bob, first)

	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	completed := answered(t, alice, bob)
	rejected := placeCall(t, carol, "bob", proto.CallTypeVideo, bob)
	if err := bob.Response(ctx(t), rejected, false); err != nil {
		t.Fatal(err)
	}
	expect[*proto.CallRejected](t, carol)
	waiting := []string{completed, rejected}

	_, err := bob.History(ctx(t), 0, 0)
	wantCode(t, err, proto.CodeUnavailable)
	if !strings.Contains(err.Error(), "cannot reach its database") || !strings.Contains(err.Error(), "none is lost") {
		t.Fatalf("history while PostgreSQL is down: %v", err)
	}
	logs.wait(t, slog.LevelError, "cannot write call records", "fault", "unreachable", "err", "cannot be reached")
	// A new name cannot be registered without the database; it is told so.
	wantCode(t, dialErr(e, "zoe", ""), proto.CodeUnavailable)
	noRecords(t, bob)

	if err := pg.Restart(); err != nil {
		t.Fatal(err)
	}
	logs.wait(t, slog.LevelInfo, "call records are being written again")
	recordsInOrder(t, bob, waiting)
	recordsInOrder(t, alice, []string{completed})
	all := historyCIDs(t, bob)
	wantEqual(t, "bob's history", all, []string{first, completed, rejected})
	if dialErr(e, "zoe", "") != nil {
		t.Fatal("zoe cannot sign in once PostgreSQL is back")
	}
	if slices.Contains(all[1:], first) {
		t.Fatal("a record was written twice")
	}
}
