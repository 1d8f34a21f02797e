package devices

import (
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fileFrameLuma is the luma of frame i of the files writeY4M makes: every
// frame is told apart by its brightness.
func fileFrameLuma(i int) byte { return byte(40 + 15*i) }

// writeY4M writes frames of w×h under header tags (after W, H) whose luma
// is fileFrameLuma(i) plus a gentle pattern, so VP8 has something to code.
func writeY4M(t testing.TB, path string, w, h, frames int, tags string) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "YUV4MPEG2 W%d H%d %s\n", w, h, tags)
	for i := range frames {
		b.WriteString("FRAME\n")
		for y := range h {
			for x := range w {
				b.WriteByte(fileFrameLuma(i) + byte((x+y)%4))
			}
		}
		b.WriteString(strings.Repeat(string(rune(90+i)), w*h/4)) // Cb
		b.WriteString(strings.Repeat("\xa0", w*h/4))             // Cr
	}
	writeFile(t, path, []byte(b.String()))
}

func writeFile(t testing.TB, path string, b []byte) string {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Without an encoder in between, the frames are the file's exactly (below
// the stamp band), in order, looping, each a fresh image.
func TestY4MSourceLoopsExactly(t *testing.T) {
	checkGoroutines(t)
	path := filepath.Join(t.TempDir(), "in.y4m")
	writeY4M(t, path, 128, 96, 3, "F120:1")
	src, err := NewY4MSource(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if h := src.Header(); h.Width != 128 || h.Height != 96 || h.FPS() != 120 {
		t.Fatalf("header %+v", h)
	}
	var prev image.Image
	for i := range 7 {
		img, _, err := src.Read()
		if err != nil {
			t.Fatal(err)
		}
		if img == prev {
			t.Fatal("same image twice")
		}
		prev = img
		y := img.(*image.YCbCr)
		if n, _, ok := ReadFrameStamp(y); !ok || n != uint32(i) {
			t.Fatalf("read %d: stamp (%d, %v)", i, n, ok)
		}
		if got, want := y.Y[y.YOffset(5, 90)], fileFrameLuma(i%3)+byte((5+90)%4); got != want {
			t.Fatalf("read %d: luma %d, want file frame %d's %d", i, got, i%3, want)
		}
		if got := y.Cb[y.COffset(5, 90)]; got != byte(90+i%3) {
			t.Fatalf("read %d: Cb %d", i, got)
		}
	}
}

// A last frame cut short is skipped: the source loops to the first.
func TestY4MSourceTruncatedLastFrame(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.y4m")
	writeY4M(t, path, 128, 96, 2, "F120:1")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, b[:len(b)-100])
	src, err := NewY4MSource(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for i := range 3 {
		img, _, err := src.Read()
		if err != nil {
			t.Fatal(err)
		}
		y := img.(*image.YCbCr)
		if got := y.Y[y.YOffset(0, 90)] - byte(90%4); got != fileFrameLuma(0) {
			t.Fatalf("read %d: luma %d, want frame 0's", i, got)
		}
	}
}

func TestY4MSourceCloseUnblocksRead(t *testing.T) {
	checkGoroutines(t)
	path := filepath.Join(t.TempDir(), "in.y4m")
	writeY4M(t, path, 128, 96, 2, "F1:1") // 1 fps: the second Read waits ~1 s
	src, err := NewY4MSource(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := src.Read(); err != nil {
		t.Fatal(err)
	}
	checkCloseUnblocks(t, src.Close, func() error { _, _, err := src.Read(); return err })
}

// Files that are not 4:2:0 Y4M with a whole frame fail, naming the file.
func TestY4MSourceRejects(t *testing.T) {
	dir := t.TempDir()
	yuv444 := filepath.Join(dir, "444.y4m")
	writeY4M(t, yuv444, 320, 240, 1, "F30:1 C444")
	badFrame := filepath.Join(dir, "badframe.y4m")
	writeFile(t, badFrame, []byte("YUV4MPEG2 W128 H96 F30:1\nFRAMX\n"))
	for path, want := range map[string]string{
		yuv444:   "colourspace 444 not supported",
		badFrame: "bad frame header",
		writeFile(t, filepath.Join(dir, "empty.y4m"), nil):                                                "empty file",
		writeFile(t, filepath.Join(dir, "noframes.y4m"), []byte("YUV4MPEG2 W320 H240 F30:1\n")):           "no whole frame",
		writeFile(t, filepath.Join(dir, "long.y4m"), []byte("YUV4MPEG2 "+strings.Repeat("X", 2000)+"\n")): "longer than",
		filepath.Join(dir, "missing.y4m"):                                                                 "no such file",
	} {
		if _, err := NewY4MSource(path); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v, want an error naming the file and containing %q", path, err, want)
		}
	}
}

// checkCloseUnblocks starts read, closes twice, and wants read to end with
// io.EOF, as must a read after.
func checkCloseUnblocks(t *testing.T, closeFn func() error, read func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- read() }()
	time.Sleep(50 * time.Millisecond)
	if err := closeFn(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := closeFn(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, io.EOF) {
			t.Errorf("Read across Close: %v, want io.EOF", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Read still blocked 10 s after Close")
	}
	if err := read(); !errors.Is(err, io.EOF) {
		t.Errorf("Read after Close: %v, want io.EOF", err)
	}
}
