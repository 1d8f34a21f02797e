package server_test

import (
	"context"
	"database/sql"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"duet/call"
	"duet/call/proto"
	"duet/call/server"
)

// A locked database and a full disk: calls go on, records wait in memory
// and land in order once the database takes writes again, history says
// plainly that it is unavailable, existing accounts still sign in, and the
// log tells the operator what is wrong and what to do.

// lockDB holds a lock on the database from a second connection that keeps
// the server from writing but not from reading, as a backup tool or a
// sqlite3 or psql shell in a transaction would. release (also run at
// cleanup) lets go.
func lockDB(t *testing.T, source string) (release func()) {
	t.Helper()
	driver, dsn, lock := "sqlite", "file:"+source+"?_pragma=busy_timeout(5000)", "BEGIN EXCLUSIVE"
	if server.OnPostgres() {
		driver, dsn, lock = "pgx", source, "BEGIN; LOCK TABLE accounts, tokens, records, open_calls IN EXCLUSIVE MODE"
	}
	// Wait out a write of the server's own under way: only the lock this
	// takes is the fault under test.
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx(t), lock); err != nil {
		t.Fatalf("lock the database: %v", err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
				t.Errorf("unlock the database: %v", err)
			}
			conn.Close()
			db.Close()
		})
	}
	t.Cleanup(release)
	return release
}

// fault is one way the database fails, as the scenario sees it.
type fault struct {
	name      string // the fault attribute of the server's log
	advice    string // part of the log's advice
	userWords string // part of history's unavailable message
	// inject makes writes fail. It may place calls of its own to get
	// there; it returns the cids of those whose records are not written
	// yet, and release, which makes writes work again.
	inject func(t *testing.T) (queued []string, release func())
	// registerFails: signing in a new name on an open server fails while
	// the fault lasts. (A full database may still have room for one more
	// account row.)
	registerFails bool
}

// answered places an answered call from caller to callee, ends it from the
// caller and returns its cid.
func answered(t *testing.T, caller, callee *call.Client) string {
	t.Helper()
	cid := placeCall(t, caller, callee.Account(), proto.CallTypeAudio, callee)
	connect(t, caller, callee, cid)
	if err := caller.Hangup(ctx(t)); err != nil {
		t.Fatal(err)
	}
	expect[*proto.ClientLeave](t, callee)
	expect[*proto.HangupEvent](t, callee)
	return cid
}

// noRecords fails if c got a call record event among the events now waiting.
func noRecords(t *testing.T, c *call.Client) {
	t.Helper()
	timer := time.NewTimer(100 * time.Millisecond)
	defer timer.Stop()
	for {
		select {
		case ev := <-c.Events():
			if r, ok := ev.(*proto.CallRecordEvent); ok {
				t.Fatalf("%s got the record of %s while the database could not be written", c.Account(), r.CID)
			}
		case <-timer.C:
			return
		}
	}
}

// recordsInOrder collects c's record events until it has one for each of
// cids, and checks they came in that order with increasing seq. Records of
// other calls are skipped.
func recordsInOrder(t *testing.T, c *call.Client, cids []string) []proto.CallRecord {
	t.Helper()
	timer := time.NewTimer(testTimeout)
	defer timer.Stop()
	var got []proto.CallRecord
	for len(got) < len(cids) {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatalf("%s: events closed", c.Account())
			}
			if r, ok := ev.(*proto.CallRecordEvent); ok && slices.Contains(cids, r.CID) {
				got = append(got, r.CallRecord)
			}
		case <-timer.C:
			t.Fatalf("%s: %d of %d records within %s", c.Account(), len(got), len(cids), testTimeout)
		}
	}
	for i, r := range got {
		if r.CID != cids[i] {
			t.Fatalf("%s: record %d is of %s, want %s (records out of order)", c.Account(), i, r.CID, cids[i])
		}
		if i > 0 && r.Seq <= got[i-1].Seq {
			t.Fatalf("%s: seq %d after %d", c.Account(), r.Seq, got[i-1].Seq)
		}
	}
	return got
}

// historyCIDs returns the cids of c's whole history, oldest first.
func historyCIDs(t *testing.T, c *call.Client) []string {
	t.Helper()
	var cids []string
	before := int64(0)
	for {
		page, err := c.History(ctx(t), before, proto.MaxHistoryPage)
		if err != nil {
			t.Fatalf("%s: history: %v", c.Account(), err)
		}
		for _, r := range page.Records {
			cids = append(cids, r.CID)
		}
		if page.Next == 0 {
			slices.Reverse(cids)
			return cids
		}
		before = page.Next
	}
}

