package devices

import (
	"strings"
	"testing"
)

var y4mHeaderCases = []struct {
	line string
	want Y4MHeader
	err  string // "" for a valid header
}{
	{line: "YUV4MPEG2 W320 H240 F30:1 Ip A1:1 C420jpeg XYSCSS=420JPEG", want: Y4MHeader{320, 240, 30, 1, "420jpeg"}},
	{line: "YUV4MPEG2 W640 H480 F30000:1001", want: Y4MHeader{640, 480, 30000, 1001, ""}},
	{line: "YUV4MPEG2 C420mpeg2 F25:1 H360 W480 It", want: Y4MHeader{480, 360, 25, 1, "420mpeg2"}},
	{line: "YUV4MPEG2 W1280 H720 F60:1 C420paldv", want: Y4MHeader{1280, 720, 60, 1, "420paldv"}},
	{line: "YUV4MPEG2 W128 H8 F1:1 C420 Zfuture", want: Y4MHeader{128, 8, 1, 1, "420"}},
	{line: "YUV4MPEG2 W320 H240 F30:1 C444", err: "colourspace 444 not supported"},
	{line: "YUV4MPEG2 W320 H240 F30:1 C422", err: "colourspace 422"},
	{line: "YUV4MPEG2 W320 H240 F30:1 Cmono", err: "colourspace mono"},
	{line: "YUV4MPEG2 W320 H240 F30:1 C420p10 XYSCSS=420P10", err: "colourspace 420p10"},
	{line: "YUV4MPEG2 W321 H240 F30:1", err: "size 321x240"},
	{line: "YUV4MPEG2 W64 H48 F30:1", err: "size 64x48"},
	{line: "YUV4MPEG2 W8192 H240 F30:1", err: "W8192"},
	{line: "YUV4MPEG2 W320 H0 F30:1", err: "H0"},
	{line: "YUV4MPEG2 W-320 H240 F30:1", err: "W-320"},
	{line: "YUV4MPEG2 W+320 H240 F30:1", err: "W+320"},
	{line: "YUV4MPEG2 H240 F30:1", err: "no W or H"},
	{line: "YUV4MPEG2 W320 H240", err: "no frame rate"},
	{line: "YUV4MPEG2 W320 H240 F30", err: "num:den"},
	{line: "YUV4MPEG2 W320 H240 F0:1", err: "F0:1"},
	{line: "YUV4MPEG2 W320 H240 F200:1", err: "frame rate 200:1"},
	{line: "YUV4MPEG2 W320 H240 F1:2", err: "frame rate 1:2"},
	{line: "YUV4MPEG2 W320 H240 F30:99999999", err: "F30:99999999"},
	{line: "YUV4MPEG2  W320 H240 F30:1", err: "empty parameter"},
	{line: "YUV4MPEG2W320 H240 F30:1", err: "not a YUV4MPEG2 file"},
	{line: "RIFF", err: "not a YUV4MPEG2 file"},
	{line: "", err: "not a YUV4MPEG2 file"},
}

func TestParseY4MHeader(t *testing.T) {
	for _, tc := range y4mHeaderCases {
		h, err := ParseY4MHeader(tc.line)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want one containing %q", tc.line, err, tc.err)
			}
			continue
		}
		if err != nil || h != tc.want {
			t.Errorf("%q: %+v, %v; want %+v", tc.line, h, err, tc.want)
		}
	}
	if h := (Y4MHeader{Width: 320, Height: 240}); h.FrameBytes() != 320*240*3/2 {
		t.Errorf("frame bytes %d", h.FrameBytes())
	}
}

func FuzzY4MHeader(f *testing.F) {
	for _, tc := range y4mHeaderCases {
		f.Add(tc.line)
	}
	f.Fuzz(func(t *testing.T, line string) {
		h, err := ParseY4MHeader(line)
		if err != nil {
			return
		}
		if h.Width%2 != 0 || h.Height%2 != 0 || h.Width < MinStampWidth || h.Width > maxY4MSize ||
			h.Height < 2*StampHeight(h.Width) || h.Height > maxY4MSize || !y4m420[h.Colorspace] ||
			h.FPS() < minY4MFPS || h.FPS() > maxY4MFPS {
			t.Fatalf("%q accepted as %+v", line, h)
		}
	})
}
