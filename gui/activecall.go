package gui

import (
	"errors"
	"fmt"
	"time"

	"fyne.io/fyne/v2/lang"
	"github.com/pion/webrtc/v4"

	"duet/call"
	"duet/call/media"
	"duet/call/phone"
	"duet/call/proto"
)

// callPhase is where the call on screen stands.
type callPhase int

const (
	phaseDialing    callPhase = iota // our invitation is on its way; no cid yet
	phaseRinging                     // ringing at the callee
	phaseConnecting                  // answered; media is starting
	phaseLive                        // media connected
	phaseEnded                       // over; the screen shows why for a moment
)

func (p callPhase) String() string {
	switch p {
	case phaseDialing:
		return "dialing"
	case phaseRinging:
		return "ringing"
	case phaseConnecting:
		return "connecting"
	case phaseLive:
		return "live"
	case phaseEnded:
		return "ended"
	}
	return fmt.Sprintf("unknown(%d)", int(p))
}

// activeCall is the call on screen: the model behind the outgoing and the
// in-call views. Owned by the UI thread.
type activeCall struct {
	cid      string
	peer     string
	typ      proto.CallType // the call's type
	mode     proto.CallType // how we take part: audio for a video call answered audio-only
	outgoing bool
	phase    callPhase
	placed   time.Time
	answered time.Time
	ended    string // why, once phaseEnded

	reconnecting  bool      // signaling lost; the server holds the call for a while
	reconnectedAt time.Time // signaling back; the screen says so for a moment

	mediaState webrtc.PeerConnectionState
	session    *media.Session
	gaps       mediaGaps // what the call goes without; set with session
	// unplugged are lines about devices that went away during the call,
	// each shown for a while (deviceFellBack).
	unplugged    []string
	micOn, camOn bool
	peerAudio    bool // as the peer announced; true until told otherwise
	peerVideo    bool
	firstFrame   bool
	stats        media.Stats
	quality      qualityTally // the seconds of each quality, for the history
	showStats    bool
	compact      bool           // the window shows the compact call (compact.go)
	rec          recordingState // this side's recording and the peer's
	share        shareState     // this side's screen share and the peer's

	// pending holds events that arrived for our outgoing call before the
	// reply to Call told us its cid; they are replayed once it is known.
	pending []func()
	stop    func() // ends the call screen's goroutines (pump, preview)
}

func newActiveCall(peer string, typ proto.CallType, outgoing bool) *activeCall {
	return &activeCall{peer: peer, typ: typ, mode: typ, outgoing: outgoing, placed: time.Now(),
		micOn: true, camOn: typ == proto.CallTypeVideo, peerAudio: true, peerVideo: typ == proto.CallTypeVideo}
}

// video reports whether this call sends and receives video at all.
func (a *activeCall) video() bool {
	return a.typ == proto.CallTypeVideo && a.mode == proto.CallTypeVideo
}

// showsVideo reports whether the screen is a video call's: our camera is
// on, or the peer's is in a call that sends video both ways (a video call
// taken with video, or an audio call that turned video on). With both
// cameras off any call shows the audio call's screen.
func (a *activeCall) showsVideo() bool {
	return a.camOn || a.share.on || (a.peerVideo && (a.video() || a.typ == proto.CallTypeAudio))
}

// cameraUsable reports whether the camera button does something: in a
// video call, or in a call that began without video and has a capture to
// open the camera on (see media.Session.SetCamera).
func (a *activeCall) cameraUsable() bool {
	return a.session != nil && !a.gaps.camera && (a.video() || a.session.Capture() != nil)
}

// showRemoteVideo is false while there is no picture worth showing; the
// peer's avatar stands in.
func (a *activeCall) showRemoteVideo() bool { return a.showsVideo() && a.firstFrame && a.peerVideo }

// showPreview is whether our own camera picture is shown in the corner.
func (a *activeCall) showPreview() bool {
	return a.showsVideo() && (a.camOn || a.share.on) && a.session != nil && a.session.Capture() != nil
}

func (a *activeCall) setReconnecting(on bool) { a.reconnecting = on }

// shownQuality is what the signal bars show: nothing until the media is
// live, nor while it reconnects (the screen says so in words).
func (a *activeCall) shownQuality() (media.Quality, media.QualityReason) {
	if a.session == nil || a.phase != phaseLive || a.reconnecting {
		return media.QualityUnknown, media.ReasonNone
	}
	return a.stats.Quality, a.stats.QualityReason
}

// gapLines are the call screen's lines about what the call goes without.
func (a *activeCall) gapLines() []string {
	if a.session == nil {
		return nil
	}
	lines := a.gaps.lines()
	if a.gaps.synthetic {
		lines = append(lines, lang.L(syntheticInCall))
	}
	return append(lines, a.unplugged...)
}

// banner is the line over the middle of the in-call panel: what is wrong
// with the connection, or that it just came back.
func (a *activeCall) banner(now time.Time) string {
	switch {
	case a.reconnecting:
		return lang.L(reconnectingText)
	case a.phase == phaseConnecting:
		return lang.L("Connecting…")
	case !a.reconnectedAt.IsZero() && now.Sub(a.reconnectedAt) < reconnectedFor:
		return lang.L("Reconnected")
	}
	return ""
}

