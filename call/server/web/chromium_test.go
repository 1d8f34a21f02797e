package web_test

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/chromedp/chromedp"
)

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
		t.Fatal("chromium is not installed, and CI needs the browser tests: run make deps (apt-get install chromium)")
	}
	t.Skip("chromium is not installed: make deps installs it")
	return ""
}

// chromiumOptions tune startChromium.
type chromiumOptions struct {
	// audioFile is a WAV file the fake microphone plays in a loop instead
	// of its beep.
	audioFile string
}

// startChromium starts headless Chromium with a fake camera and
// microphone that need no permission prompt, and returns its first tab;
// the browser closes when the test ends. The page's console goes to the
// test's log, and an exception nothing caught fails the test.
func startChromium(t *testing.T, deadline context.Context, chromium string, o chromiumOptions) *page {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 820),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		// Media stays on this machine: Duet offers loopback candidates only.
		chromedp.Flag("allow-loopback-in-peer-connection", true),
	)
	if o.audioFile != "" {
		opts = append(opts, chromedp.Flag("use-file-for-fake-audio-capture", o.audioFile))
	}
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses its sandbox to root
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(deadline, opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelAlloc)
	return chromiumTab(t, deadline, ctx, cancel)
}

// newChromiumTab opens another tab in p's browser; it shares the browser's
// storage (and so the deviceIds the page keeps there).
func (p *page) newChromiumTab() *page {
	p.t.Helper()
	ctx, cancel := chromedp.NewContext(p.tab.(chromiumPage).ctx)
	return chromiumTab(p.t, p.ctx, ctx, cancel)
}

func chromiumTab(t *testing.T, deadline, ctx context.Context, cancel context.CancelFunc) *page {
	t.Helper()
	console := make(chan struct{})
	t.Cleanup(func() {
		cancel()
		<-console
	})
	if err := chromedp.Do(ctx); err != nil {
		close(console)
		t.Fatalf("start chromium: %v", err)
	}
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
	return &page{t: t, ctx: deadline, tab: chromiumPage{ctx}, name: "chromium"}
}

// chromiumPage drives a tab over the DevTools protocol.
type chromiumPage struct{ ctx context.Context }

func (c chromiumPage) navigate(ctx context.Context, url string) error {
	bctx, cancel := c.bound(ctx)
	defer cancel()
	return chromedp.Do(bctx, chromedp.Navigate(url))
}

func (c chromiumPage) evalJSON(ctx context.Context, expr string) ([]byte, error) {
	bctx, cancel := c.bound(ctx)
	defer cancel()
	return chromedp.Run(bctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
}

func (c chromiumPage) screenshot(ctx context.Context) ([]byte, error) {
	bctx, cancel := c.bound(ctx)
	defer cancel()
	return chromedp.Run(bctx, chromedp.CaptureScreenshot())
}

// bound is the tab's context, ended early by ctx's deadline.
func (c chromiumPage) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok {
		return context.WithDeadline(c.ctx, d)
	}
	return context.WithCancel(c.ctx)
}