func dialErr(e *env, account, token string) error {
	c, err := call.Dial(ctx(e.t), call.Config{ServerURL: e.url, Account: account, Token: token, ClientType: proto.ClientBot})
	if err == nil {
		c.Close()
	}
	return err
}

// faultScenario runs calls through a database fault and back.
func faultScenario(t *testing.T, e *env, logs *logSink, f fault) {
	alice, bob, carol := e.dial("alice", "a1"), e.dial("bob", "b1"), e.dial("carol", "c1")
	first := answered(t, alice, bob)
	waitRecord(t, bob, first)

	queued, release := f.inject(t)

	// Calls go on: completed, rejected, cancelled.
	completed := answered(t, alice, bob)
	rejected := placeCall(t, carol, "bob", proto.CallTypeVideo, bob)
	if err := bob.Response(ctx(t), rejected, false); err != nil {
		t.Fatal(err)
	}
	expect[*proto.CallRejected](t, carol)
	cancelled := placeCall(t, alice, "bob", proto.CallTypeAudio, bob)
	if err := alice.Hangup(ctx(t)); err != nil {
		t.Fatal(err)
	}
	expect[*proto.HangupEvent](t, bob)
	waiting := append(queued, completed, rejected, cancelled)

	// History says why it cannot answer; the log says what to do.
	_, err := bob.History(ctx(t), 0, 0)
	wantCode(t, err, proto.CodeUnavailable)
	if !strings.Contains(err.Error(), f.userWords) || !strings.Contains(err.Error(), "none is lost") {
		t.Fatalf("history while %s: %v; want it to say %q and that nothing is lost", f.name, err, f.userWords)
	}
	logs.wait(t, slog.LevelError, "cannot write call records", "fault", f.name, "err", f.advice)

	// Existing accounts sign in; a new name on this open server may not.
	dave := e.dial("dave", "d1")
	if _, err := dave.Contacts(ctx(t)); err != nil {
		t.Fatalf("contacts while %s: %v", f.name, err)
	}
	if err := dialErr(e, "zoe", ""); f.registerFails {
		wantCode(t, err, proto.CodeUnavailable)
	}
	for _, c := range []*call.Client{alice, bob, carol} {
		noRecords(t, c)
	}

	release()
	logs.wait(t, slog.LevelInfo, "call records are being written again")
	// Each party gets its records in the order the calls ended.
	recs := recordsInOrder(t, bob, waiting[len(queued):])
	wantEqual(t, "statuses", []proto.CallStatus{recs[0].Status, recs[1].Status, recs[2].Status},
		[]proto.CallStatus{proto.StatusCompleted, proto.StatusRejected, proto.StatusCancelled})
	recordsInOrder(t, alice, slices.DeleteFunc(slices.Clone(waiting), func(cid string) bool { return cid == rejected }))
	recordsInOrder(t, carol, []string{rejected})

	// Every call is in the history, in the order the calls ended.
	all := historyCIDs(t, bob)
	wantEqual(t, "bob's history ends with", all[slices.Index(all, first):], []string{first, completed, rejected, cancelled})
	if dialErr(e, "zoe", "") != nil {
		t.Fatal("zoe cannot sign in after the fault")
	}
	waitRecord(t, alice, answered(t, alice, bob))
}

func TestLockedDatabase(t *testing.T) {
	logs := newLogSink()
	e := newEnv(t, func(c *server.Config) {
		c.Open = true
		c.DBBusyTimeout = 100 * time.Millisecond
		c.RecordRetry = 50 * time.Millisecond
		c.Logger = logs.logger()
	})
	faultScenario(t, e, logs, fault{name: "busy", advice: "locked by another program",
		userWords: "locked by another program", registerFails: true,
		inject: func(t *testing.T) ([]string, func()) { return nil, lockDB(t, e.cfg.DB) }})
}