// status is the line under the peer's name.
func (a *activeCall) status(now time.Time) string {
	kind := lang.L("Audio call")
	if a.typ == proto.CallTypeVideo {
		kind = lang.L("Video call")
		if a.mode == proto.CallTypeAudio {
			kind = lang.L("Video call, audio only")
		}
	}
	switch {
	case a.phase == phaseEnded:
		return a.ended
	case a.reconnecting && a.answered.IsZero():
		// An answered call keeps its clock: it goes on, and the banner
		// says the connection is being restored.
		return lang.L("Reconnecting…")
	case a.phase == phaseDialing:
		return kind + " · " + lang.L("Calling…")
	case a.phase == phaseRinging:
		return kind + " · " + lang.L("Ringing {{.Time}}", args{"Time": formatDuration(now.Sub(a.placed))})
	case a.phase == phaseConnecting, a.mediaState == webrtc.PeerConnectionStateDisconnected,
		a.mediaState == webrtc.PeerConnectionStateFailed, a.mediaState == webrtc.PeerConnectionStateConnecting:
		// Connecting again after the path was lost (ICE restart).
		return lang.L("Connecting…")
	}
	return formatDuration(now.Sub(a.answered))
}

// formatDuration is m:ss, or h:mm:ss from an hour on.
func formatDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int(d / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// reasonMessage says why a call ended, from our side's view; peer is the
// other side's account.
func reasonMessage(peer string, r proto.Reason) string {
	who := args{"Name": displayName(peer)}
	switch r {
	case proto.ReasonRejected:
		return lang.L("{{.Name}} declined the call", who)
	case proto.ReasonBusy:
		return lang.L("{{.Name}} is busy — try again later", who)
	case proto.ReasonTimeout:
		return lang.L("{{.Name}} did not answer", who)
	case proto.ReasonOffline:
		return lang.L("{{.Name}} is offline — try again later", who)
	case proto.ReasonCancelled:
		return lang.L("The call was cancelled")
	case proto.ReasonNetworkLost:
		return lang.L("The call with {{.Name}} dropped: the connection was lost", who)
	case proto.ReasonHangup:
		return lang.L("{{.Name}} hung up", who)
	}
	return lang.L("Call ended")
}

// callError says why placing a call failed.
func callError(peer string, err error) string {
	switch {
	case errors.Is(err, call.ErrCalleeOffline):
		return reasonMessage(peer, proto.ReasonOffline)
	case errors.Is(err, call.ErrUnknownAccount):
		return lang.L("There is no account named {{.Name}}", args{"Name": peer})
	case errors.Is(err, call.ErrInCall), errors.Is(err, call.ErrBusy):
		return lang.L(alreadyInCall)
	case proto.CodeOf(err) == proto.CodeCallSelf:
		return lang.L("You cannot call yourself")
	case errors.Is(err, call.ErrClosed), errors.Is(err, call.ErrReconnecting):
		return lang.L(notConnected)
	case errors.Is(err, phone.ErrNoRelay):
		return lang.L(noRelayMessage)
	}
	return lang.L("Could not call {{.Name}}: {{.Err}}", args{"Name": displayName(peer), "Err": err})
}

// alreadyInCall: a call cannot start while another is on.
const alreadyInCall = "You are already in a call — hang up first"

// noRelayMessage: Always relay is on and the server has no relay.
const noRelayMessage = "This server offers no relay, and Settings say to always relay calls — turn that off in Settings, or ask the server's operator to enable TURN"

// acceptError says why answering failed.
func acceptError(err error) string {
	switch proto.CodeOf(err) {
	case proto.CodeNoSuchCall:
		return lang.L("The caller hung up before the call was answered")
	case proto.CodeWrongState:
		return lang.L("The call was answered on another device")
	}
	if errors.Is(err, call.ErrNotRinging) {
		return lang.L("The call is no longer ringing")
	}
	if errors.Is(err, phone.ErrNoRelay) {
		return lang.L(noRelayMessage)
	}
	return lang.L("Could not answer: {{.Err}}", args{"Err": err})
}

// statsText is the stats overlay.
func statsText(st media.Stats) string {
	res := lang.L("no video")
	if st.Width > 0 {
		res = lang.L("{{.W}}×{{.H}} @ {{.FPS}} fps", args{"W": st.Width, "H": st.Height, "FPS": fmt.Sprintf("%.0f", st.FPS)})

	}
	sent := lang.L("no video sent")
	if st.SendWidth > 0 {
		sent = lang.L("sending {{.W}}×{{.H}} @ {{.FPS}} fps", args{"W": st.SendWidth, "H": st.SendHeight, "FPS": st.SendFPS})
	}
	// The figures' names are a network engineer's, kept as they are; the
	// words around them are translated.
	return res + "\n" + sent + "\n" + lang.L("↓ {{.Recv}} kbit/s  ↑ {{.Send}} kbit/s (estimate {{.Target}}, {{.Resent}} % resent)", args{
		"Recv": fmt.Sprintf("%.0f", st.RecvKbps), "Send": fmt.Sprintf("%.0f", st.SendKbps),
		"Target": fmt.Sprintf("%.0f", st.TargetKbps), "Resent": fmt.Sprintf("%.1f", st.ResentPct)}) + "\n" +
		lang.L("RTT {{.RTT}} ms  loss {{.Loss}} %  sent lost {{.SentLoss}} %", args{"RTT": fmt.Sprintf("%.1f", float64(st.RTT)/float64(time.Millisecond)),
			"Loss": fmt.Sprintf("%.1f", st.Loss*100), "SentLoss": fmt.Sprintf("%.1f", st.SentLoss*100)}) + "\n" +
		lang.L("freezes {{.N}} ({{.Time}} s)  audio concealed {{.Concealed}} %, buffer {{.Buffer}} ms", args{
			"N": st.Freezes, "Time": fmt.Sprintf("%.1f", st.FreezeTime.Seconds()),
			"Concealed": fmt.Sprintf("%.1f", st.AudioConcealedPct), "Buffer": st.AudioDelay.Milliseconds()}) + "\n" +
		st.State.String() + "  " + lang.L("quality {{.Quality}} ({{.Reason}})", args{"Quality": st.Quality, "Reason": st.QualityReason})
}
