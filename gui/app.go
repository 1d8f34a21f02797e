package gui

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	_ "duet/gui/internal/localeenv" // initialises before Fyne reads the locale
)

// Run shows the app and returns when its window is closed. It must be
// called on the main goroutine (Fyne's rule).
func Run(cfg Config) error {
	version := cfg.Version
	if version == "" {
		version = "0.1.0"
	}
	cfg.Version = version
	// What `fyne build` would embed from FyneApp.toml, so a plain `go build`
	// behaves the same (the fyneDo migration above all).
	app.SetMetadata(fyne.AppMetadata{ID: appID, Name: "Duet", Version: version, Build: 1,
		Icon: appIcon, Migrations: map[string]bool{"fyneDo": true}})
	a := app.NewWithID(appID)
	a.SetIcon(appIcon)
	w := a.NewWindow("Duet")
	w.SetIcon(appIcon)
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
	if cfg.Context != nil {
		stop := context.AfterFunc(cfg.Context, func() { fyne.Do(a.Quit) })
		defer stop()
	}
	w.ShowAndRun()
	u.shutdown()
	if u.smoke != nil && u.smoke.err != nil {
		return fmt.Errorf("smoke run: %w", u.smoke.err)
	}
	return nil
}
