package web_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"duet/call/bot"
	"duet/call/leaktest"
	"duet/call/server"
)

// browserDeadline bounds the whole browser test: Chromium's start, the
// call and its end. With the race detector it takes about 8 s on an idle
// machine and 20 s beside CPU-heavy work; the bound leaves room for make
// test's other packages.
const browserDeadline = 60 * time.Second

// screenshotsEnv names a directory for the test's screenshot; without it
// the screenshot goes to the test's temporary directory.
const screenshotsEnv = "DUET_SCREENSHOTS"

// findChromium returns Debian's chromium (make deps installs it). Under
// CI a missing browser fails the test; elsewhere it skips.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed, and CI needs the browser test: run make deps (apt-get install chromium)")
	}
	t.Skip("chromium is not installed: make deps installs it")
	return ""
}

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

// startChromium starts headless Chromium with a fake camera and
// microphone that need no permission prompt; it closes when the test ends.
func startChromium(t *testing.T, deadline context.Context, chromium string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 820),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		// Media stays on this machine: the bot offers loopback candidates only.
		chromedp.Flag("allow-loopback-in-peer-connection", true),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses its sandbox to root
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(deadline, opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	console := make(chan struct{})
	t.Cleanup(func() {
		cancel()
		<-console
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		close(console)
		t.Fatalf("start chromium: %v", err)
	}
	// The page's console in the test's log; an exception nothing caught fails it.
	go func() {
		defer close(console)
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if m.IsException() {
				t.Errorf("page: %s", m)
			} else {
				t.Logf("page: %s", m)
			}
		}
	}()
	return ctx
}

// pageFrames is what the page's RTCPeerConnection decoded of the remote video.
const pageFrames = `(async () => {
	const pc = window.duet.pc;
	if (!pc) return 0;
	let n = 0;
	(await pc.getStats()).forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') n = r.framesDecoded || 0; });
	return n;
})()`

// The web client, in headless Chromium with its fake camera, signs in with
// an invitation link, video-calls a duet bot that answers, and both sides
// decode the other's video; the page hangs up and shows the call's record.
func TestWebCallsBotInChromium(t *testing.T) {
	chromium := findChromium(t)
	leaktest.Check(t)
	started := time.Now()
	db := filepath.Join(t.TempDir(), "duet.db")
	guestToken := addToken(t, db, "guest")
	botToken := addToken(t, db, "qa-bot")
	addr := startServer(t, server.Config{DBPath: db})
	botLogs := runBot(t, bot.Config{ServerURL: "ws://" + addr + "/ws", Account: "qa-bot", Token: botToken,
		Answer: bot.AnswerAccept, LoopbackOnly: true, ReportEvery: 200 * time.Millisecond})

	deadline, cancel := context.WithTimeout(context.Background(), browserDeadline)
	defer cancel()
	ctx := startChromium(t, deadline, chromium)
	t.Logf("chromium up after %v", time.Since(started).Round(time.Millisecond))

	err := chromedp.Do(ctx,
		chromedp.Navigate(fmt.Sprintf("http://%s/#invite=guest:%s", addr, guestToken)),
		chromedp.WaitVisible(chromedp.CSS(`#contacts li[data-account="qa-bot"][data-presence="online"] button.call-video`)),
	)
	if err != nil {
		t.Fatalf("sign in with the invitation and see the bot online: %v", err)
	}
	if url, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`)); url != "http://"+addr+"/" {
		t.Errorf("the invitation's token stays in the address bar: %s", url)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#contacts li[data-account="qa-bot"] button.call-video`)),
		chromedp.WaitVisible(chromedp.CSS(`#call[data-state="in-call"]`)),
	); err != nil {
		t.Fatalf("video call the bot: %v", err)
	}
	cid, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.duet.call.cid`))
	if err != nil || cid == "" {
		t.Fatalf("the call's cid: %q %v", cid, err)
	}
	offered, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.duet.call.peer.firstOfferer`))
	t.Logf("in call %s after %v (the page offered: %v)", cid, time.Since(started).Round(time.Millisecond), offered)

	// The page decodes the bot's video...
	var frames int
	for frames < 30 {
		if frames, err = chromedp.Run(ctx, chromedp.Evaluate[int](pageFrames, chromedp.EvalAwaitPromise)); err != nil {
			t.Fatalf("getStats: %v", err)
		}
		if deadline.Err() != nil {
			t.Fatalf("the page decoded %d frames of the bot's video", frames)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// ...and the bot the page's.
	botFrames := waitBotFrames(t, deadline, botLogs, 30)
	t.Logf("page decoded %d frames, bot %d, after %v", frames, botFrames, time.Since(started).Round(time.Millisecond))

	// The stats line shows the picture the page receives.
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#stats:not(:empty)`))); err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	saveScreenshot(t, "web-client-call.png", shot)

	// The page hangs up; the record of the call, completed and ended by
	// the guest, appears in its list.
	record := fmt.Sprintf(`#history li.record[data-cid=%q][data-status="1"][data-ended-by="guest"]`, cid)
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#hangup`)),
		chromedp.WaitVisible(chromedp.CSS(`#call[data-state="ended"]`)),
		chromedp.WaitVisible(chromedp.CSS(record)),
	); err != nil {
		t.Fatalf("hang up and see the record: %v", err)
	}
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#status`)))
	if err != nil || status != "Call ended: You hung up." {
		t.Errorf("status after hanging up: %q %v", status, err)
	}
	if pc, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.duet.call.peer.pc.connectionState === 'closed'`)); err != nil || !pc {
		t.Errorf("the peer connection is not closed after hanging up: %v", err)
	}
	waitBotLog(t, deadline, botLogs, "hung up")
	t.Logf("done after %v", time.Since(started).Round(time.Millisecond))
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

// saveScreenshot writes png to $DUET_SCREENSHOTS, or to the test's
// temporary directory.
func saveScreenshot(t *testing.T, name string, png []byte) {
	t.Helper()
	dir := os.Getenv(screenshotsEnv)
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the call: %s (%d bytes)", p, len(png))
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
