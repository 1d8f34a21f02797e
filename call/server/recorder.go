package server

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"duet/call/proto"
)

// recorder writes call records in the order calls end, off the hub's
// goroutine, and answers history queries behind those writes so a client that
// saw a callRecord event always finds it in its history. A record that cannot
// be written stays queued and is retried: a failing disk delays records, it
// does not lose them while the process lives.
//
// enqueue and query are safe for concurrent use; stop is called once.
type recorder struct {
	store *store
	log   *slog.Logger
	retry time.Duration

	mu      sync.Mutex
	pending []recorderOp // guarded by mu
	wake    chan struct{}
	done    chan struct{}
	stopped chan struct{}
}

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

func newRecorder(st *store, log *slog.Logger, retry time.Duration) *recorder {
	r := &recorder{store: st, log: log, retry: retry,
		wake: make(chan struct{}, 1), done: make(chan struct{}), stopped: make(chan struct{})}
	go r.run()
	return r
}

func (r *recorder) enqueue(op recorderOp) {
	r.mu.Lock()
	r.pending = append(r.pending, op)
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// save queues a record; onSaved runs on the recorder's goroutine once it is durable.
func (r *recorder) save(rec proto.CallRecord, onSaved func(proto.CallRecord)) {
	r.enqueue(recorderOp{record: &rec, onSaved: onSaved})
}

// keepOpen queues the state of a call in progress; the call's record,
// queued after it, removes it.
func (r *recorder) keepOpen(o openCall) {
	r.enqueue(recorderOp{open: &o})
}

// history answers after every record queued before it is written.
func (r *recorder) history(ctx context.Context, account string, req proto.History) (proto.HistoryResult, error) {
	q := &historyQuery{account: account, req: req, reply: make(chan historyReply, 1)}
	r.enqueue(recorderOp{query: q})
	select {
	case rep := <-q.reply:
		return rep.res, rep.err
	case <-ctx.Done():
		return proto.HistoryResult{}, ctx.Err()
	case <-r.stopped:
		return proto.HistoryResult{}, proto.Errorf(proto.CodeUnavailable, "server is shutting down")
	}
}

func (r *recorder) run() {
	defer close(r.stopped)
	for {
		r.drain()
		select {
		case <-r.wake:
		case <-r.done:
			r.drain()
			r.mu.Lock()
			lost := len(r.pending)
			r.mu.Unlock()
			if lost > 0 {
				r.log.Error("call records not written at shutdown", "count", lost)
			}
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

		if !r.apply(op) {
			select {
			case <-time.After(r.retry):
				continue
			case <-r.done:
				return
			}
		}
		r.mu.Lock()
		r.pending = r.pending[1:]
		r.mu.Unlock()
	}
}

func (r *recorder) apply(op recorderOp) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if op.query != nil {
		limit := op.query.req.Limit
		if limit == 0 {
			limit = 20
		}
		res, err := r.store.history(ctx, op.query.account, op.query.req.Before, limit)
		op.query.reply <- historyReply{res, err}
		return true
	}
	if op.open != nil {
		if err := r.store.saveOpenCall(ctx, *op.open, time.Now().UnixMilli()); err != nil {
			r.log.Error("open call write failed; will retry", "cid", op.open.CID, "err", err)
			return false
		}
		return true
	}
	seq, err := r.store.insertRecord(ctx, *op.record)
	if err != nil {
		r.log.Error("call record write failed; will retry", "cid", op.record.CID, "err", err)
		return false
	}
	if err := r.store.deleteOpenCall(ctx, op.record.CID); err != nil {
		// Harmless if it stays: recovery finds the record already written
		// and a second one for the same cid is never inserted.
		r.log.Warn("open call not cleared", "cid", op.record.CID, "err", err)
	}
	rec := *op.record
	rec.Seq = seq
	if op.onSaved != nil {
		op.onSaved(rec)
	}
	return true
}

// stop writes what is queued (one attempt each) and returns.
func (r *recorder) stop() {
	close(r.done)
	<-r.stopped
}
