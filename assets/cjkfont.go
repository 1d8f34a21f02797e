package assets

import _ "embed"

// CJKRegularOTF and CJKBoldOTF are Noto Sans CJK SC cut down to the
// characters of the app's Chinese translation and CJK punctuation: the
// font the GUI needs to show Chinese wherever it runs. `make cjk-font`
// makes them again from Debian's fonts-noto-cjk (licence: fonts/OFL.txt).
var (
	//go:embed fonts/NotoSansSC-Duet-Regular.otf
	CJKRegularOTF []byte
	//go:embed fonts/NotoSansSC-Duet-Bold.otf
	CJKBoldOTF []byte
)
