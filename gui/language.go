package gui

import (
	"embed"
	"os"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"
)

// translations are the app's strings in English and Simplified Chinese,
// keyed by their English text (translations/README.md says how to add one).
// The Chinese file is named zh-Hans so that its strings join Fyne's own
// (the dialogs' OK and Cancel) under one language: go-i18n keeps
// "zh" and "zh-Hans" apart and picks one of them.
//
//go:embed translations/*.json
var translations embed.FS

// prefLanguage is the language chosen in Settings: one of the languages'
// codes, or none to follow the system.
const prefLanguage = "settings.language"

// Languages the app speaks; languageSystem follows the system's locale.
const (
	languageSystem  = ""
	languageEnglish = "en"
	languageChinese = "zh-Hans"
)

// languages are the choices in Settings, in order.
var languages = []string{languageSystem, languageEnglish, languageChinese}

// languageName is how Settings names a language: each in its own words,
// so that whoever cannot read the current one still finds theirs.
func languageName(code string) string {
	switch code {
	case languageEnglish:
		return lang.L("English")
	case languageChinese:
		return lang.L("中文")
	}
	return lang.L("System")
}

// systemLanguage is LANGUAGE as the process started with it (after
// localeenv's fix-up): what "System" goes back to.
var systemLanguage, hadSystemLanguage = os.LookupEnv("LANGUAGE")

// useLanguage makes lang.L and friends speak code, or the system's
// language for languageSystem. Fyne's lang package has no setter: it reads
// the locale from the environment each time translations are added
// (LANGUAGE first, then LC_ALL, LC_MESSAGES and LANG, as gettext does), so
// this sets LANGUAGE and adds them again. As in gettext, a plain C or POSIX
// locale turns LANGUAGE off: there the choice cannot take. Call it on the
// UI thread: Fyne swaps its translator without a lock.

func useLanguage(code string) {
	switch {
	case code != languageSystem:
		os.Setenv("LANGUAGE", code)
	case hadSystemLanguage:
		os.Setenv("LANGUAGE", systemLanguage)
	default:
		os.Unsetenv("LANGUAGE")
	}
	if err := lang.AddTranslationsFS(translations, "translations"); err != nil {
		fyne.LogError("load translations", err)
	}
}

// speaksChinese reports whether lang.L translates into Chinese: the
// language in use, whichever way it was chosen (a system locale of zh_TW
// gets the Simplified Chinese too). Each translation file names its own
// language under this key.
func speaksChinese() bool { return lang.X("duet.language", "en") == languageChinese }

// args are a translation's template values, e.g. lang.L("{{.Name}} hung up", args{"Name": peer}).
type args = map[string]any

// addLanguage puts the Language choice first in Settings. onPick gets the
// chosen language's code.
func (v *settingsView) addLanguage(current string, onPick func(code string)) {
	names := make([]string, len(languages))
	for i, code := range languages {
		names[i] = languageName(code)
	}
	v.language = widget.NewSelect(names, func(name string) {
		if i := slices.Index(names, name); i >= 0 && !v.quiet {
			onPick(languages[i])
		}
	})
	v.quiet = true
	v.language.SetSelected(languageName(current))
	v.quiet = false
	v.form.Items = append([]*widget.FormItem{widget.NewFormItem(lang.L("Language"), v.language)}, v.form.Items...)
	v.form.Refresh()
}

// setLanguage switches the app to the language code, saves the choice and
// builds the views again in it, Settings in front. UI thread.
func (u *ui) setLanguage(code string) {
	if code == u.prefs.String(prefLanguage) {
		return
	}
	u.prefs.SetString(prefLanguage, code)
	useLanguage(code)
	useLanguageTheme(u.app)
	u.rebuildViews()
	u.main.tabs.SelectIndex(settingsTab)
}

// i18nKey marks s as a translation key that is translated where it is
// shown, with lang.L(s) (gettext's N_): the test of the translations finds
// it there.
func i18nKey(s string) string { return s }
