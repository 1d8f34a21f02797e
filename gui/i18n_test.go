package gui

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var updateTranslations = flag.Bool("update-translations", false,
	"rewrite translations/*.json: every key the code uses, sorted; new ones empty in the Chinese file")

// translationFiles are the files every key must be in.
var translationFiles = []string{"translations/en.json", "translations/zh-Hans.json"}

// sourceFiles are the package's files other than tests.
func sourceFiles(t *testing.T) map[string]string {
	t.Helper()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		files[n] = string(b)
	}
	return files
}

// No string a user can see escapes translation (i18ncheck_test.go says
// what counts as one).
func TestUserStringsTranslated(t *testing.T) {
	res, err := checkStrings(sourceFiles(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range res.leaks {
		t.Error(l)
	}
}

// The check finds strings that reach the screen untranslated, however they
// get there, and lets translated ones and machine names through.
func TestStringCheckCatchesLeaks(t *testing.T) {
	res, err := checkStrings(map[string]string{"snippet.go": `package gui

const greeting = "Good morning"  // a key: fine
const farewell = "Good night"    // never translated
const prefThing = "settings.thing" // a preference's name

func f(u *ui, b *widget.Button, name string) {
	widget.NewLabel("Hello")
	b.SetText(lang.L("Hang up"))
	b.SetText(greeting)
	u.notice(lang.L(greeting))
	u.notice("Call ended · " + name)
	u.log.Info("call ended", "peer", name)
	msg := fmt.Sprintf("%s is busy", name)
	u.notice(lang.L("{{.Name}} is busy", args{"Name": name}))
	if name == "echo" {
		u.prefs.SetString(prefThing, "")
	}
	title := "Duet"
	_ = lang.X(name, "Fallback")
}
`})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`snippet.go:10: greeting is a translation key: show lang.L(greeting), not the key`,
		`snippet.go:12: "Call ended · " is not translated`,
		`snippet.go:14: "%s is busy" is not translated`,
		`snippet.go:20: the key of lang.X must be a string or a constant`,
		`snippet.go:4: constant farewell = "Good night" is never translated`,
		`snippet.go:8: "Hello" is not translated`,
	}
	if len(res.leaks) != len(want) {
		t.Errorf("found %d leaks, want %d:\n%s", len(res.leaks), len(want), strings.Join(res.leaks, "\n"))
	}
	for i := range min(len(want), len(res.leaks)) {
		if !strings.HasPrefix(res.leaks[i], want[i]) {
			t.Errorf("leak %d:\n got %s\nwant %s…", i, res.leaks[i], want[i])
		}
	}
	if got := slices.Sorted(func(yield func(string) bool) {
		for k := range res.keys {
			if !yield(k) {
				return
			}
		}
	}); !slices.Equal(got, []string{"Good morning", "Hang up", "{{.Name}} is busy"}) {
		t.Errorf("keys %q", got)
	}
}

// Every key the code uses is in every translation file, translated, and
// the files hold no other keys and are sorted, so that a missing or stale
// string fails here by name. `go test ./gui -run TestTranslationFiles
// -update-translations` brings the files up to date for a translator.
func TestTranslationFiles(t *testing.T) {
	res, err := checkStrings(sourceFiles(t))
	if err != nil {
		t.Fatal(err)
	}
	used := res.keys
	used["duet.language"] = []string{"language.go"} // lang.X's key
	for _, file := range translationFiles {
		b, err := os.ReadFile(file)
		if err != nil && !(*updateTranslations && os.IsNotExist(err)) {
			t.Fatal(err)
		}
		var tr map[string]string
		order, err := jsonKeys(b)
		if err == nil && len(b) > 0 {
			err = json.Unmarshal(b, &tr)
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if *updateTranslations {
			writeTranslations(t, file, used, tr)
			continue
		}
		for k, where := range used {
			v, ok := tr[k]
			switch {
			case !ok:
				t.Errorf("%s: no translation of %q (used at %s)", file, k, strings.Join(where, ", "))
			case strings.TrimSpace(v) == "":
				t.Errorf("%s: %q is translated as nothing", file, k)
			}
		}
		for k := range tr {
			if _, ok := used[k]; !ok {
				t.Errorf("%s: %q is not used any more: remove it", file, k)
			}
		}
		if !slices.IsSorted(order) {
			for i := 1; i < len(order); i++ {
				if order[i] < order[i-1] {
					t.Errorf("%s: %q comes before %q: keep the keys sorted (-update-translations sorts them)", file, order[i-1], order[i])
					break
				}
			}
		}
	}
}

// jsonKeys are the keys of a JSON object, in the order of the file.
func jsonKeys(b []byte) ([]string, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var keys []string
	d := json.NewDecoder(bytes.NewReader(b))
	if _, err := d.Token(); err != nil {
		return nil, err
	}
	for d.More() {
		k, err := d.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, k.(string))
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// writeTranslations writes file with the used keys: the English file maps
// each to itself unless reworded, the others keep their translations and
// get "" for new keys.
func writeTranslations(t *testing.T, file string, used map[string][]string, old map[string]string) {
	english := filepath.Base(file) == "en.json"
	out := map[string]string{}
	for k := range used {
		v, ok := old[k]
		if !ok && english {
			v = k
		}
		out[k] = v
	}
	if english {
		out["duet.language"] = "en"
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil { // a map's keys come out sorted
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d keys)", file, len(out))
}
