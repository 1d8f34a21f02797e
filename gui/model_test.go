package gui

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"github.com/pion/webrtc/v4"

	"duet/call"
	"duet/call/media"
	"duet/call/proto"
	"duet/devices"
)

func TestSignInFormNormalize(t *testing.T) {
	for _, tc := range []struct {
		server, want, err string
	}{
		{"127.0.0.1:7600", "ws://127.0.0.1:7600/ws", ""},
		{"duet.example.com:7600", "wss://duet.example.com:7600/ws", ""}, // TLS beyond loopback
		{" ws://host:1/ws ", "ws://host:1/ws", ""},
		{"http://host:1", "ws://host:1/ws", ""},
		{"https://duet.example.com", "wss://duet.example.com/ws", ""},
		{"wss://duet.example.com/custom", "wss://duet.example.com/custom", ""},
		{"", "", "Enter the server address"},
		{"ftp://host", "", "use wss://"},
		{"ws://", "", "is not a server address"},
	} {
		got, err := signInForm{Server: tc.server, Account: "alice"}.normalize()
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want one with %q", tc.server, err, tc.err)
		case tc.err == "" && (err != nil || got.Server != tc.want):
			t.Errorf("%q → %q, %v; want %q", tc.server, got.Server, err, tc.want)
		}
	}
	if _, err := (signInForm{Server: "h:1", Account: "  "}).normalize(); err == nil {
		t.Error("empty account accepted")
	}
}

func TestSignInErrorMessages(t *testing.T) {
	const url = "ws://10.0.0.9:7600/ws"
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("sign in: %w", proto.Errorf(proto.CodeUnauthorized, "wrong account or token")), "Wrong account or token"},
		{fmt.Errorf("dial: %w", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}), "Cannot reach the server at 10.0.0.9:7600"},
		{fmt.Errorf("dial: %w", &net.DNSError{Name: "nope"}), "Cannot find the server 10.0.0.9:7600"},
		{fmt.Errorf("dial: %w", errors.New("expected handshake response status code 101 but got 404")), "is not a Duet server"},
		{fmt.Errorf("dial: %w: the server speaks TLS", call.ErrTLSMismatch), "uses TLS — enter wss://10.0.0.9:7600/ws"},
		{errors.New("something odd"), "Sign-in failed: something odd"},
	} {
		if got := signInError(url, tc.err); !strings.Contains(got, tc.want) {
			t.Errorf("%v → %q, want %q", tc.err, got, tc.want)
		}
	}
	notTLS := fmt.Errorf("dial: %w: the server does not speak TLS", call.ErrTLSMismatch)
	if got := signInError("wss://10.0.0.9:7600/ws", notTLS); !strings.Contains(got, "does not use TLS — enter ws://10.0.0.9:7600/ws") {
		t.Errorf("wss:// to a plain server → %q", got)
	}
}

