package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"duet/assets"
)

// Fyne's bundled font has no Chinese characters. These are Noto Sans CJK
// SC cut down to the characters of the translations (assets/fonts, `make
// cjk-font`), so that Chinese renders in glyphs rather than boxes on any
// machine, fonts installed or not.
var (
	cjkRegular = fyne.NewStaticResource("NotoSansSC-Duet-Regular.otf", assets.CJKRegularOTF)
	cjkBold    = fyne.NewStaticResource("NotoSansSC-Duet-Bold.otf", assets.CJKBoldOTF)
)

// cjkTheme is a theme with the Chinese font first for text. The fonts hold
// no Latin letters or digits (only spaces): Fyne falls back to its own font
// for those, so names and numbers look as they do in English.

type cjkTheme struct{ fyne.Theme }

func (t cjkTheme) Font(s fyne.TextStyle) fyne.Resource {
	switch {
	case s.Monospace, s.Symbol:
		return t.Theme.Font(s)
	case s.Bold:
		return cjkBold
	}
	return cjkRegular
}

// useLanguageTheme puts the Chinese fonts in the app's theme while the app
// speaks Chinese, and takes them out again. Setting a theme redraws every
// window. UI thread.
func useLanguageTheme(a fyne.App) {
	cur := a.Settings().Theme()
	base, wrapped := cur.(cjkTheme)
	switch {
	case speaksChinese() && !wrapped:
		if cur == nil {
			cur = theme.DefaultTheme()
		}
		a.Settings().SetTheme(cjkTheme{cur})
	case !speaksChinese() && wrapped:
		a.Settings().SetTheme(base.Theme)
	}
}
