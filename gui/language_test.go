package gui

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"duet/call/proto"
)

// speakChinese switches the process to Chinese for the test, and back to
// the system's language after it.
func speakChinese(t *testing.T) {
	t.Helper()
	onUI(func() { useLanguage(languageChinese) })
	t.Cleanup(func() { onUI(func() { useLanguage(languageSystem) }) })
}

// Times, durations and messages read as Chinese writes them.
func TestChineseFormats(t *testing.T) {
	speakChinese(t)
	now := time.Date(2026, 3, 10, 15, 0, 0, 0, time.Local) // a Tuesday
	for _, tc := range []struct {
		got, want string
	}{
		{formatWhen(now.Add(-time.Hour), now), "14:00"},
		{formatWhen(now.Add(-26*time.Hour), now), "昨天 13:00"},
		{formatWhen(now.Add(-50*time.Hour), now), "周日 13:00"},
		{formatWhen(now.Add(-30*24*time.Hour), now), "2月8日 15:00"},
		{formatWhen(now.AddDate(-1, 0, 0), now), "2025年3月10日"},
		{spokenDuration(192 * time.Second), "3分12秒"},
		{spokenDuration(7 * time.Second), "7秒"},
		{spokenDuration(3723 * time.Second), "1小时2分"},
		{reasonMessage("bob", proto.ReasonBusy), "bob 忙 — 请稍后再试"},
		{toHistoryRow("me", proto.CallRecord{Caller: "bob", Callee: "me", Type: proto.CallTypeVideo,
			Status: proto.StatusTimeout}).summary(), "视频来电 · 未接来电"},
		{presenceText(proto.PresenceOnline), "在线"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	if !speaksChinese() {
		t.Error("speaksChinese is false")
	}
}

// localeChildEnv makes TestSystemLocale run in a child process as the
// system locale it names.
const localeChildEnv = "DUET_TEST_LOCALE"

// The app follows the system locale when Settings say System: zh_CN picks
// Chinese, in a fresh process whose packages initialise under it; en_US and
// Debian's C.UTF-8 pick English.
func TestSystemLocale(t *testing.T) {
	if want, ok := os.LookupEnv(localeChildEnv); ok {
		useLanguage(languageSystem)
		if got := lang.L("Hang up"); got != want || speaksChinese() != (want == "挂断") {
			t.Fatalf("LANG=%s: Hang up reads %q, want %q", os.Getenv("LANG"), got, want)
		}
		return
	}
	for _, tc := range []struct{ lang, want string }{
		{"zh_CN.UTF-8", "挂断"},
		{"en_US.UTF-8", "Hang up"},
		{"C.UTF-8", "Hang up"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestSystemLocale$", "-test.count=1")
		cmd.Env = []string{localeChildEnv + "=" + tc.want, "LANG=" + tc.lang, "HOME=" + t.TempDir()}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		cancel()
		if err != nil || !strings.Contains(out.String(), "PASS") {
			t.Errorf("LANG=%s: %v\n%s", tc.lang, err, out.String())
		}
	}
}

// pickLanguage chooses a language in a's Settings as the user would.
func (a *desk) pickLanguage(code string) {
	a.t.Helper()
	onUI(func() {
		a.u.main.tabs.SelectIndex(settingsTab)
		a.u.setView.language.SetSelected(languageName(code))
	})
}

// Choosing 中文 in Settings turns the app Chinese at once, its font
// included, keeps what the views showed, and is saved; English and System
// turn it back.
func TestLanguageChoiceInSettings(t *testing.T) {
	r := newRig(t)
	a := r.newApp("alice", "alice-desktop")
	a.signIn()
	t.Cleanup(func() { onUI(func() { useLanguage(languageSystem) }) })
	a.waitFor("alice listed", func() bool { return a.row("alice") != nil })

	a.pickLanguage(languageChinese)
	a.waitFor("Chinese views", func() bool {
		m := a.u.main
		_, cjk := a.u.app.Settings().Theme().(cjkTheme)
		return m.tabs.Items[settingsTab].Text == "设置" && m.signOut.Text == "退出登录" && cjk &&
			m.tabs.SelectedIndex() == settingsTab && a.u.win.Content() == m.root &&
			a.u.setView.language.Selected == "中文" && strings.HasSuffix(m.status.Text, "在线")
	})
	a.saveScreenshot("settings-zh.png")
	if got := a.u.prefs.String(prefLanguage); got != languageChinese {
		t.Errorf("saved language %q", got)
	}
	onUI(func() { a.u.main.tabs.SelectIndex(0) })
	a.waitFor("the contacts kept", func() bool { r := a.row("alice"); return r != nil && r.name.Text == "alice（我）" })

	a.pickLanguage(languageEnglish)
	a.waitFor("English views", func() bool {
		_, cjk := a.u.app.Settings().Theme().(cjkTheme)
		return a.u.main.tabs.Items[settingsTab].Text == "Settings" && a.u.main.signOut.Text == "Sign out" && !cjk
	})
	a.pickLanguage(languageSystem) // the tests run under C.UTF-8: English
	a.waitFor("System chosen", func() bool {
		return a.u.prefs.String(prefLanguage) == languageSystem && a.u.setView.language.Selected == "System" &&
			a.u.main.tabs.Items[settingsTab].Text == "Settings"
	})
	a.tap(func() *widget.Button { return a.u.main.signOut })
	a.waitFor("the sign-in view", func() bool { return a.u.win.Content() == a.u.signin.root })
}

// The screenshots of the main view and a call in English and Chinese
// (docs/screenshots/main-view-LANG.png, call-LANG.png): alice calls bob,
// the call's screen is taken, she hangs up, and the main view is taken
// with the notice saying how long the call took.
func TestLanguageScreenshots(t *testing.T) {
	r := newRig(t)
	alice, bob := r.aliceAndBob()
	t.Cleanup(func() { onUI(func() { useLanguage(languageSystem) }) })
	for _, code := range []string{languageEnglish, languageChinese} {
		suffix := "-en.png"
		if code == languageChinese {
			suffix = "-zh.png"
		}
		alice.pickLanguage(code)
		alice.waitFor("the language in use", func() bool { return speaksChinese() == (code == languageChinese) })
		onUI(func() { alice.u.main.tabs.SelectIndex(0) })
		alice.waitFor("bob online", func() bool { return alice.row("bob") != nil })

		alice.tap(func() *widget.Button { return alice.row("bob").video })
		bob.waitFor("ringing dialog", func() bool { return bob.u.ring != nil && !bob.u.ring.closing })
		bob.tap(func() *widget.Button { return bob.u.ring.acceptVideo })
		alice.waitFor("live video", func() bool {
			return alice.inCall() && alice.u.call.firstFrame && alice.u.callView.remote.Visible() &&
				time.Since(alice.u.call.answered) > 2*time.Second
		})
		alice.saveScreenshot("call" + suffix)
		alice.tap(func() *widget.Button { return alice.u.callView.hangup })
		alice.waitFor("the main view with the call's end", func() bool {
			return alice.u.call == nil && alice.notice() != "" && alice.row("bob") != nil &&
				alice.row("bob").presence.Text == presenceText(proto.PresenceOnline)

		})
		bob.waitFor("bob's call over", func() bool { return bob.u.call == nil })
		alice.saveScreenshot("main-view" + suffix)
	}
}
