package gui

import (
	"sync"

	"fyne.io/fyne/v2"
	"github.com/google/uuid"

	"duet/devices"
)

// Preference keys.
const (
	prefServer     = "signin.server"
	prefAccount    = "signin.account"
	prefToken      = "signin.token"
	prefDeviceID   = "device.id"
	prefCamera     = "settings.camera"
	prefMicrophone = "settings.microphone"
	prefSpeaker    = "settings.speaker"
	prefResolution = "settings.resolution"
	prefSynthetic  = "settings.synthetic"
	prefRelay      = "settings.alwaysRelay"
	prefEchoCancel = "settings.echoCancel"
	prefNoiseSupp  = "settings.noiseSuppress"
	prefGainCtl    = "settings.gainControl"
)

// Resolutions offered for the camera.
const (
	res480p = "640x480"
	res720p = "1280x720"
)

var resolutions = []string{res480p, res720p}

// Settings are the media choices made in the Settings tab. Empty device IDs
// mean the system default.
type Settings struct {
	CameraID, MicrophoneID, SpeakerID string
	Resolution                        string
	Synthetic                         bool
	// AlwaysRelay sends calls through the server's relay only (from the
	// next call on).
	AlwaysRelay bool
	// What is done to a real microphone's audio (see devices/apm); all on
	// unless turned off.
	EchoCancel, NoiseSuppress, GainControl bool
}

// processing is what the microphone's audio goes through: the switches for
// a real microphone, nothing for the synthetic one.
func (s Settings) processing() devices.AudioProcessing {
	if s.Synthetic {
		return devices.AudioProcessing{}
	}
	return devices.AudioProcessing{Set: true, EchoCancel: s.EchoCancel, NoiseSuppress: s.NoiseSuppress, GainControl: s.GainControl}
}

// Size is the camera size the resolution asks for.
func (s Settings) Size() (w, h int) {
	if s.Resolution == res720p {
		return 1280, 720
	}
	return 640, 480
}

func loadSettings(p fyne.Preferences, cfg Config) Settings {
	s := Settings{
		CameraID:      p.String(prefCamera),
		MicrophoneID:  p.String(prefMicrophone),
		SpeakerID:     p.String(prefSpeaker),
		Resolution:    p.StringWithFallback(prefResolution, res480p),
		Synthetic:     p.Bool(prefSynthetic),
		AlwaysRelay:   p.Bool(prefRelay),
		EchoCancel:    p.BoolWithFallback(prefEchoCancel, true),
		NoiseSuppress: p.BoolWithFallback(prefNoiseSupp, true),
		GainControl:   p.BoolWithFallback(prefGainCtl, true),
	}
	if s.Resolution != res720p {
		s.Resolution = res480p
	}
	if cfg.Synthetic {
		s.Synthetic = true
	}
	if cfg.AlwaysRelay {
		s.AlwaysRelay = true
	}
	return s
}

func (s Settings) save(p fyne.Preferences) {
	p.SetString(prefCamera, s.CameraID)
	p.SetString(prefMicrophone, s.MicrophoneID)
	p.SetString(prefSpeaker, s.SpeakerID)
	p.SetString(prefResolution, s.Resolution)
	p.SetBool(prefSynthetic, s.Synthetic)
	p.SetBool(prefRelay, s.AlwaysRelay)
	p.SetBool(prefEchoCancel, s.EchoCancel)
	p.SetBool(prefNoiseSupp, s.NoiseSuppress)
	p.SetBool(prefGainCtl, s.GainControl)
}

// settingsStore hands the current settings to the phone's goroutines, which
// open devices when a call starts. Safe for concurrent use.
type settingsStore struct {
	mu sync.Mutex
	s  Settings // guarded by mu
}

func (st *settingsStore) get() Settings {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.s
}

func (st *settingsStore) set(s Settings) {
	st.mu.Lock()
	st.s = s
	st.mu.Unlock()
}

// loadSignIn fills the sign-in form from the preferences, with Config's
// non-empty fields taking precedence.
func loadSignIn(p fyne.Preferences, cfg Config) signInForm {
	f := signInForm{
		Server:  p.StringWithFallback(prefServer, defaultServerURL),
		Account: p.String(prefAccount),
		Token:   p.String(prefToken),
	}
	if cfg.ServerURL != "" {
		f.Server = cfg.ServerURL
	}
	if cfg.Account != "" {
		f.Account = cfg.Account
	}
	if cfg.Token != "" {
		f.Token = cfg.Token
	}
	return f
}

func saveSignIn(p fyne.Preferences, f signInForm) {
	p.SetString(prefServer, f.Server)
	p.SetString(prefAccount, f.Account)
	p.SetString(prefToken, f.Token)
}

// deviceID is this installation's stable device ID: the server hands a call
// back to the same device after a reconnect, and tells devices apart.
func deviceID(p fyne.Preferences, cfg Config) string {
	if cfg.DeviceID != "" {
		return cfg.DeviceID
	}
	id := p.String(prefDeviceID)
	if id == "" {
		id = "desktop-" + uuid.NewString()
		p.SetString(prefDeviceID, id)
	}
	return id
}
