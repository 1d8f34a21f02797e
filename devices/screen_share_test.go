package devices

import (
	"errors"
	"image"
	"testing"
	"time"

	"duet/internal/xvfbtest"
)

// Sharing a screen puts it where the camera was: the encoder goes on with
// frames of the screen's size and colour, at the screen's slower rate, and
// the camera comes back when sharing stops.
func TestShareScreenReplacesTheCamera(t *testing.T) {
	checkGoroutines(t)
	xvfbtest.Start(t, 1280, 720)
	xvfbtest.Fill(t, "#2040c0")
	screens, err := Screens()
	if err != nil || len(screens) == 0 {
		t.Fatalf("screens of the test display: %v, %v", screens, err)
	}
	c := openSynthetic(t, CaptureConfig{Video: true, Width: 320, Height: 240, FPS: 30})
	enc, err := c.NewVideoEncoder()
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	enc.SetBitRate(2_000_000)
	dec, err := NewVP8Decoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	// picture decodes frames until one of the wanted size, and returns it
	// with the encoder's rate over the next ten frames.
	picture := func(what string, w, h int) (*image.YCbCr, float64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			data, _, err := enc.Read()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			img, err := dec.Decode(data)
			if err != nil || img.Rect.Dx() != w || img.Rect.Dy() != h {
				continue
			}
			start := time.Now()
			for range 10 {
				if _, _, err := enc.Read(); err != nil {
					t.Fatalf("%s: %v", what, err)
				}
			}
			return img, 10 / time.Since(start).Seconds()
		}
		t.Fatalf("%s: no %dx%d picture within 10 s", what, w, h)
		return nil, 0
	}
	picture("the camera", 320, 240)

	if err := c.ShareScreen(testContext(t, 10*time.Second), screens[0].ID); err != nil {
		t.Fatal(err)
	}
	if !c.Sharing() {
		t.Fatal("not sharing after ShareScreen")
	}
	img, fps := picture("the shared screen", 1280, 720)
	// #2040c0 in BT.601 limited range: Y 75.
	luma := meanLuma(img)
	t.Logf("shared screen: %dx%d, mean luma %.1f, %.1f fps", img.Rect.Dx(), img.Rect.Dy(), luma, fps)
	if luma < 70 || luma > 80 {
		t.Errorf("shared screen's mean luma %.1f, want about 75 (the colour the screen was filled with)", luma)
	}
	if !enc.Screen() {
		t.Error("the encoder does not know it sends a screen")
	}
	if fps > 1.5*screenFPS {
		t.Errorf("the screen is encoded at %.1f fps, want about %d", fps, screenFPS)
	}

	if err := c.StopSharing(testContext(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if c.Sharing() || !c.CameraOpen() {
		t.Fatalf("after StopSharing: sharing %t, camera open %t", c.Sharing(), c.CameraOpen())
	}
	picture("the camera back", 320, 240)
	if enc.Screen() {
		t.Error("the encoder still thinks it sends a screen")
	}
}

// Without a screen there is nothing to share, and the error says why in
// words the share button can show.
func TestShareScreenWithoutAScreen(t *testing.T) {
	for _, tc := range []struct{ display, wayland, want string }{
		{"", "wayland-0", "needs X11, and this Wayland session has no XWayland"},
		{"", "", "there is no display"},
		{":99", "", "the X11 display :99 cannot be read"},
	} {
		t.Setenv("DISPLAY", tc.display)
		t.Setenv("WAYLAND_DISPLAY", tc.wayland)
		err := noScreenError()
		if !errors.Is(err, ErrNoScreen) {
			t.Errorf("DISPLAY=%q WAYLAND_DISPLAY=%q: %v, want ErrNoScreen", tc.display, tc.wayland, err)
		}
		mustContain(t, err.Error(), tc.want)
	}

	t.Setenv("DISPLAY", "")
	c := openSynthetic(t, CaptureConfig{Video: true, Width: 320, Height: 240, FPS: 30})
	if err := c.ShareScreen(testContext(t, 10*time.Second), "no-such-screen"); !errors.Is(err, ErrNoScreen) {
		t.Fatalf("sharing a screen that is not there: %v, want ErrNoScreen", err)
	}
	if c.Sharing() || !c.CameraOpen() {
		t.Error("a failed share changed the camera")
	}
}

// BenchmarkScreenConvert measures turning a 1920×1080 screen into the
// encoder's 4:2:0 picture, done for every frame shared.
func BenchmarkScreenConvert(b *testing.B) {
	src := image.NewRGBA(image.Rect(0, 0, 1920, 1080))
	for i := range src.Pix {
		src.Pix[i] = byte(i * 7)
	}
	b.ReportAllocs()
	for b.Loop() {
		rgbaToI420(src)
	}
}
