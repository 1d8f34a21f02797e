package server_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// logSink is a slog handler that keeps every record, so tests can check
// what the server told its operator. Safe for concurrent use.
type logSink struct {
	mu      sync.Mutex
	records []logLine // guarded by mu
	attrs   []slog.Attr
}

// logLine is one log record with its attributes as text.
type logLine struct {
	at    time.Time
	level slog.Level
	msg   string
	attrs map[string]string
}

func (l logLine) String() string {
	return fmt.Sprintf("%s %s %q %v", l.at.Format("15:04:05.000"), l.level, l.msg, l.attrs)
}

func newLogSink() *logSink { return &logSink{} }

func (s *logSink) logger() *slog.Logger { return slog.New(s) }

func (s *logSink) Enabled(context.Context, slog.Level) bool { return true }

func (s *logSink) Handle(_ context.Context, r slog.Record) error {
	line := logLine{at: r.Time, level: r.Level, msg: r.Message, attrs: map[string]string{}}
	for _, a := range s.attrs {
		line.attrs[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		line.attrs[a.Key] = a.Value.String()
		return true
	})
	s.mu.Lock()
	s.records = append(s.records, line)
	s.mu.Unlock()
	return nil
}

func (s *logSink) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &sinkView{sink: s, attrs: attrs}
}

func (s *logSink) WithGroup(string) slog.Handler { return s }

// sinkView adds attributes on the way into the shared sink.
type sinkView struct {
	sink  *logSink
	attrs []slog.Attr
}

func (v *sinkView) Enabled(context.Context, slog.Level) bool { return true }
func (v *sinkView) Handle(ctx context.Context, r slog.Record) error {
	r = r.Clone()
	r.AddAttrs(v.attrs...)
	return v.sink.Handle(ctx, r)
}
func (v *sinkView) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &sinkView{sink: v.sink, attrs: append(append([]slog.Attr(nil), v.attrs...), attrs...)}
}
func (v *sinkView) WithGroup(string) slog.Handler { return v }

// find returns the records at level whose message contains msg and whose
// attributes contain each key=substring pair of want.
func (s *logSink) find(level slog.Level, msg string, want ...string) []logLine {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []logLine
next:
	for _, l := range s.records {
		if l.level != level || !strings.Contains(l.msg, msg) {
			continue
		}
		for i := 0; i+1 < len(want); i += 2 {
			if !strings.Contains(l.attrs[want[i]], want[i+1]) {
				continue next
			}
		}
		out = append(out, l)
	}
	return out
}

// wait returns the first record find matches, waiting for it if need be.
func (s *logSink) wait(t *testing.T, level slog.Level, msg string, want ...string) logLine {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for {
		if got := s.find(level, msg, want...); len(got) > 0 {
			return got[0]
		}
		if time.Now().After(deadline) {
			s.mu.Lock()
			defer s.mu.Unlock()
			t.Fatalf("no %s log %q with %v; the log has:\n%v", level, msg, want, s.records)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// dumpOnFailure logs the server's last records if t fails, so a failure
// seen only on a loaded CI machine comes with what the server did.
func (s *logSink) dumpOnFailure(t *testing.T) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		const keep = 300
		s.mu.Lock()
		defer s.mu.Unlock()
		from := max(0, len(s.records)-keep)
		var b strings.Builder
		for _, l := range s.records[from:] {
			b.WriteString(l.String())
			b.WriteByte('\n')
		}
		t.Logf("server log, last %d of %d records:\n%s", len(s.records)-from, len(s.records), b.String())
	})
}