func TestEnumStrings(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{connSignedOut.String(), "signed out"}, {connConnecting.String(), "connecting"},
		{connOnline.String(), "online"}, {connReconnecting.String(), "reconnecting"}, {connState(9).String(), "unknown(9)"},
		{phaseDialing.String(), "dialing"}, {phaseRinging.String(), "ringing"}, {phaseConnecting.String(), "connecting"},
		{phaseLive.String(), "live"}, {phaseEnded.String(), "ended"}, {callPhase(9).String(), "unknown(9)"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestContactBook(t *testing.T) {
	var b contactBook
	b.self = "carol"
	b.set([]proto.Contact{{Account: "dave", Presence: proto.PresenceOffline}, {Account: "Bob", Presence: proto.PresenceOnline},
		{Account: "carol", Presence: proto.PresenceOnline}, {Account: "alice", Presence: proto.PresenceInCall}})
	if got := names(b.shown); got != "carol alice Bob dave" {
		t.Fatalf("order %q: want self first, then by name", got)
	}
	b.setPresence("dave", proto.PresenceOnline)
	b.setPresence("erin", proto.PresenceOnline) // new account
	if got := names(b.shown); got != "carol alice Bob dave erin" || b.shown[3].Presence != proto.PresenceOnline {
		t.Fatalf("after presence: %q %v", got, b.shown)
	}
	b.setFilter(" B ")
	if got := names(b.shown); got != "Bob" {
		t.Fatalf("filter b: %q", got)
	}
	b.setFilter("zz")
	if len(b.shown) != 0 || !strings.Contains(b.emptyText(), "Nobody matches") {
		t.Fatalf("filter zz: %v %q", b.shown, b.emptyText())
	}
	var empty contactBook
	if !strings.HasPrefix(empty.emptyText(), "No contacts yet") {
		t.Fatal(empty.emptyText())
	}
}

func names(cs []proto.Contact) string {
	var s []string
	for _, c := range cs {
		s = append(s, c.Account)
	}
	return strings.Join(s, " ")
}

func TestHistoryRows(t *testing.T) {
	now := time.Date(2026, 3, 10, 15, 0, 0, 0, time.Local)
	rec := func(seq int64, caller, callee string, st proto.CallStatus, dur time.Duration) proto.CallRecord {
		return proto.CallRecord{Seq: seq, CID: fmt.Sprint("c", seq), Caller: caller, Callee: callee, Type: proto.CallTypeVideo,
			Status: st, CreatedAt: now.Add(-time.Duration(seq) * time.Hour).UnixMilli(), Duration: dur.Milliseconds()}
	}
	for _, tc := range []struct {
		r    proto.CallRecord
		want string
	}{
		{rec(1, "me", "bob", proto.StatusCompleted, 65*time.Second), "bob: Outgoing video call · Completed · 1 min 5 s"},
		{rec(2, "bob", "me", proto.StatusCancelled, 0), "bob: Incoming video call · Missed"},
		{rec(3, "bob", "me", proto.StatusTimeout, 0), "bob: Incoming video call · Missed"},
		{rec(4, "me", "bob", proto.StatusTimeout, 0), "bob: Outgoing video call · No answer"},
		{rec(5, "me", "bob", proto.StatusBusy, 0), "bob: Outgoing video call · Busy"},
		{rec(6, "me", "bob", proto.StatusRejected, 0), "bob: Outgoing video call · Declined"},
		{rec(7, "me", "bob", proto.StatusOffline, 0), "bob: Outgoing video call · Offline"},
		{rec(8, "bob", "me", proto.StatusNetworkLost, 2*time.Hour), "bob: Incoming video call · Connection lost · 2 h 0 min"},
	} {
		row := toHistoryRow("me", tc.r)
		if got := row.peer + ": " + row.summary(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}

	var m historyModel
	m.self = "me"
	m.replace(proto.HistoryResult{Records: []proto.CallRecord{rec(5, "me", "a", 1, 0), rec(4, "me", "b", 1, 0)}, Next: 4})
	m.more(proto.HistoryResult{Records: []proto.CallRecord{rec(3, "me", "c", 1, 0)}})
	m.merge(toHistoryRow("me", rec(9, "me", "d", 1, 0)))
	m.merge(toHistoryRow("me", rec(5, "me", "a", 3, 0))) // same cid again: replaced
	var got []string
	for _, r := range m.rows {
		got = append(got, fmt.Sprint(r.seq, r.peer))
	}
	if strings.Join(got, ",") != "9d,5a,4b,3c" || m.next != 0 || m.rows[1].status != 3 {
		t.Fatalf("rows %v next %d", got, m.next)
	}
}

func TestFormatWhen(t *testing.T) {
	now := time.Date(2026, 3, 10, 15, 0, 0, 0, time.Local) // a Tuesday
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{now.Add(-time.Hour), "14:00"},
		{now.Add(-26 * time.Hour), "Yesterday 13:00"},
		{now.Add(-50 * time.Hour), "Sun 13:00"},
		{now.Add(-30 * 24 * time.Hour), "Feb 8, 15:00"},
		{now.AddDate(-1, 0, 0), "Mar 10, 2025"},
	} {
		if got := formatWhen(tc.t, now); got != tc.want {
			t.Errorf("formatWhen(%s) = %q, want %q", tc.t, got, tc.want)
		}
	}
}

func TestCallMessages(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{reasonMessage("bob", proto.ReasonRejected), "bob declined the call"},
		{reasonMessage("bob", proto.ReasonBusy), "bob is busy — try again later"},
		{reasonMessage("bob", proto.ReasonTimeout), "bob did not answer"},
		{reasonMessage("bob", proto.ReasonHangup), "bob hung up"},
		{reasonMessage("bob", proto.ReasonNetworkLost), "The call with bob dropped: the connection was lost"},
		{callError("bob", fmt.Errorf("call bob: %w", proto.Errorf(proto.CodeCalleeOffline, "x"))), "bob is offline — try again later"},
		{callError("bob", proto.Errorf(proto.CodeUnknownAccount, "x")), "There is no account named bob"},
		{callError("bob", call.ErrInCall), "You are already in a call — hang up first"},
		{callError("bob", fmt.Errorf("call bob: %w", call.ErrReconnecting)), notConnected},
		{acceptError(proto.Errorf(proto.CodeWrongState, "x")), "The call was answered on another device"},
		{acceptError(proto.Errorf(proto.CodeNoSuchCall, "x")), "The caller hung up before the call was answered"},
		{formatDuration(0), "0:00"}, {formatDuration(65 * time.Second), "1:05"}, {formatDuration(3723 * time.Second), "1:02:03"},
		{initials("alice"), "A"}, {initials("bob.smith"), "BS"}, {initials("ünal-öz-x"), "ÜÖ"}, {initials("--"), "?"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestActiveCallStatus(t *testing.T) {
	t0 := time.Now()
	ac := newActiveCall("bob", proto.CallTypeVideo, true)
	ac.placed = t0
	if got := ac.status(t0); got != "Video call · Calling…" {
		t.Errorf("dialing: %q", got)
	}
	ac.phase = phaseRinging
	if got := ac.status(t0.Add(7 * time.Second)); got != "Video call · Ringing 0:07" {
		t.Errorf("ringing: %q", got)
	}
	ac.setReconnecting(true) // the outgoing panel has no banner
	if got := ac.status(t0); got != "Reconnecting…" {
		t.Errorf("ringing, reconnecting: %q", got)
	}
	ac.setReconnecting(false)
	ac.phase, ac.answered = phaseConnecting, t0
	if got, banner := ac.status(t0), ac.banner(t0); got != "Connecting…" || banner != "Connecting…" {
		t.Errorf("connecting: %q under %q", got, banner)
	}
	ac.phase = phaseLive
	if got := ac.status(t0.Add(75 * time.Second)); got != "1:15" {
		t.Errorf("live: %q", got)
	}
	// Signaling lost: an answered call keeps its clock under the banner.
	ac.setReconnecting(true)
	if got, banner := ac.status(t0.Add(75*time.Second)), ac.banner(t0); got != "1:15" || banner != reconnectingText {
		t.Errorf("live, reconnecting: %q under %q", got, banner)
	}
	ac.setReconnecting(false)
	ac.reconnectedAt = t0
	if got := ac.banner(t0.Add(time.Second)); got != "Reconnected" {
		t.Errorf("just reconnected: banner %q", got)
	}
	if got := ac.banner(t0.Add(reconnectedFor)); got != "" {
		t.Errorf("reconnected a while ago: banner %q", got)
	}
	// The media path lost and being restored (ICE restart): the call goes on.
	for _, st := range []webrtc.PeerConnectionState{webrtc.PeerConnectionStateDisconnected,
		webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateConnecting} {
		ac.mediaState = st
		if got := ac.status(t0); got != "Connecting…" {
			t.Errorf("live, media %s: %q", st, got)
		}
	}
	ac.mediaState = webrtc.PeerConnectionStateConnected
	if ac.showRemoteVideo() {
		t.Error("video shown before the first frame")
	}
	ac.firstFrame = true
	if !ac.showRemoteVideo() {
		t.Error("no video after the first frame")
	}
	ac.peerVideo = false
	if ac.showRemoteVideo() {
		t.Error("video shown while the peer's camera is off")
	}
	ac.mode = proto.CallTypeAudio
	if ac.video() || ac.status(t0) != "0:00" {
		t.Error("audio-only answer still counts as video")
	}
	st := statsText(media.Stats{Width: 640, Height: 480, FPS: 30, RecvKbps: 812, SendKbps: 790, RTT: 1500 * time.Microsecond, Loss: 0.012,
		SendWidth: 480, SendHeight: 360, SendFPS: 30, TargetKbps: 900, ResentPct: 2.5, Freezes: 2, FreezeTime: 700 * time.Millisecond,
		AudioConcealedPct: 1.5, AudioDelay: 40 * time.Millisecond, SentLoss: 0.04, Quality: media.QualityFair,
		QualityReason: media.ReasonLocal})
	for _, want := range []string{"640×480 @ 30 fps", "sending 480×360 @ 30 fps", "↓ 812 kbit/s", "estimate 900", "2.5 % resent",
		"RTT 1.5 ms", "loss 1.2 %", "sent lost 4.0 %", "freezes 2 (0.7 s)", "audio concealed 1.5 %", "buffer 40 ms",
		"quality fair (local)"} {
		if !strings.Contains(st, want) {
			t.Errorf("stats text %q lacks %q", st, want)
		}
	}
}

// The ringtone asset decodes (devices.DecodeWAV, fuzzed there) and is
// loud enough to hear.
func TestRingtoneDecodes(t *testing.T) {
	rt := loadRingtone(slog.New(slog.DiscardHandler))
	if rt.rate != 48000 || rt.channels != 1 || len(rt.pcm) != 2*48000 {
		t.Fatalf("ringtone: %d samples at %d Hz × %d", len(rt.pcm), rt.rate, rt.channels)
	}
	rep, err := devices.AnalyzePCM(rt.pcm[:24000], rt.rate, rt.channels)
	if err != nil || rep.DBFS() < -20 {
		t.Errorf("ringtone is too quiet: %v %v", rep, err)
	}
}

func TestSettingsPrefs(t *testing.T) {
	r := newRig(t)
	a := r.newApp("alice", "d")
	p := a.u.prefs
	Settings{CameraID: "cam", MicrophoneID: "mic", SpeakerID: "spk", Resolution: res720p}.save(p)
	s := loadSettings(p, Config{})
	if s.CameraID != "cam" || s.Synthetic || s.Resolution != res720p {
		t.Fatalf("loaded %+v", s)
	}
	if w, h := s.Size(); w != 1280 || h != 720 {
		t.Fatalf("size %dx%d", w, h)
	}
	if !loadSettings(p, Config{Synthetic: true}).Synthetic {
		t.Fatal("Config.Synthetic did not override")
	}
	// The voice switches: on until turned off, and only for a real microphone.
	fresh := loadSettings(test.NewTempApp(t).Preferences(), Config{})
	if want := (devices.AudioProcessing{Set: true, EchoCancel: true, NoiseSuppress: true, GainControl: true}); fresh.processing() != want {
		t.Fatalf("fresh settings process the microphone with %+v, want %+v", fresh.processing(), want)
	}
	Settings{Resolution: res480p, NoiseSuppress: true}.save(p)
	if got := loadSettings(p, Config{}); got.EchoCancel || !got.NoiseSuppress || got.GainControl {
		t.Fatalf("saved echo off, noise on, gain off; loaded %+v", got)
	}
	if (Settings{Synthetic: true, EchoCancel: true}).processing() != (devices.AudioProcessing{}) {
		t.Fatal("the synthetic microphone is processed")
	}
	p.SetString(prefResolution, "bogus")
	if loadSettings(p, Config{}).Resolution != res480p {
		t.Fatal("unknown resolution kept")
	}
	saveSignIn(p, signInForm{Server: "ws://s/ws", Account: "remembered", Token: "t"})
	if f := loadSignIn(p, Config{Account: "flag"}); f.Account != "flag" || f.Server != "ws://s/ws" || f.Token != "t" {
		t.Fatalf("flags over prefs: %+v", f)
	}
	id := deviceID(p, Config{})
	if id == "" || deviceID(p, Config{}) != id || deviceID(p, Config{DeviceID: "x"}) != "x" {
		t.Fatal("device ID not stable")
	}
	c := newDeviceChoice([]devices.Device{{ID: "1", Label: "Cam"}, {ID: "2", Label: "Cam"}})
	if c.label("2") != "Cam (2)" || c.id("Cam (2)") != "2" || c.label("gone") != defaultDevice || c.id(defaultDevice) != "" {
		t.Fatalf("device choice %+v", c)
	}
}

// Settings offer the synthetic cameras after the real ones, and choosing
// the scene saves its camera ID.
func TestSettingsOfferSyntheticCameras(t *testing.T) {
	test.NewTempApp(t)
	var saved Settings
	v := newSettingsView(Settings{Resolution: res480p}, "1", func(s Settings) { saved = s }, func() {})
	v.setDevices(devices.Inventory{Cameras: []devices.Device{{ID: "cam0", Label: "Webcam", Default: true}}}, "")
	want := []string{defaultDevice, "Webcam", "Synthetic scene (detailed)", "Synthetic test pattern (colour bars)"}
	if !slices.Equal(v.camera.Options, want) {
		t.Fatalf("camera options %q, want %q", v.camera.Options, want)
	}
	v.camera.SetSelected("Synthetic scene (detailed)")
	if saved.CameraID != devices.SyntheticSceneCameraID {
		t.Fatalf("chose the scene, saved camera %q", saved.CameraID)
	}
	v.setDevices(devices.Inventory{}, "") // no camera at all: the synthetic ones stay
	if v.camera.Selected != "Synthetic scene (detailed)" || len(v.camera.Options) != 3 {
		t.Fatalf("without cameras: %q selected of %q", v.camera.Selected, v.camera.Options)
	}
}
