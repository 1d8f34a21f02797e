package web_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// findFirefox returns Debian's firefox-esr (make deps installs it). Under
// CI a missing browser fails the test; elsewhere it skips.
func findFirefox(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"firefox-esr", "firefox"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("firefox-esr is not installed, and CI needs the browser tests: run make deps (apt-get install firefox-esr)")
	}
	t.Skip("firefox-esr is not installed: make deps installs it")
	return ""
}

// firefoxPrefs make a fresh profile quiet, give it a fake camera and
// microphone with no permission prompt, and let media stay on loopback
// with plain host candidates (Duet resolves no mDNS names).
const firefoxPrefs = `
user_pref("media.navigator.streams.fake", true);
user_pref("media.navigator.permission.disabled", true);
user_pref("media.navigator.audio.fake_frequency", 1000);
user_pref("media.autoplay.default", 0);
user_pref("media.autoplay.blocking_policy", 0);
user_pref("media.autoplay.block-webaudio", false);
user_pref("media.peerconnection.ice.loopback", true);
user_pref("media.peerconnection.ice.obfuscate_host_addresses", false);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
user_pref("app.update.disabledForTesting", true);
user_pref("browser.tabs.warnOnClose", false);
`

// bidiURL is the line Firefox prints once its WebDriver BiDi server listens.
var bidiURL = regexp.MustCompile(`WebDriver BiDi listening on (ws://\S+)`)

// startFirefox starts headless Firefox ESR with a fake camera and
// microphone, drives it over WebDriver BiDi, and returns its first tab;
// the browser ends when the test ends. The page's console goes to the
// test's log, and an error nothing caught fails the test.
func startFirefox(t *testing.T, deadline context.Context, firefox string) *page {
	t.Helper()
	profile := t.TempDir()
	if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(firefoxPrefs), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(firefox, "--headless", "--no-remote", "--profile", profile,
		"--remote-debugging-port=0", "--window-size=1280,820", "about:blank")
	cmd.Env = append(os.Environ(), "HOME="+profile, "MOZ_CRASHREPORTER_DISABLE=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start firefox: %v", err)
	}
	exited := make(chan struct{})
	urls := make(chan string, 1)
	go func() {
		// Firefox's messages, and the BiDi address among them.
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := bidiURL.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case urls <- m[1]:
				default:
				}
			}
		}
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	var url string
	select {
	case url = <-urls:
	case <-exited:
		t.Fatal("firefox exited before its WebDriver BiDi server listened")
	case <-deadline.Done():
		cmd.Process.Kill()
		t.Fatalf("firefox: no WebDriver BiDi server: %v", deadline.Err())
	}
	b, err := dialBiDi(deadline, url+"/session", t)
	if err != nil {
		cmd.Process.Kill()
		t.Fatalf("firefox: %v", err)
	}
	// Registered after the process's cleanup, so it runs first: the
	// browser is asked to close before anything waits for it to exit.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		b.call(ctx, "browser.close", map[string]any{}, nil)
		b.close()
	})
	if err := b.call(deadline, "session.new", map[string]any{"capabilities": map[string]any{}}, nil); err != nil {
		t.Fatalf("firefox: new session: %v", err)
	}
	if err := b.call(deadline, "session.subscribe", map[string]any{"events": []string{"log.entryAdded"}}, nil); err != nil {
		t.Fatalf("firefox: subscribe to the console: %v", err)
	}
	var tree struct {
		Contexts []struct{ Context string } `json:"contexts"`
	}
	if err := b.call(deadline, "browsingContext.getTree", map[string]any{}, &tree); err != nil || len(tree.Contexts) == 0 {
		t.Fatalf("firefox: its tab: %v %+v", err, tree)
	}
	return &page{t: t, ctx: deadline, tab: firefoxTab{b: b, context: tree.Contexts[0].Context}, name: "firefox"}
}

