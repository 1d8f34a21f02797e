package bot_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"duet/call"
	"duet/call/bot"
	"duet/call/internal/await"
	"duet/call/phone"
	"duet/call/proto"
)

// Each answer mode, against a real server and a real caller: the call
// ends the way the mode says and its record says so too.
func TestBotAnswers(t *testing.T) {
	for _, tc := range []struct {
		answer bot.Answer
		after  time.Duration
		// what the caller sees and the record's status
		reason proto.Reason
		status proto.CallStatus
	}{
		{answer: bot.AnswerAccept, status: proto.StatusCompleted},
		{answer: bot.AnswerAccept, after: 700 * time.Millisecond, status: proto.StatusCompleted},
		{answer: bot.AnswerReject, reason: proto.ReasonRejected, status: proto.StatusRejected},
		{answer: bot.AnswerBusy, reason: proto.ReasonBusy, status: proto.StatusBusy},
		{answer: bot.AnswerNever, status: proto.StatusTimeout},
	} {
		name := tc.answer.String()
		if tc.after > 0 {
			name += " after " + tc.after.String()
		}
		t.Run(name, func(t *testing.T) {
			r := newRig(t)
			r.bot(bot.Config{Account: "qa-bot", Answer: tc.answer, After: tc.after, ToneHz: 660})
			me := r.tester("tester", func(c *call.Config) { c.NoAnswerTimeout = 1500 * time.Millisecond })
			me.waitOnline(t, "qa-bot")

			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			placed := time.Now()
			cid, err := me.Call(ctx, "qa-bot", proto.CallTypeVideo, call.CallOptions{})
			if err != nil {
				t.Fatal(err)
			}
			switch tc.answer {
			case bot.AnswerAccept:
				await.Event[*proto.CallAccepted](t, me.events)
				if waited := time.Since(placed); waited < tc.after {
					t.Fatalf("answered after %v, want at least %v", waited, tc.after)
				}
				s := await.Event[*phone.MediaStarted](t, me.events).Session
				await.Until(t, "the bot's video", func() bool { return me.framesSeen() >= 30 })
				await.Until(t, "the bot's 660 Hz tone", func() bool {
					hz := s.Stats().AudioHz
					return hz > 655 && hz < 665
				})
				if err := me.Hangup(ctx); err != nil {
					t.Fatal(err)
				}
			case bot.AnswerReject, bot.AnswerBusy:
				if rej := await.Event[*proto.CallRejected](t, me.events); rej.CID != cid || rej.Reason != tc.reason {
					t.Fatalf("rejected %+v, want reason %v", rej, tc.reason)
				}
			case bot.AnswerNever:
				await.Event[*call.NoAnswer](t, me.events)
			}
			rec := await.Event[*proto.CallRecordEvent](t, me.events)
			if rec.CID != cid || rec.Status != tc.status || rec.Callee != "qa-bot" {
				t.Fatalf("record %+v, want status %v", rec.CallRecord, tc.status)
			}
		})
	}
}

