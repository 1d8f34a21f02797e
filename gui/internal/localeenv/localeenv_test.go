package localeenv

import "testing"

func TestLanguageFor(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"LANG": "C.UTF-8"}, "en"},
		{map[string]string{"LANG": "POSIX.utf8"}, "en"},
		{map[string]string{"LC_ALL": "C.UTF-8", "LANG": "de_DE.UTF-8"}, "en"},
		{map[string]string{"LC_MESSAGES": "C.UTF-8"}, "en"},
		{map[string]string{"LANG": "C.UTF-8", "LANGUAGE": "fr"}, ""}, // the user's choice stays
		{map[string]string{"LC_ALL": "de_DE.UTF-8", "LANG": "C.UTF-8"}, ""},
		{map[string]string{"LANG": "en_GB.UTF-8"}, ""},
		{map[string]string{"LANG": "C"}, ""}, // Fyne copes with these
		{map[string]string{"LANG": "POSIX"}, ""},
		{map[string]string{}, ""},
	} {
		if got := languageFor(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.env, got, tc.want)
		}
	}
}
