package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"duet/call/proto"
)

// recorder writes call records in the order calls end, off the hub's
// goroutine, and answers history queries behind those writes so a client that
// saw a callRecord event always finds it in its history. A record that cannot
// be written stays queued and is retried: a locked database or a full disk
// delays records, it does not lose them while the process lives. While
// writes fail, history queries fail at once with unavailable rather than wait
// behind them, and at the backlog bound the server places no new calls (see
// full) instead of dropping records.
//
// save, history and full are safe for concurrent use; stop is called once.
type recorder struct {
	store *store
	log   *slog.Logger
	retry time.Duration
	bound int // records kept in memory before full reports true

	mu      sync.Mutex
	pending []recorderOp  // guarded by mu
	records int           // guarded by mu: the records (not queries) in pending
	failing *writeFailure // guarded by mu: set while writes fail
	atBound bool          // guarded by mu: records reached bound, so new calls are refused
	wake    chan struct{}
	done    chan struct{}
	stopped chan struct{}
}

// writeFailure describes a run of failed writes. Guarded by recorder.mu.
type writeFailure struct {
	fault    dbFault
	since    time.Time
	attempts int
	warned   time.Time // last time the log was reminded
}

// failureReminder is how often the log is reminded that writes still fail.
const failureReminder = 30 * time.Second

// recorderOp is a record to write (with what to do once it is written) or a
// history query to answer.
type recorderOp struct {
	record  *proto.CallRecord
	onSaved func(proto.CallRecord)

	// open is the latest state of a call in progress, kept for recovery.
	open *openCall

	query *historyQuery
}

type historyQuery struct {
	account string
	req     proto.History
	reply   chan historyReply
}

type historyReply struct {
	res proto.HistoryResult
	err error
}

func newRecorder(st *store, log *slog.Logger, retry time.Duration, bound int) *recorder {
	r := &recorder{store: st, log: log, retry: retry, bound: bound,
		wake: make(chan struct{}, 1), done: make(chan struct{}), stopped: make(chan struct{})}
	go r.run()
	return r
}

// waiting is the number of records not yet written.
func (r *recorder) waiting() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.records
}

func (r *recorder) enqueueLocked(op recorderOp) {
	r.pending = append(r.pending, op)
	if op.record != nil {
		r.records++
	}
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// save queues a record; onSaved runs on the recorder's goroutine once it is
// durable. It never refuses: callers that can wait check full first.
func (r *recorder) save(rec proto.CallRecord, onSaved func(proto.CallRecord)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.enqueueLocked(recorderOp{record: &rec, onSaved: onSaved})
	if r.records >= r.bound && !r.atBound {
		r.atBound = true
		args := []any{"waiting", r.records}
		if f := r.failing; f != nil {
			args = append(args, "fault", f.fault, "advice", f.fault.advice())
		} else {
			args = append(args, "cause", "writes have not failed yet but are slower than calls end")
		}
		r.log.Error("call record backlog is full: placing no new calls until the database takes records again; "+
			"calls under way still end and keep their records", args...)
	}
}

// keepOpen queues the state of a call in progress; the call's record,
// queued after it, removes it.
func (r *recorder) keepOpen(o openCall) {
	r.mu.Lock()
	defer r.mu.Unlock()
	// A snapshot of the same call still waiting is replaced rather than
	// followed: a slow database then writes each call's latest state once.
	// Index 0 may be being written right now and is left alone.
	for i := len(r.pending) - 1; i >= 1; i-- {
		if op := r.pending[i]; op.open != nil && op.open.CID == o.CID {
			r.pending[i].open = &o
			return
		}
	}
	r.enqueueLocked(recorderOp{open: &o})
}

// faultLocked is the fault of the current run of failures, if any.
func (r *recorder) faultLocked() dbFault {
	if r.failing == nil {
		return faultUnknown
	}
	return r.failing.fault
}

// full returns the error for a new call once the records waiting for the
// database reach the bound (each call adds one), and nil below it.
func (r *recorder) full() *proto.Error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.records < r.bound {
		return nil
	}
	why := "its database is not keeping up"
	if r.failing != nil {
		why = r.failing.fault.forUsers()
	}
	return proto.Errorf(proto.CodeUnavailable,
		"the server is not placing calls now: it cannot save call records (%s) and %d are waiting; try again later",
		why, r.records)
}

// queueHistory queues a history query behind the records queued so far,
// or at once says it is unavailable while records cannot be written: its
// answer (awaitHistory) comes after every record queued before it is
// written. It does not block.
func (r *recorder) queueHistory(account string, req proto.History) (*historyQuery, error) {
	q := &historyQuery{account: account, req: req, reply: make(chan historyReply, 1)}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failing != nil {
		return nil, r.unavailableLocked()
	}
	r.enqueueLocked(recorderOp{query: q})
	return q, nil
}

// awaitHistory waits for the answer to a query queueHistory queued.
func (r *recorder) awaitHistory(ctx context.Context, q *historyQuery) (proto.HistoryResult, error) {
	select {
	case rep := <-q.reply:
		return rep.res, rep.err
	case <-ctx.Done():
		return proto.HistoryResult{}, ctx.Err()
	case <-r.stopped:
		return proto.HistoryResult{}, proto.Errorf(proto.CodeUnavailable, "server is shutting down")
	}
}

