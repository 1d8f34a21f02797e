package web_test

import (
	"context"
	"log/slog"
	"testing"

	"duet/call/bot"
	"duet/call/server"
)

// addToken gives account a token in the database at db.
func addToken(t *testing.T, db, account string) string {
	t.Helper()
	a, err := server.OpenAccounts(db)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	token, _, err := a.AddToken(ctx, account, "test")
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// runBot runs a duet bot that answers, until the test ends; its log
// records arrive on the returned channel (the newest are dropped when
// nobody reads).
func runBot(t *testing.T, cfg bot.Config) <-chan slog.Record {
	t.Helper()
	logs := make(chan slog.Record, 512)
	cfg.Logger = slog.New(recordHandler{logs})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- bot.Run(ctx, cfg) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("bot %s: %v", cfg.Account, err)
		}
	})
	return logs
}

// waitBotFrames waits until the bot reports at least want decoded frames
// and returns how many it reported.
func waitBotFrames(t *testing.T, ctx context.Context, logs <-chan slog.Record, want uint64) uint64 {
	t.Helper()
	for {
		rec := waitBotLog(t, ctx, logs, "receiving")
		if v := attr(rec, "frames"); v.Kind() == slog.KindUint64 && v.Uint64() >= want {
			return v.Uint64()
		}
	}
}

// waitBotLog returns the bot's next log record with message msg.
func waitBotLog(t *testing.T, ctx context.Context, logs <-chan slog.Record, msg string) slog.Record {
	t.Helper()
	for {
		select {
		case rec := <-logs:
			if rec.Message == msg {
				return rec
			}
		case <-ctx.Done():
			t.Fatalf("the bot did not log %q: %v", msg, ctx.Err())
		}
	}
}

// attr is a log record's attribute by key.
func attr(rec slog.Record, key string) slog.Value {
	var v slog.Value
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v = a.Value
			return false
		}
		return true
	})
	return v
}

// recordHandler hands every record to a channel, dropping what does not fit.
type recordHandler struct{ out chan<- slog.Record }

func (h recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recordHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h recordHandler) WithGroup(string) slog.Handler            { return h }
func (h recordHandler) Handle(_ context.Context, rec slog.Record) error {
	select {
	case h.out <- rec.Clone():
	default:
	}
	return nil
}
