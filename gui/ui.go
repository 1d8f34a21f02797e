package gui

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"
	"github.com/pion/transport/v5"

	"duet/call"
	"duet/call/phone"
)

// uiMu stands for the UI thread. Under the real driver everything it guards
// already runs on the main goroutine and the lock is never contended; under
// Fyne's test driver, where fyne.Do runs a function on the calling
// goroutine, it keeps posted work and the test's own taps from overlapping.
// Code that runs on the UI thread must never wait for a goroutine that posts.
var uiMu sync.Mutex

// ui is one window of the app and everything behind it. Apart from the
// fields marked otherwise, it is owned by the UI thread.
type ui struct {
	devCheck atomic.Pointer[deviceCheck] // the device test in Settings, while one runs

	app   fyne.App
	win   fyne.Window
	cfg   Config
	log   *slog.Logger
	prefs fyne.Preferences
	// dispatch runs a function on the UI thread later: fyne.Do.
	dispatch func(func())

	ctx    context.Context // ends at shutdown; parent of all background work
	cancel context.CancelFunc
	bg     sync.WaitGroup // every goroutine started by goBG

	settings settingsStore // read by the phone's goroutines
	devs     deviceSource  // never nil; used by goroutines, immutable
	// autoSynthetic: no camera or microphone was found and the user never
	// chose, so the synthetic sources stand in (see discoverDevices).
	autoSynthetic bool
	// pendingNotice waits for the main view to show (see firstRunNotice).
	pendingNotice string
	captured      captureOutcome // the last capture opened for a call

	closed   bool
	focused  bool // the window has input focus
	conn     connection
	call     *activeCall // the call on screen, nil when none
	callView *callScreen // its widgets
	ring     *ringingDialog
	ringtone ringtone

	signin   *signInView
	main     *mainView
	contacts *contactsView
	history  *historyView
	setView  *settingsView
	smoke    *smokeRun // nil unless Config.ScreenshotPath
	host     hostState
	lanICE   atomic.Bool // hosting: calls gather LAN candidates; read by the phone's goroutines
	// confirmPopUp is the short note confirm shows off the main view.
	confirmPopUp *widget.PopUp

	noAnswerTimeout time.Duration // 0: the client's default (30 s); tests shorten it
	// tuneClient, if set, adjusts the client's config before signing in:
	// tests shorten its reconnect and ping timings. Never set by Run.
	tuneClient    func(*call.Config)
	shortcutsHelp dialog.Dialog // the open keyboard shortcuts list, or nil
	fullSize      fyne.Size     // the window's size before the compact call; zero when not compact
	poorCalls     *poorCalls    // which calls were poor, for the history
	// mediaNet, if set, carries the calls' media over a virtual network:
	// tests impair the link with it. Never set by Run.
	mediaNet transport.Net
}