// HangupAfter: the bot ends an answered call by itself, and the record
// names it as the one who ended it.
func TestBotHangsUpAfter(t *testing.T) {
	r := newRig(t)
	r.bot(bot.Config{Account: "qa-bot", Answer: bot.AnswerAccept, HangupAfter: time.Second})
	me := r.tester("tester", nil)
	me.waitOnline(t, "qa-bot")
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	cid, err := me.Call(ctx, "qa-bot", proto.CallTypeAudio, call.CallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	await.Event[*phone.MediaStarted](t, me.events)
	started := time.Now()
	if h := await.Event[*proto.HangupEvent](t, me.events); h.CID != cid || h.Account != "qa-bot" || h.Reason != proto.ReasonHangup {
		t.Fatalf("hangup %+v, want qa-bot hanging up", h)
	}
	if held := time.Since(started); held < 900*time.Millisecond {
		t.Fatalf("the bot hung up after %v, want about a second", held)
	}
	rec := await.Event[*proto.CallRecordEvent](t, me.events)
	if rec.Status != proto.StatusCompleted || rec.EndedBy != "qa-bot" || rec.Type != proto.CallTypeAudio {
		t.Fatalf("record %+v", rec.CallRecord)
	}
}

// Call: once signed in, the bot calls the account it was given, once, with
// the type it was given and a note saying who calls.
func TestBotPlacesACall(t *testing.T) {
	r := newRig(t)
	me := r.tester("tester", nil)
	r.bot(bot.Config{Account: "qa-bot", Answer: bot.AnswerNever, Call: "tester", CallType: proto.CallTypeVideo, ToneHz: 880})
	ring := await.Event[*proto.BeCalling](t, me.events)
	if ring.Caller != "qa-bot" || ring.Type != proto.CallTypeVideo || ring.Custom != "call from bot qa-bot" {
		t.Fatalf("rang for %+v", ring)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := me.Accept(ctx, ring.CID, proto.CallTypeVideo); err != nil {
		t.Fatal(err)
	}
	s := await.Event[*phone.MediaStarted](t, me.events).Session
	await.Until(t, "the bot's video and 880 Hz tone", func() bool {
		hz := s.Stats().AudioHz
		return me.framesSeen() >= 30 && hz > 875 && hz < 885
	})
	if err := me.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	await.Event[*proto.CallRecordEvent](t, me.events)
}

// The bot outlives its server: after a restart on the same address it is
// back online and answers again.
func TestBotComesBackAfterServerRestart(t *testing.T) {
	r := newRig(t)
	logs := r.bot(bot.Config{Account: "qa-bot", Answer: bot.AnswerReject})
	nextLog(t, logs, "signed in")
	r.srv.Close()
	r.start()
	nextLog(t, logs, "signaling back")

	me := r.tester("tester", nil)
	me.waitOnline(t, "qa-bot")
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if _, err := me.Call(ctx, "qa-bot", proto.CallTypeAudio, call.CallOptions{}); err != nil {
		t.Fatal(err)
	}
	if rej := await.Event[*proto.CallRejected](t, me.events); rej.Reason != proto.ReasonRejected {
		t.Fatalf("rejected %+v", rej)
	}
}

// A second instance signed in as the bot's device takes over, and the
// first stops with ErrReplaced instead of taking the device back.
func TestBotStopsWhenReplaced(t *testing.T) {
	r := newRig(t)
	logs := make(chan slog.Record, 256)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- bot.Run(ctx, bot.Config{ServerURL: r.url(), Account: "qa-bot", Answer: bot.AnswerReject,
			LoopbackOnly: true, Logger: slog.New(recordHandler{logs})})
	}()
	nextLog(t, logs, "signed in")

	dctx, dcancel := context.WithTimeout(ctx, testTimeout)
	other, err := call.Dial(dctx, call.Config{ServerURL: r.url(), Account: "qa-bot", DeviceID: "bot-qa-bot",
		ClientType: proto.ClientBot})
	dcancel()
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	select {
	case err := <-done:
		if !errors.Is(err, call.ErrReplaced) {
			t.Fatalf("the replaced bot stopped with %v, want ErrReplaced", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("the replaced bot kept running")
	}
	nextLog(t, logs, "stopping: another instance signed in as this bot")
	if !other.Connected() {
		t.Fatal("the newer instance lost its connection")
	}
}

// An echoing bot decodes nothing, so it reports the flow it forwards.
func TestEchoBotReportsWhatItForwards(t *testing.T) {
	r := newRig(t)
	logs := r.bot(bot.Config{Account: "echo", Answer: bot.AnswerAccept, Echo: true})
	me := r.tester("tester", nil)
	me.waitOnline(t, "echo")
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if _, err := me.Call(ctx, "echo", proto.CallTypeVideo, call.CallOptions{}); err != nil {
		t.Fatal(err)
	}
	await.Event[*phone.MediaStarted](t, me.events)
	await.Until(t, "our own video back", func() bool { return me.framesSeen() >= 30 })
	for {
		rec := nextLog(t, logs, "echoing")
		if attr(rec, "recvKbps").Float64() > 50 && attr(rec, "sendKbps").Float64() > 50 {
			break
		}
	}
	if err := me.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}