func TestFullDisk(t *testing.T) {
	server.SkipOnPostgres(t, "a page limit stands in for a full disk")
	logs := newLogSink()
	var pages atomic.Int64
	pages.Store(1 << 30)
	e := newEnv(t, func(c *server.Config) {
		c.Open = true
		c.RecordRetry = 50 * time.Millisecond
		c.Logger = logs.logger()
		c.Limits.Off = true // the fill below places calls as fast as it can
		server.SetDBPageLimit(c, pages.Load)
	})
	faultScenario(t, e, logs, fault{name: "full", advice: "free disk space", userWords: "its disk is full",
		inject: func(t *testing.T) ([]string, func()) {
			// SQLite will not shrink the cap below the file's size: writes
			// go on into the free space of its pages, then fail.
			pages.Store(1)
			erin, fred := e.dial("alice", "fill-a"), e.dial("dave", "fill-d")
			for range 500 {
				cid := placeCall(t, erin, "dave", proto.CallTypeAudio, fred)
				if err := erin.Hangup(ctx(t)); err != nil {
					t.Fatal(err)
				}
				expect[*proto.HangupEvent](t, fred)
				if _, err := fred.History(ctx(t), 0, 1); err != nil {
					wantCode(t, err, proto.CodeUnavailable)
					erin.Close()
					fred.Close()
					return []string{cid}, func() { pages.Store(1 << 30) }
				}
			}
			t.Fatal("500 records fit in a full database")
			return nil, nil
		}})
}

// TestRecordBacklogBound: at the bound no new call is placed, with a clear
// error, while a call already under way still ends and keeps its record;
// nothing is dropped, and calls are placed again once records are written.
func TestRecordBacklogBound(t *testing.T) {
	logs := newLogSink()
	e := newEnv(t, func(c *server.Config) {
		c.DBBusyTimeout = 100 * time.Millisecond
		c.RecordRetry = 50 * time.Millisecond
		c.RecordBacklog = 3
		c.Logger = logs.logger()
	})
	alice, bob, carol, dave := e.dial("alice", "a1"), e.dial("bob", "b1"), e.dial("carol", "c1"), e.dial("dave", "d1")
	underWay := placeCall(t, carol, "dave", proto.CallTypeVideo, dave)
	connect(t, carol, dave, underWay)

	release := lockDB(t, e.cfg.DB)
	var ended []string
	for range 3 {
		ended = append(ended, answered(t, alice, bob))
	}
	logs.wait(t, slog.LevelError, "cannot write call records", "fault", "busy")
	for _, c := range []*call.Client{alice, bob} {
		_, err := c.Call(ctx(t), "dave", proto.CallTypeAudio, call.CallOptions{})
		wantCode(t, err, proto.CodeUnavailable)
		if !strings.Contains(err.Error(), "not placing calls") || !strings.Contains(err.Error(), "locked by another program") {
			t.Fatalf("call at the bound: %v; want it to say why", err)
		}
	}
	logs.wait(t, slog.LevelError, "call record backlog is full", "waiting", "3")

	if err := carol.Hangup(ctx(t)); err != nil {
		t.Fatal(err)
	}
	expect[*proto.ClientLeave](t, dave)
	expect[*proto.HangupEvent](t, dave)
	noRecords(t, dave)

	release()
	logs.wait(t, slog.LevelInfo, "placing calls again")
	recs := recordsInOrder(t, bob, ended)
	last := recordsInOrder(t, dave, []string{underWay})[0]
	if last.Seq <= recs[2].Seq || last.Status != proto.StatusCompleted {
		t.Fatalf("the call under way: record %+v, want it completed and after %d", last, recs[2].Seq)
	}
	waitRecord(t, alice, answered(t, alice, bob))
}

// TestUnsavedRecordsAreLoggedAtShutdown: records the database never took
// are not dropped silently when the server stops: each is logged in full.
func TestUnsavedRecordsAreLoggedAtShutdown(t *testing.T) {
	logs := newLogSink()
	e := newEnv(t, func(c *server.Config) {
		c.DBBusyTimeout = 100 * time.Millisecond
		c.RecordRetry = 50 * time.Millisecond
		c.Logger = logs.logger()
	})
	alice, bob := e.dial("alice", "a1"), e.dial("bob", "b1")
	lockDB(t, e.cfg.DB)
	ended := answered(t, alice, bob)
	underWay := placeCall(t, alice, "bob", proto.CallTypeVideo, bob)
	connect(t, alice, bob, underWay)
	logs.wait(t, slog.LevelError, "cannot write call records", "fault", "busy")

	e.stop() // ends the call under way as networkLost
	logs.wait(t, slog.LevelError, "call records not written at shutdown", "count", "2", "fault", "busy")
	for cid, status := range map[string]string{ended: `"status":1`, underWay: `"status":7`} {
		l := logs.wait(t, slog.LevelError, "unsaved call record", "cid", cid)
		if r := l.attrs["record"]; !strings.Contains(r, status) || !strings.Contains(r, `"caller":"alice"`) {
			t.Fatalf("logged record of %s: %s; want it whole, with %s", cid, r, status)
		}
	}
}
