package gui

import (
	"encoding/json"
	"os"
	"testing"
	"unicode"

	"golang.org/x/image/font/sfnt"
)

// Every character of the Chinese translation beyond Latin is in both
// embedded fonts, so that none shows as a box: a translation with a new
// character fails here until `make cjk-font` makes the fonts again.
func TestCJKFontCoversTranslation(t *testing.T) {
	b, err := os.ReadFile("translations/zh-Hans.json")
	if err != nil {
		t.Fatal(err)
	}
	var tr map[string]string
	if err := json.Unmarshal(b, &tr); err != nil {
		t.Fatal(err)
	}
	for _, res := range []struct {
		name string
		data []byte
	}{{cjkRegular.Name(), cjkRegular.Content()}, {cjkBold.Name(), cjkBold.Content()}} {
		f, err := sfnt.Parse(res.data)
		if err != nil {
			t.Fatalf("%s: %v", res.name, err)
		}
		var buf sfnt.Buffer
		missing := map[rune]string{}
		for key, v := range tr {
			for _, r := range v {
				// Latin is in Fyne's own font, but a space takes the font of
				// the character before it (go-text's shaper), Chinese too.
				if r <= 0x24f && !unicode.Is(unicode.Zs, r) {
					continue
				}
				if g, err := f.GlyphIndex(&buf, r); err != nil || g == 0 {
					missing[r] = key
				}
			}
		}
		for r, key := range missing {
			t.Errorf("%s has no %q (U+%04X), used in the translation of %q: run make cjk-font", res.name, r, r, key)
		}
	}
}
