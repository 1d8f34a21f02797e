#!/bin/sh
# Makes NotoSansSC-Duet-{Regular,Bold}.otf: Noto Sans CJK SC from Debian's
# fonts-noto-cjk, cut down to the characters of gui/translations/zh-Hans.json
# beyond ASCII and Latin (Fyne's own font has those) plus the CJK
# punctuation, so that the app shows its Chinese in glyphs on any machine
# while the binary grows by a few hundred KB, not the 16 MB of the whole
# font. Run by `make cjk-font` after the Chinese translation changes;
# gui's TestCJKFontCoversTranslation says when that is due.
set -eu
cd "$(dirname "$0")"
src=/usr/share/fonts/opentype/noto
python=/usr/bin/python3 # Debian's, which has python3-fonttools
text=$(mktemp)
trap 'rm -f "$text"' EXIT
# The translation's characters above U+024F (past Latin), CJK symbols and
# punctuation (U+3000–303F), the full-width forms (U+FF01–FF5E), the curly
# quotes Chinese uses, and the spaces: the shaper keeps a space in the font
# of the character before it, so a space after Chinese must be in this one.
"$python" - "$text" <<'PY'
import json, sys
chars = set()
for v in json.load(open("../../gui/translations/zh-Hans.json")).values():
    chars.update(c for c in v if ord(c) > 0x24F)
chars.update(map(chr, range(0x3000, 0x3040)))
chars.update(map(chr, range(0xFF01, 0xFF5F)))
chars.update("“”‘’")
chars.update(" \u00a0\u202f\u205f")
chars.update(map(chr, range(0x2000, 0x200B)))

open(sys.argv[1], "w").write("".join(sorted(chars)))
PY
for weight in Regular Bold; do
	"$python" -m fontTools.subset "$src/NotoSansCJK-$weight.ttc" --font-number=2 \
		--text-file="$text" --layout-features='*' --no-hinting --desubroutinize \
		--name-IDs='*' --output-file="NotoSansSC-Duet-$weight.otf"
done
ls -l NotoSansSC-Duet-*.otf