func (r *recorder) unavailableLocked() *proto.Error {
	return proto.Errorf(proto.CodeUnavailable,
		"call history is unavailable now: the server cannot save call records (%s); %d are waiting and "+
			"none is lost; try again later", r.failing.fault.forUsers(), r.records)
}

func (r *recorder) run() {
	defer close(r.stopped)
	for {
		r.drain()
		select {
		case <-r.wake:
		case <-r.done:
			r.drain()
			r.logUnsaved()
			return
		}
	}
}

// drain handles queued ops in order until the queue is empty or a write
// fails; a failed write is retried after r.retry unless the recorder stops.
func (r *recorder) drain() {
	for {
		r.mu.Lock()
		if len(r.pending) == 0 {
			r.mu.Unlock()
			return
		}
		op := r.pending[0]
		r.mu.Unlock()

		if op.query != nil {
			r.answer(op.query)
		} else if err := r.write(op); err != nil {
			r.failed(err)
			select {
			case <-time.After(r.retry):
				continue
			case <-r.done:
				return
			}
		}
		r.mu.Lock()
		r.pending = r.pending[1:]
		if op.record != nil {
			r.records--
			r.wroteLocked()
		}
		r.mu.Unlock()
	}
}

func (r *recorder) answer(q *historyQuery) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	limit := q.req.Limit
	if limit == 0 {
		limit = 20
	}
	res, err := r.store.history(ctx, q.account, q.req.Before, limit)
	q.reply <- historyReply{res, err}
}

func (r *recorder) write(op recorderOp) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if op.open != nil {
		if err := r.store.saveOpenCall(ctx, *op.open, time.Now().UnixMilli()); err != nil {
			return err
		}
		return nil
	}
	seq, err := r.store.insertRecord(ctx, *op.record)
	if err != nil {
		return err
	}
	rec := *op.record
	rec.Seq = seq
	if op.onSaved != nil {
		op.onSaved(rec)
	}
	return nil
}

// failed notes a failed write: the first of a run is logged with what to do,
// the others now and then; the queries waiting behind the record are
// answered unavailable at once.
func (r *recorder) failed(err error) {
	now := time.Now()
	fault := classifyDB(err)
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.failing
	if f == nil {
		f = &writeFailure{fault: fault, since: now, warned: now}
		r.failing = f
		r.log.Error("cannot write call records; keeping them in memory and retrying",
			"fault", fault, "waiting", r.records, "bound", r.bound, "retryEvery", r.retry, "err", describeDBError(err))
	} else if f.fault != fault {
		f.fault = fault
		r.log.Error("still cannot write call records, for another reason now",
			"fault", fault, "waiting", r.records, "err", describeDBError(err))
	}
	f.attempts++
	if now.Sub(f.warned) >= failureReminder {
		f.warned = now
		r.log.Warn("still cannot write call records",
			"fault", fault, "advice", fault.advice(), "for", now.Sub(f.since).Round(time.Second),
			"waiting", r.records, "bound", r.bound)
	}
	r.log.Debug("call record write failed", "attempt", f.attempts, "err", err)

	kept := r.pending[:0]
	for _, op := range r.pending {
		if op.query != nil {
			op.query.reply <- historyReply{err: r.unavailableLocked()}
			continue
		}
		kept = append(kept, op)
	}
	clear(r.pending[len(kept):]) // let the answered queries go
	r.pending = kept
}

// wroteLocked follows a written record: it ends a run of failures and,
// below the bound, lets calls be placed again.
func (r *recorder) wroteLocked() {
	if f := r.failing; f != nil {
		r.failing = nil
		r.log.Info("call records are being written again",
			"after", time.Since(f.since).Round(time.Millisecond), "failedAttempts", f.attempts, "waiting", r.records)
	}
	if r.atBound && r.records < r.bound {
		r.atBound = false
		r.log.Info("placing calls again: the call record backlog is below its bound", "waiting", r.records)
	}
}

// logUnsaved runs at shutdown: records still queued are logged in full, so
// an operator can put them back, rather than vanish.
func (r *recorder) logUnsaved() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, op := range r.pending {
		if op.open != nil {
			b, _ := json.Marshal(op.open)
			r.log.Error("state of a call in progress not written at shutdown: it cannot be resumed after a restart",
				"cid", op.open.CID, "call", string(b))
		}
	}
	if r.records == 0 {
		return
	}
	fault := r.faultLocked()
	r.log.Error("call records not written at shutdown; each follows as JSON",
		"count", r.records, "fault", fault, "advice", fault.advice())
	for _, op := range r.pending {
		if op.record != nil {
			b, _ := json.Marshal(op.record)
			r.log.Error("unsaved call record", "cid", op.record.CID, "record", string(b))
		}
	}
}

// writable reports whether the last write went through, so state queued
// now can be expected to reach the database.
func (r *recorder) writable() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failing == nil
}

// stop writes what is queued, up to the first write that fails, logs what
// is left and returns.
func (r *recorder) stop() {
	close(r.done)
	<-r.stopped
}
