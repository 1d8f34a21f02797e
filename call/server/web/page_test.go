package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"duet/call/leaktest"
)

// browserDeadline bounds each browser test: the browser's start, its
// calls and their ends. A test takes 5–15 s on an idle machine and up to
// three times that beside CPU-heavy work; the bound leaves room for make
// test's other packages.
const browserDeadline = 60 * time.Second

// screenshotsEnv names a directory for the tests' screenshots; without it
// they go to each test's temporary directory.
const screenshotsEnv = "DUET_SCREENSHOTS"

// tab is one page of a headless browser, driven by a test. Its methods
// are called from the test's goroutine only.
type tab interface {
	navigate(ctx context.Context, url string) error
	// evalJSON evaluates a JavaScript expression, awaits it if it is a
	// promise, and returns its value as JSON ("null" for undefined).
	evalJSON(ctx context.Context, expr string) ([]byte, error)
	screenshot(ctx context.Context) ([]byte, error)
}

// page is the web client in a tab, with the test's deadline. Everything
// it does is plain JavaScript on the page, so a test reads the same in
// every browser.
type page struct {
	t    *testing.T
	ctx  context.Context
	tab  tab
	name string // the browser, for messages and file names
}

// in is p for subtest t.
func (p *page) in(t *testing.T) *page {
	q := *p
	q.t = t
	return &q
}

// eval evaluates expr and decodes its value into out (nil: drop it); an
// error fails the test.
func (p *page) eval(expr string, out any) {
	p.t.Helper()
	if err := p.tryEval(expr, out); err != nil {
		p.t.Fatalf("%s: evaluate %.80q: %v", p.name, expr, err)
	}
}

