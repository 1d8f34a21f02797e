// Package localeenv names a language for Fyne where the environment names
// only the C locale's character set. Under LANG=C.UTF-8, the default of
// Debian's containers and servers, Fyne tries to parse "C" as a language
// while its packages initialise and prints three lines of errors before
// any command runs, `duet serve` and `duet --version` included.
//
// It must initialise before Fyne: Go initialises the packages in the order
// of their import paths as far as their own imports allow, and this one's
// ("duet/…") comes before "fyne.io/…" and needs only the standard library.
package localeenv

import (
	"os"
	"strings"
)

func init() {
	if v := languageFor(os.Getenv); v != "" {
		os.Setenv("LANGUAGE", v)
	}
}

// languageFor returns the LANGUAGE to set, or "" to leave the environment
// alone. LANGUAGE is the one variable Fyne reads that the C library
// ignores under the C locale, so setting it changes nothing else: not the
// character set, not the messages of other programs.
func languageFor(getenv func(string) string) string {
	if getenv("LANGUAGE") != "" {
		return ""
	}
	locale := ""
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if locale = getenv(name); locale != "" {
			break
		}
	}
	// Plain "C" and "POSIX" Fyne already treats as no language.
	lang, codeset, found := strings.Cut(locale, ".")
	if !found || codeset == "" || (lang != "C" && lang != "POSIX") {
		return ""
	}
	return "en"
}