// bidi is a minimal WebDriver BiDi client: commands and their results
// matched by id, and console entries to the test's log. Its methods may
// be called concurrently.
type bidi struct {
	t    *testing.T
	conn *websocket.Conn
	done chan struct{} // closed when the reader has stopped

	mu      sync.Mutex
	nextID  int                          // guarded by mu
	pending map[int]chan json.RawMessage // guarded by mu: the whole message
}

func dialBiDi(ctx context.Context, url string, t *testing.T) (*bidi, error) {
	conn, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, fmt.Errorf("dial webdriver bidi %s: %w", url, err)
	}
	conn.SetReadLimit(64 << 20) // screenshots
	b := &bidi{t: t, conn: conn, done: make(chan struct{}), pending: map[int]chan json.RawMessage{}}
	go b.read()
	return b, nil
}

func (b *bidi) read() {
	defer close(b.done)
	for {
		_, data, err := b.conn.Read(context.Background())
		if err != nil {
			return
		}
		var m struct {
			ID     *int            `json:"id"`
			Method string          `json:"method"`
			Params json.RawMessage `json:"params"`
		}
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		if m.ID != nil {
			b.mu.Lock()
			ch := b.pending[*m.ID]
			delete(b.pending, *m.ID)
			b.mu.Unlock()
			if ch != nil {
				ch <- data
			}
			continue
		}
		if m.Method == "log.entryAdded" {
			var e struct {
				Level, Text, Type string
			}
			json.Unmarshal(m.Params, &e)
			if e.Level == "error" && e.Type == "javascript" {
				b.t.Errorf("page: %s", e.Text)
			} else {
				b.t.Logf("page: %s: %s", e.Level, e.Text)
			}
		}
	}
}

// call sends a command and decodes its result into out (nil: drop it).
func (b *bidi) call(ctx context.Context, method string, params any, out any) error {
	ch := make(chan json.RawMessage, 1)
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	b.pending[id] = ch
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.pending, id)
		b.mu.Unlock()
	}()
	msg, err := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err != nil {
		return err
	}
	if err := b.conn.Write(ctx, websocket.MessageText, msg); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case data := <-ch:
		var r struct {
			Type    string          `json:"type"`
			Result  json.RawMessage `json:"result"`
			Error   string          `json:"error"`
			Message string          `json:"message"`
		}
		if err := json.Unmarshal(data, &r); err != nil {
			return fmt.Errorf("%s: %w", method, err)
		}
		if r.Type == "error" {
			return fmt.Errorf("%s: %s: %s", method, r.Error, r.Message)
		}
		if out == nil {
			return nil
		}
		return json.Unmarshal(r.Result, out)
	case <-b.done:
		return fmt.Errorf("%s: the browser's connection closed", method)
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

func (b *bidi) close() {
	b.conn.Close(websocket.StatusNormalClosure, "")
	<-b.done
}

// firefoxTab drives one browsing context over WebDriver BiDi.
type firefoxTab struct {
	b       *bidi
	context string
}

func (f firefoxTab) navigate(ctx context.Context, url string) error {
	return f.b.call(ctx, "browsingContext.navigate", map[string]any{"context": f.context, "url": url, "wait": "complete"}, nil)
}

func (f firefoxTab) evalJSON(ctx context.Context, expr string) ([]byte, error) {
	var r struct {
		Type   string `json:"type"`
		Result struct {
			Type  string          `json:"type"`
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	err := f.b.call(ctx, "script.evaluate", map[string]any{"expression": expr, "target": map[string]any{"context": f.context},
		"awaitPromise": true, "resultOwnership": "none"}, &r)
	switch {
	case err != nil:
		return nil, err
	case r.Type == "exception":
		return nil, errors.New(r.ExceptionDetails.Text)
	case r.Result.Type == "undefined" || r.Result.Type == "null":
		return []byte("null"), nil
	}
	// Primitive values come as their JSON; the page's helpers only
	// return strings.
	return r.Result.Value, nil
}

func (f firefoxTab) screenshot(ctx context.Context) ([]byte, error) {
	var r struct {
		Data string `json:"data"`
	}
	if err := f.b.call(ctx, "browsingContext.captureScreenshot", map[string]any{"context": f.context}, &r); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(r.Data)
}
