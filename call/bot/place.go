package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/pion/webrtc/v4"

	"duet/call"
	"duet/call/media"
	"duet/call/phone"
	"duet/call/proto"
	"duet/devices"
)

// recordWait bounds the wait for a call's record once the call has ended:
// without signaling it never comes.
const recordWait = 5 * time.Second

// CallResult is how one placed call went.
type CallResult struct {
	CID     string
	Outcome Outcome
	Err     error // what failed, for OutcomeFailed
	// Setup is from placing the call to the media connection being up;
	// 0 when it never was.
	Setup time.Duration
	// Duration is from media starting to the call's end.
	Duration time.Duration
	// Frames and AudioPackets were received (frames decoded).
	Frames, AudioPackets uint64
}

// Summary is the calls PlaceCalls placed, in order.
type Summary struct{ Calls []CallResult }

// ExitStatus is the status of the first call that did not complete, or 0.
func (s Summary) ExitStatus() int {
	for _, c := range s.Calls {
		if st := c.Outcome.ExitStatus(); st != 0 {
			return st
		}
	}
	return 0
}

// Failed counts the calls that did not complete.
func (s Summary) Failed() int {
	n := 0
	for _, c := range s.Calls {
		if c.Outcome != OutcomeCompleted {
			n++
		}
	}
	return n
}

// PlaceCalls signs in, places cfg.Calls calls to cfg.Call one after the
// other (each hung up cfg.HangupAfter after its media started, or when the
// callee hangs up) and reports how each went. Calls are placed until ctx
// ends; the error is for signing in only.
func PlaceCalls(ctx context.Context, cfg Config) (Summary, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ToneHz == 0 {
		cfg.ToneHz = devices.DefaultToneHz
	}
	log := cfg.Logger.With("bot", cfg.Account)
	p, err := cfg.dial(ctx, log, nil)
	if err != nil {
		return Summary{}, err
	}
	defer p.Close()
	var sum Summary
	for i := range max(cfg.Calls, 1) {
		if ctx.Err() != nil {
			break
		}
		res := placeOne(ctx, cfg, p, log)
		log.Info("call ended", "n", i+1, "cid", res.CID, "outcome", res.Outcome, "err", res.Err,
			"setup", res.Setup.Round(time.Millisecond), "duration", res.Duration.Round(time.Millisecond),
			"frames", res.Frames, "audioPackets", res.AudioPackets)
		sum.Calls = append(sum.Calls, res)
		if res.Outcome == OutcomeNetworkLost && !p.Client().Connected() {
			break // signaling is gone for good: no further call can be placed
		}
	}
	return sum, nil
}

