package web_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"duet/call/bot"
	"duet/call/leaktest"
	"duet/call/server"
)

// Firefox numbers its codecs otherwise than Chromium and Duet (VP8 120,
// Opus 109), so these calls check that Duet sends what was negotiated.

// The web client in Firefox ESR signs in with an invitation link and
// video-calls a duet bot; both decode the other's video.
func TestWebCallsBotInFirefox(t *testing.T) {
	firefox := findFirefox(t)
	leaktest.Check(t)
	started := time.Now()
	db := filepath.Join(t.TempDir(), "duet.db")
	guestToken := addToken(t, db, "guest")
	botToken := addToken(t, db, "qa-bot")
	addr := startServer(t, server.Config{DB: db})
	botLogs := runBot(t, bot.Config{ServerURL: "ws://" + addr + "/ws", Account: "qa-bot", Token: botToken,
		Answer: bot.AnswerAccept, LoopbackOnly: true, ReportEvery: 200 * time.Millisecond})
	deadline, cancel := context.WithTimeout(context.Background(), browserDeadline)
	defer cancel()
	p := startFirefox(t, deadline, firefox)
	t.Logf("firefox up after %v", time.Since(started).Round(time.Millisecond))
	webCallsBot(t, p, addr, guestToken, botLogs, started)
}

// The web client in Firefox ESR and Duet's phone call each other, each
// side placing the call and each side making the offer; both decode the
// other's video.
func TestWebVideoCallsFirefox(t *testing.T) {
	r, p := guestInFirefox(t, 0)
	videoCalls(t, p, r.phone)
}

// The web client in Firefox ESR and Duet's phone in an audio-only call:
// each finds the other's tone at its frequency (Firefox's fake microphone
// plays a 1 kHz sine).
func TestWebAudioCallFirefox(t *testing.T) {
	r, p := guestInFirefox(t, duetToneHz)
	audioCall(t, p, r.phone)
}

// The web client in Chromium calls the web client in Firefox ESR through
// the server: each decodes the other's video, and both keep the record.
func TestWebChromiumToFirefox(t *testing.T) {
	chromium, firefox := findChromium(t), findFirefox(t)
	leaktest.Check(t)
	deadline, cancel := context.WithTimeout(context.Background(), browserDeadline)
	defer cancel()
	db := filepath.Join(t.TempDir(), "duet.db")
	aliceToken, bobToken := addToken(t, db, "alice"), addToken(t, db, "bob")
	addr := startServer(t, server.Config{DB: db})
	alice := startChromium(t, deadline, chromium, chromiumOptions{})
	bob := startFirefox(t, deadline, firefox)
	webToWeb(t, addr, alice, bob, aliceToken, bobToken)
}

// An ICE restart in a video call between the web client in Firefox ESR
// and Duet, started by the page and by Duet: frames flow again on both
// sides, and the longest gap in them is logged.
func TestWebICERestartFirefox(t *testing.T) {
	r, p := guestInFirefox(t, 0)
	iceRestarts(t, p, r.phone)
}