// newUI builds the app's views in win. dispatch must run functions on the UI
// thread (fyne.Do). Call it on the UI thread.
func newUI(a fyne.App, win fyne.Window, cfg Config, dispatch func(func())) *ui {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Version == "" {
		cfg.Version = "0.1.0"
	}
	if cfg.MeasureFor <= 0 {
		cfg.MeasureFor = 5 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	u := &ui{app: a, win: win, cfg: cfg, log: cfg.Logger, prefs: a.Preferences(), dispatch: dispatch,
		ctx: ctx, cancel: cancel}
	u.settings.set(loadSettings(u.prefs, cfg))
	u.devs = cfg.devices
	if u.devs == nil {
		u.devs = machineDevices{}
	}
	u.ringtone = loadRingtone(u.log)
	useLanguage(u.prefs.String(prefLanguage))
	useLanguageTheme(a)
	u.poorCalls = loadPoorCalls(u.prefs)
	u.buildViews(loadSignIn(u.prefs, cfg))
	u.addShortcuts()
	if cfg.ScreenshotPath != "" && cfg.AutoCall != "" {
		u.smoke = &smokeRun{path: cfg.ScreenshotPath, measure: cfg.MeasureFor}
	}
	lc := a.Lifecycle()
	lc.SetOnEnteredForeground(func() { u.focused = true })
	lc.SetOnExitedForeground(func() { u.focused = false })
	win.SetContent(u.signin.root)
	u.discoverDevices()
	if cfg.AutoSignIn {
		if f, err := u.signin.form().normalize(); err == nil {
			u.signIn(f)
		}
	}
	return u
}

// buildViews makes the sign-in view and the main view with its tabs, in
// the language in use. UI thread.
func (u *ui) buildViews(f signInForm) {
	u.signin = newSignInView(f, u.signIn)
	u.contacts = newContactsView(u.placeCall)
	u.history = newHistoryView(u.placeCall, u.loadMoreHistory, u.reloadHistory)
	u.history.poor = u.poorCalls.reason
	u.setView = newSettingsView(u.settings.get(), u.cfg.Version, u.saveSettings, u.refreshDevices)
	u.setView.addLanguage(u.prefs.String(prefLanguage), u.setLanguage)
	u.setView.addCheck(newCheckSection(u.toggleDeviceCheck, u.playTestSound))
	u.main = newMainView(u.contacts.root, u.history.root, u.setView.root, u.signOut)
	u.main.onTab = u.tabChanged
	u.setView.addActions(newActionsSection(u.hostTapped, u.stopHosting, u.copyDiagnostics, u.showShortcuts))
	u.main.hosting.OnTapped = u.hostTapped
	u.syncHosting()
}

// rebuildViews builds the views again, after a change of language, with
// what the old ones showed: the form, the contacts, the history, the
// connection's state. UI thread.
func (u *ui) rebuildViews() {
	if d := u.devCheck.Swap(nil); d != nil { // its preview is in the old Settings
		u.goBG(func(context.Context) { d.stop() })
	}
	onMain := u.win.Content() == u.main.root
	book, hist := u.contacts.book, u.history.model
	u.buildViews(u.signin.form())
	u.contacts.book = book
	u.contacts.filter.SetText(book.filter)
	u.contacts.refresh()
	u.history.model = hist
	u.history.refresh()
	switch u.conn.state {
	case connOnline:
		u.main.setStatus(connOnline, u.conn.cfg.Account, "")
	case connReconnecting:
		u.main.setStatus(connReconnecting, u.conn.cfg.Account, lang.L(reconnectingText))
	}
	u.refreshDevices()
	if onMain {
		u.win.SetContent(u.main.root)
	} else if u.call == nil {
		u.win.SetContent(u.signin.root)
	}
}

// post runs f on the UI thread, after whatever was posted before it. It
// never blocks and may be called from any goroutine; f is dropped once the
// ui has shut down.
func (u *ui) post(f func()) { u.postOr(f, nil) }

// postOr is post for results that own something: when the ui has shut down
// before f could run, dropped runs instead (in its own goroutine) to release it.
func (u *ui) postOr(f, dropped func()) {
	u.dispatch(func() {
		uiMu.Lock()
		defer uiMu.Unlock()
		if u.closed {
			if dropped != nil {
				go dropped()
			}
			return
		}
		f()
	})
}

// goBG runs f in a goroutine that shutdown cancels and waits for.
func (u *ui) goBG(f func(ctx context.Context)) {
	u.bg.Add(1)
	go func() {
		defer u.bg.Done()
		f(u.ctx)
	}()
}

// after runs f on the UI thread after d, unless the ui shuts down first.
func (u *ui) after(d time.Duration, f func()) {
	u.goBG(func(ctx context.Context) {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			u.post(f)
		case <-ctx.Done():
		}
	})
}

// shutdown ends the call, signs out and waits for every goroutine. Call it
// with uiMu not held (it takes it for the UI state); it is idempotent.
func (u *ui) shutdown() {
	uiMu.Lock()
	if u.closed {
		uiMu.Unlock()
		return
	}
	u.closed = true
	u.stopRinging()
	ph, inCall := u.conn.ph, u.call != nil
	u.conn.ph = nil
	u.conn.stopDialing()
	if u.call != nil {
		u.call.stopGoroutines()
	}
	u.cancel()
	uiMu.Unlock()
	if d := u.devCheck.Swap(nil); d != nil {
		d.stop()
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		if ph != nil {
			if inCall {
				// Tell the peer now rather than after the server's grace period.
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				ph.Hangup(ctx)
				cancel()
			}
			ph.Close()
		}
		u.bg.Wait()
	}()
	// Quitting must not hang on a stuck device or peer connection.
	select {
	case <-done:
	case <-time.After(shutdownWait):
		u.log.Error("quitting with work still running", "waited", shutdownWait)
	}
}

// shutdownWait bounds how long closing the app waits for calls and devices.
const shutdownWait = 10 * time.Second

// phone is the signed-in phone, or nil.
func (u *ui) phone() *phone.Phone { return u.conn.ph }