// placeOne places a call and follows it to its call record.
func placeOne(ctx context.Context, cfg Config, p *phone.Phone, log *slog.Logger) CallResult {
	typ := cfg.CallType
	if typ == proto.CallTypeUnknown {
		typ = proto.CallTypeVideo
	}
	placed := time.Now()
	cid, err := p.Call(ctx, cfg.Call, typ, call.CallOptions{Custom: "call from bot " + cfg.Account})
	switch {
	case errors.Is(err, call.ErrCalleeOffline):
		return CallResult{Outcome: OutcomeOffline}
	case err != nil:
		return CallResult{Outcome: OutcomeFailed, Err: err}
	}
	log.Info("calling", "callee", cfg.Call, "type", typ, "cid", cid)
	res := CallResult{CID: cid}
	var (
		session    *media.Session
		sessEvents <-chan media.Event
		started    time.Time
		hangup     <-chan time.Time // fires HangupAfter after media started
		ended      <-chan time.Time // gives up on the record once the call is over
		reason     Outcome          // from the events, should no record come
	)
	// end notes how the call ended, once, with what it received.
	end := func(o Outcome) {
		if ended != nil {
			return
		}
		reason = o
		if session != nil {
			res.Frames, res.AudioPackets = session.Received()
			res.Duration = time.Since(started)
		}
		ended = time.After(recordWait)
	}
	hangUp := func(o Outcome) {
		end(o)
		hctx, cancel := context.WithTimeout(context.Background(), recordWait)
		defer cancel()
		if err := p.Hangup(hctx); err != nil {
			log.Warn("hang up", "cid", cid, "err", err)
		}
	}
	interrupted := ctx.Done()
	for {
		select {
		case ev, ok := <-p.Events():
			if !ok {
				end(OutcomeNetworkLost)
				return finish(res, reason, session, typ)
			}
			switch e := ev.(type) {
			case *phone.MediaStarted:
				if e.CID == cid {
					session, sessEvents, started = e.Session, e.Session.Events(), time.Now()
					if cfg.HangupAfter > 0 {
						hangup = time.After(cfg.HangupAfter)
					}
				}
			case *proto.CallRejected:
				if e.CID == cid {
					end(outcomeOf(e.Reason.Status()))
				}
			case *call.NoAnswer:
				if e.CID == cid {
					end(OutcomeTimeout)
				}
			case *proto.HangupEvent:
				if e.CID == cid {
					end(outcomeOf(e.Reason.Status()))
				}
			case *proto.CallRecordEvent:
				if e.CID == cid {
					end(outcomeOf(e.Status))
					return finish(res, outcomeOf(e.Status), session, typ)
				}
			}
		case ev, ok := <-sessEvents:
			if !ok {
				sessEvents = nil
				continue
			}
			if c, isConn := ev.(media.ConnectionChanged); isConn && c.State == webrtc.PeerConnectionStateConnected && res.Setup == 0 {
				res.Setup = time.Since(placed)
			}
		case <-hangup:
			hangup = nil
			log.Info("hanging up", "cid", cid, "after", cfg.HangupAfter)
			hangUp(OutcomeCompleted)
		case <-interrupted:
			interrupted = nil
			if session == nil {
				hangUp(OutcomeCancelled)
			} else {
				hangUp(OutcomeCompleted)
			}
		case <-ended:
			log.Warn("no call record came", "cid", cid)
			return finish(res, reason, session, typ)
		}
	}
}

// finish settles the outcome: a completed call that received nothing did
// not work.
func finish(res CallResult, o Outcome, s *media.Session, typ proto.CallType) CallResult {
	res.Outcome = o
	if o == OutcomeUnknown {
		res.Outcome = OutcomeFailed
		res.Err = errors.New("the call ended without saying how")
	}
	if res.Outcome == OutcomeCompleted && (s == nil || res.AudioPackets == 0 || (typ == proto.CallTypeVideo && res.Frames == 0)) {
		res.Outcome = OutcomeNoMedia
	}
	return res
}

// Write prints one line per call and totals per outcome, of setup time,
// duration and media received.
func (s Summary) Write(w io.Writer) {
	counts := map[Outcome]int{}
	var setups, durations []time.Duration
	var frames, audio uint64
	for i, c := range s.Calls {
		counts[c.Outcome]++
		line := fmt.Sprintf("call %d  %-11s  cid=%s  setup=%v  duration=%v  frames=%d  audioPackets=%d",
			i+1, c.Outcome, c.CID, c.Setup.Round(time.Millisecond), c.Duration.Round(time.Millisecond), c.Frames, c.AudioPackets)
		if c.Err != nil {
			line += "  err=" + c.Err.Error()
		}
		fmt.Fprintln(w, line)
		if c.Setup > 0 {
			setups = append(setups, c.Setup)
		}
		if c.Duration > 0 {
			durations = append(durations, c.Duration)
		}
		frames += c.Frames
		audio += c.AudioPackets
	}
	fmt.Fprintf(w, "calls: %d", len(s.Calls))
	for o := OutcomeCompleted; int(o) < len(outcomeNames); o++ {
		if n := counts[o]; n > 0 {
			fmt.Fprintf(w, "  %s=%d", o, n)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "setup: %s\n", spread(setups))
	fmt.Fprintf(w, "duration: %s\n", spread(durations))
	fmt.Fprintf(w, "received: frames=%d  audioPackets=%d\n", frames, audio)
	fmt.Fprintf(w, "exit status: %d\n", s.ExitStatus())
}

// spread is the min, mean and max of ds.
func spread(ds []time.Duration) string {
	if len(ds) == 0 {
		return "none"
	}
	lo, hi, sum := ds[0], ds[0], time.Duration(0)
	for _, d := range ds {
		lo, hi, sum = min(lo, d), max(hi, d), sum+d
	}
	r := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	return fmt.Sprintf("min=%v  mean=%v  max=%v  (n=%d)", r(lo), r(sum/time.Duration(len(ds))), r(hi), len(ds))
}
