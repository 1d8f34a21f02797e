package main

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"duet/call"
	"duet/call/bot"
	"duet/call/leaktest"
	"duet/call/server"
	"duet/devices"
)

// duet bot --call exits with a status saying how the call went, for each
// way a call can go, against a real server and real answering bots; with
// --calls it places them in a row and sums them up.
func TestBotCallExitStatuses(t *testing.T) {
	leaktest.Check(t)
	url := startTestServer(t)
	for account, answer := range map[string]bot.Answer{"accepts": bot.AnswerAccept, "rejects": bot.AnswerReject,
		"busybot": bot.AnswerBusy, "silent": bot.AnswerNever} {
		startAnsweringBot(t, url, account, answer)
	}
	signInAndLeave(t, url, "gone")
	for _, tc := range []struct {
		callee string
		args   []string
		status int
		want   string // in the summary
		calls  int
	}{
		{"accepts", []string{"--hangup-after", "3s"}, 0, "completed=1", 1},
		{"rejects", nil, 3, "rejected=1", 1},
		{"busybot", nil, 4, "busy=1", 1},
		{"silent", []string{"--no-answer-timeout", "1500ms"}, 5, "timeout=1", 1},
		{"gone", nil, 7, "offline=1", 1},
		{"nobody", nil, 1, "failed=1", 1}, // no such account
		{"accepts", []string{"--calls", "3", "--hangup-after", "3s"}, 0, "completed=3", 3},
	} {
		t.Run(tc.callee+strings.Join(tc.args, ""), func(t *testing.T) {
			args := append([]string{"bot", "--server", url, "--account", "caller", "--call", tc.callee,
				"--type", "audio"}, tc.args...)
			// Pion reports a closed connection's state on a goroutine of
			// its own, which may log after the command has returned.
			ctx, cancel := context.WithTimeout(context.Background(), 2*testTimeout)
			defer cancel()
			var stdout, stderr syncBuffer
			err := run(ctx, args, &stdout, &stderr)
			out, errOut := stdout.String(), stderr.String()
			if st := exitStatus(err); st != tc.status {
				t.Fatalf("%v exited with %d (%v), want %d\nstdout:\n%s\nstderr:\n%s", args, st, err, tc.status, out, errOut)
			}
			if !strings.Contains(out, tc.want) || !strings.Contains(out, "exit status: "+strconv.Itoa(tc.status)) {
				t.Fatalf("summary lacks %q:\n%s", tc.want, out)
			}
			calls := regexp.MustCompile(`(?m)^call \d+ `).FindAllString(out, -1)
			if len(calls) != tc.calls {
				t.Fatalf("%d call lines, want %d:\n%s", len(calls), tc.calls, out)
			}
			if tc.status == 0 && !regexp.MustCompile(`setup: min=\S+ +mean=\S+ +max=\S+ +\(n=\d\)`).MatchString(out) {
				t.Fatalf("no setup times:\n%s", out)
			}
			t.Logf("%v:\n%s", tc.args, out)
		})
	}
}

// Bad flags and failures to sign in are status 1; --help shows the table.
func TestBotCallUsage(t *testing.T) {
	_, _, err := duet(t, "bot", "--call", "x", "--calls", "0")
	if exitStatus(err) != 1 {
		t.Fatalf("--calls 0: %v", err)
	}
	_, errOut, err := duet(t, "bot", "--help")
	if exitStatus(err) != 0 || !strings.Contains(errOut, bot.ExitStatusTable) || !strings.Contains(errOut, "-record") {
		t.Fatalf("bot --help: %v\n%s", err, errOut)
	}
	_, _, err = duet(t, "bot", "--server", "ws://127.0.0.1:1/ws", "--call", "x")
	if exitStatus(err) != 1 {
		t.Fatalf("no server: %v", err)
	}
}

// signInAndLeave makes an account that exists but is offline.
func signInAndLeave(t *testing.T, url, account string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := call.Dial(ctx, call.Config{ServerURL: url, Account: account})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

func startTestServer(t *testing.T) string {
	t.Helper()
	srv, err := server.New(server.Config{DB: filepath.Join(t.TempDir(), "duet.db"), Open: true})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "ws://" + ln.Addr().String() + "/ws"
}

// startAnsweringBot runs a bot until the test ends and returns once it
// has signed in.
func startAnsweringBot(t *testing.T, url, account string, answer bot.Answer) {
	t.Helper()
	signedIn := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- bot.Run(ctx, bot.Config{ServerURL: url, Account: account, Answer: answer, LoopbackOnly: true,
			CameraID: devices.SyntheticCameraID, Logger: slog.New(onMessage{"signed in", signedIn, new(sync.Once)})})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("bot %s: %v", account, err)
		}
	})
	select {
	case <-signedIn:
	case err := <-done:
		t.Fatalf("bot %s: %v", account, err)
	}
}

// onMessage closes a channel at the first record with its message.
type onMessage struct {
	msg  string
	ch   chan struct{}
	once *sync.Once
}

func (h onMessage) Enabled(context.Context, slog.Level) bool { return true }
func (h onMessage) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h onMessage) WithGroup(string) slog.Handler            { return h }
func (h onMessage) Handle(_ context.Context, rec slog.Record) error {
	if rec.Message == h.msg {
		h.once.Do(func() { close(h.ch) })
	}
	return nil
}
