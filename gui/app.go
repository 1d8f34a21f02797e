package gui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"duet/assets"
)

// Run shows the app and returns when its window is closed. It must be
// called on the main goroutine (Fyne's rule).
func Run(cfg Config) error {
	version := cfg.Version
	if version == "" {
		version = "0.1.0"
	}
	// What `fyne build` would embed from FyneApp.toml, so a plain `go build`
	// behaves the same (the fyneDo migration above all).
	app.SetMetadata(fyne.AppMetadata{ID: appID, Name: "Duet", Version: version, Build: 1,
		Icon: assets.Icon, Migrations: map[string]bool{"fyneDo": true}})
	a := app.NewWithID(appID)
	a.SetIcon(assets.Icon)
	w := a.NewWindow("Duet")
	w.SetIcon(assets.Icon)
	w.Resize(fyne.NewSize(980, 680))
	w.CenterOnScreen()
	w.SetMaster()

	u := newUI(a, w, cfg, fyne.Do)
	w.SetOnClosed(u.shutdown)
	a.Lifecycle().SetOnStarted(func() {
		if cfg.OnReady != nil {
			cfg.OnReady(w)
		}
	})
	w.ShowAndRun()
	u.shutdown()
	if u.smoke != nil && u.smoke.err != nil {
		return fmt.Errorf("smoke run: %w", u.smoke.err)
	}
	return nil
}
