package web_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"duet/call/bot"
	"duet/call/leaktest"
	"duet/call/server"
)

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
	addr := startServer(t, server.Config{DB: db})
	botLogs := runBot(t, bot.Config{ServerURL: "ws://" + addr + "/ws", Account: "qa-bot", Token: botToken,
		Answer: bot.AnswerAccept, LoopbackOnly: true, ReportEvery: 200 * time.Millisecond})

	deadline, cancel := context.WithTimeout(context.Background(), browserDeadline)
	defer cancel()
	p := startChromium(t, deadline, chromium, chromiumOptions{})
	t.Logf("chromium up after %v", time.Since(started).Round(time.Millisecond))
	webCallsBot(t, p, addr, guestToken, botLogs, started)
}

// webCallsBot: the page signs in as guest with an invitation link and
// video-calls the bot qa-bot, which answers; both decode the other's
// video; a screenshot of the call; the page hangs up and shows the record.
func webCallsBot(t *testing.T, p *page, addr, guestToken string, botLogs <-chan slog.Record, started time.Time) {
	t.Helper()
	p.signIn(addr, "guest", guestToken, "qa-bot")
	if url := p.string(`location.href`); url != "http://"+addr+"/" {
		t.Errorf("the invitation's token stays in the address bar: %s", url)
	}
	p.click(`#contacts li[data-account="qa-bot"] button.call-video`)
	p.waitVisible(`#call[data-state="in-call"]`)
	cid := p.string(`window.duet.call.cid`)
	if cid == "" {
		t.Fatal("the call has no cid")
	}
	t.Logf("in call %s after %v (the page offered: %v)", cid, time.Since(started).Round(time.Millisecond), p.offered())

	// Each side decodes the other's video.
	frames := p.waitFrames(30)
	botFrames := waitBotFrames(t, p.ctx, botLogs, 30)
	t.Logf("page decoded %d frames, bot %d, after %v", frames, botFrames, time.Since(started).Round(time.Millisecond))

	// The stats line shows the picture the page receives.
	p.waitVisible(`#stats:not(:empty)`)
	shot := "web-client-call.png"
	if p.name != "chromium" {
		shot = "web-client-call-" + p.name + ".png"
	}
	p.saveScreenshot(shot)

	// The page hangs up; the record of the call, completed and ended by
	// the guest, appears in its list.
	p.click(`#hangup`)
	p.waitVisible(`#call[data-state="ended"]`)
	p.waitVisible(fmt.Sprintf(`#history li.record[data-cid=%q][data-status="1"][data-ended-by="guest"]`, cid))
	if status := p.string(`document.getElementById('status').textContent`); status != "Call ended: You hung up." {
		t.Errorf("status after hanging up: %q", status)
	}
	if !p.bool(`window.duet.call.peer.pc.connectionState === 'closed'`) {
		t.Error("the peer connection is not closed after hanging up")
	}
	waitBotLog(t, p.ctx, botLogs, "hung up")
	t.Logf("done after %v", time.Since(started).Round(time.Millisecond))
}