func (p *page) tryEval(expr string, out any) error {
	// JSON.stringify makes every browser's answer the same plain JSON.
	b, err := p.tab.evalJSON(p.ctx, "(async () => JSON.stringify(await ("+expr+")) ?? 'null')()")
	if err != nil {
		return err
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("result %s: %w", b, err)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal([]byte(s), out)
}

func (p *page) bool(expr string) bool {
	p.t.Helper()
	var v bool
	p.eval(expr, &v)
	return v
}

func (p *page) int(expr string) int {
	p.t.Helper()
	var v float64
	p.eval(expr, &v)
	return int(v)
}

func (p *page) string(expr string) string {
	p.t.Helper()
	var v string
	p.eval(expr, &v)
	return v
}

// waitFor polls expr until it is true.
func (p *page) waitFor(what, expr string) {
	p.t.Helper()
	for {
		var ok bool
		err := p.tryEval("!!("+expr+")", &ok)
		if err == nil && ok {
			return
		}
		if p.ctx.Err() != nil {
			p.t.Fatalf("%s: %s: not within the deadline (%v); the page says %q", p.name, what, err, p.statusText())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// statusText is the call panel's words and the sign-in error, for messages.
func (p *page) statusText() string {
	var s string
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	b, err := p.tab.evalJSON(ctx, `JSON.stringify([document.getElementById('status').textContent, document.getElementById('signin-error').textContent].join(' | '))`)
	if err == nil {
		var j string
		if json.Unmarshal(b, &j) == nil {
			json.Unmarshal([]byte(j), &s)
		}
	}
	return s
}

// visibleJS is true when the element sel matches is shown.
func visibleJS(sel string) string {
	return fmt.Sprintf(`(() => { const e = document.querySelector(%s); return !!e && e.checkVisibility(); })()`, strconv.Quote(sel))
}

func (p *page) waitVisible(sel string) {
	p.t.Helper()
	p.waitFor(sel+" shown", visibleJS(sel))
}

// click waits until the button sel is shown and enabled and clicks it.
func (p *page) click(sel string) {
	p.t.Helper()
	p.waitFor(sel+" clickable", visibleJS(sel)+` && !document.querySelector(`+strconv.Quote(sel)+`).disabled`)
	p.eval(`document.querySelector(`+strconv.Quote(sel)+`).click()`, nil)
}

// signIn opens the invitation link of account and waits until the
// contact peer is online (peer "": until signed in).
func (p *page) signIn(addr, account, token, peer string) {
	p.t.Helper()
	if err := p.tab.navigate(p.ctx, fmt.Sprintf("http://%s/#invite=%s:%s", addr, account, token)); err != nil {
		p.t.Fatalf("%s: open the invitation: %v", p.name, err)
	}
	if peer == "" {
		p.waitFor("signed in", `document.body.dataset.view === 'home' && document.getElementById('link').dataset.state === 'online'`)
		return
	}
	p.waitVisible(fmt.Sprintf(`#contacts li[data-account=%q][data-presence="online"] button.call-video`, peer))
}

// framesJS is how many frames of the remote video the page's
// RTCPeerConnection decoded.
const framesJS = `(async () => {
	const pc = window.duet.pc;
	if (!pc) return 0;
	let n = 0;
	(await pc.getStats()).forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') n = r.framesDecoded || 0; });
	return n;
})()`

// waitFrames waits until the page decoded at least n frames.
func (p *page) waitFrames(n int) int {
	p.t.Helper()
	for {
		got := p.int(framesJS)
		if got >= n {
			return got
		}
		if p.ctx.Err() != nil {
			p.t.Fatalf("%s: the page decoded %d frames, want %d", p.name, got, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// offered says whether the page made the call's first offer: its peer
// says so, and its local description is the offer.
func (p *page) offered() bool {
	p.t.Helper()
	var r struct {
		First bool
		Local string
	}
	p.eval(`({first: window.duet.call.peer.firstOfferer, local: window.duet.pc.localDescription && window.duet.pc.localDescription.type})`, &r)
	if r.First != (r.Local == "offer") {
		p.t.Errorf("%s: the page's peer says firstOfferer=%v, its local description is an %q", p.name, r.First, r.Local)
	}
	return r.First
}

// holdJoin, when hold, keeps the page's next call out of its room until
// releaseJoin, so the peer is there first and makes the offer; else the
// page joins at once. Call it before the call exists; clickArmed puts
// the hold in place.
func (p *page) holdJoin(hold bool) {
	p.t.Helper()
	if hold {
		p.eval(`void (window.testJoinGate = new Promise((r) => { window.testReleaseJoin = r; }))`, nil)
	} else {
		p.eval(`window.testJoinGate = null`, nil)
	}
}

func (p *page) releaseJoin() { p.eval(`window.testReleaseJoin()`, nil) }

// armJoinJS wraps the call's join so that it waits for the gate, if any.
const armJoinJS = `(() => {
	const C = Object.getPrototypeOf(window.duet.call);
	if (!C.testJoin) {
		C.testJoin = C.join;
		C.join = async function () { await window.testJoinGate; return C.testJoin.call(this); };
	}
})()`

// clickArmed clicks sel and, in the same turn, arms the join hold.
func (p *page) clickArmed(sel string) {
	p.t.Helper()
	p.waitFor(sel+" clickable", visibleJS(sel)+` && !document.querySelector(`+strconv.Quote(sel)+`).disabled`)
	p.eval(`(() => { if (window.duet.call) `+armJoinJS+`; document.querySelector(`+strconv.Quote(sel)+`).click(); `+armJoinJS+`; })()`, nil)
}

// inRoomJS is true once the page's call has joined its room.
const inRoomJS = `!!(window.duet.call && window.duet.call.peer)`

func (p *page) saveScreenshot(name string) {
	p.t.Helper()
	png, err := p.tab.screenshot(p.ctx)
	if err != nil {
		p.t.Fatalf("%s: screenshot: %v", p.name, err)
	}
	dir := os.Getenv(screenshotsEnv)
	if dir == "" {
		dir = p.t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	f := filepath.Join(dir, name)
	if err := os.WriteFile(f, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot of the call: %s (%d bytes)", f, len(png))
}

// guestInChromium starts the rig (a bot phone sending toneHz) and a
// Chromium page signed in as the guest, both bounded by browserDeadline.
func guestInChromium(t *testing.T, toneHz float64, o chromiumOptions) (*webRig, *page) {
	t.Helper()
	chromium := findChromium(t)
	leaktest.Check(t)
	deadline, cancel := context.WithTimeout(context.Background(), browserDeadline)
	t.Cleanup(cancel)
	r := newWebRig(t, deadline, toneHz)
	p := startChromium(t, deadline, chromium, o)
	p.signIn(r.addr, "guest", r.guestToken, "duet")
	return r, p
}

// guestInFirefox is guestInChromium in Firefox.
func guestInFirefox(t *testing.T, toneHz float64) (*webRig, *page) {
	t.Helper()
	firefox := findFirefox(t)
	leaktest.Check(t)
	deadline, cancel := context.WithTimeout(context.Background(), browserDeadline)
	t.Cleanup(cancel)
	r := newWebRig(t, deadline, toneHz)
	p := startFirefox(t, deadline, firefox)
	p.signIn(r.addr, "guest", r.guestToken, "duet")
	return r, p
}
