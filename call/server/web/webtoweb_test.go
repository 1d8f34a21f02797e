package web_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"duet/call/leaktest"
	"duet/call/server"
)

// Two web clients, in two tabs of Chromium, video-call each other through
// the server: each decodes the other's video, and both see the call end.
func TestWebToWebChromium(t *testing.T) {
	chromium := findChromium(t)
	leaktest.Check(t)
	deadline, cancel := context.WithTimeout(context.Background(), browserDeadline)
	defer cancel()
	db := filepath.Join(t.TempDir(), "duet.db")
	aliceToken, bobToken := addToken(t, db, "alice"), addToken(t, db, "bob")
	addr := startServer(t, server.Config{DB: db})
	alice := startChromium(t, deadline, chromium, chromiumOptions{})
	bob := alice.newChromiumTab()
	webToWeb(t, addr, alice, bob, aliceToken, bobToken)
}

func webToWeb(t *testing.T, addr string, alice, bob *page, aliceToken, bobToken string) {
	started := time.Now()
	alice.signIn(addr, "alice", aliceToken, "")
	bob.signIn(addr, "bob", bobToken, "alice")
	alice.click(`#contacts li[data-account="bob"] button.call-video`)
	bob.click(`#call[data-state="incoming"] #answer`)
	alice.waitVisible(`#call[data-state="in-call"]`)
	bob.waitVisible(`#call[data-state="in-call"]`)
	if a, b := alice.offered(), bob.offered(); a == b {
		t.Errorf("alice offered: %v, bob offered: %v; want exactly one", a, b)
	}
	aliceFrames, bobFrames := alice.waitFrames(30), bob.waitFrames(30)
	t.Logf("alice decoded %d frames, bob %d, %v after signing in", aliceFrames, bobFrames, time.Since(started).Round(time.Millisecond))
	cid := alice.string(`window.duet.call.cid`)
	alice.click(`#hangup`)
	alice.waitVisible(`#call[data-state="ended"]`)
	bob.waitVisible(`#call[data-state="ended"]`)
	if got, want := bob.string(`document.getElementById('status').textContent`), "Call ended: alice hung up."; got != want {
		t.Errorf("bob's page says %q, want %q", got, want)
	}
	for _, p := range []*page{alice, bob} {
		p.waitVisible(`#history li.record[data-cid="` + cid + `"][data-status="1"][data-ended-by="alice"]`)
	}
}
