// Package gui is Duet's desktop app: sign-in, contacts with presence, the
// ringing dialog, the call screen with video, call history and settings. It
// is the only package that imports Fyne.
//
// Threading. The UI thread owns every view and all of the state behind
// them. Nothing slow runs there: dialing, device work and server requests run
// in goroutines started with ui.goBG, and hand their results back through
// ui.post, the one funnel into fyne.Do. The signaling and media events of a
// signed-in session reach the UI through one funnel goroutine (funnel.go).
// Video is pulled, not pushed: a pump goroutine checks the newest frame at
// most 30 times a second and asks for a redraw only when it changed
// (video.go).
//
// Each view keeps its logic in a small plain-Go model (contactBook,
// historyModel, signInForm, activeCall, …) with the Fyne widgets thin on top,
// so most behaviour is tested without a window.
package gui
