package devices

/*
#cgo pkg-config: vpx
#include <stdlib.h>
#include <string.h>
#include <vpx/vpx_encoder.h>
#include <vpx/vp8cx.h>

// duet_vp8 is one encoder's C state, allocated and freed only here.
typedef struct {
	vpx_codec_ctx_t ctx;
	vpx_codec_enc_cfg_t cfg;
	vpx_image_t img;
	int ready;
} duet_vp8;

static duet_vp8 *duet_vp8_new(unsigned w, unsigned h, unsigned kbps, unsigned kf_max, int cpu_used, unsigned max_intra_pct, vpx_codec_err_t *err) {
	duet_vp8 *e = calloc(1, sizeof *e);
	if (!e) { *err = VPX_CODEC_MEM_ERROR; return NULL; }
	*err = vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &e->cfg, 0);
	if (*err) { free(e); return NULL; }
	e->cfg.g_w = w;
	e->cfg.g_h = h;
	// Microseconds: the timestamps and durations passed are in them.
	e->cfg.g_timebase.num = 1;
	e->cfg.g_timebase.den = 1000000;
	e->cfg.g_threads = 1;
	e->cfg.g_lag_in_frames = 0;
	e->cfg.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
	e->cfg.g_pass = VPX_RC_ONE_PASS;
	e->cfg.rc_end_usage = VPX_CBR;
	e->cfg.rc_target_bitrate = kbps;
	e->cfg.rc_min_quantizer = 2;
	e->cfg.rc_max_quantizer = 56;
	e->cfg.rc_undershoot_pct = 100;
	e->cfg.rc_overshoot_pct = 15;
	e->cfg.rc_buf_initial_sz = 500;
	e->cfg.rc_buf_optimal_sz = 600;
	e->cfg.rc_buf_sz = 1000;
	e->cfg.rc_dropframe_thresh = 0;
	e->cfg.rc_resize_allowed = 0;
	e->cfg.kf_mode = VPX_KF_AUTO;
	e->cfg.kf_min_dist = 0;
	e->cfg.kf_max_dist = kf_max;
	*err = vpx_codec_enc_init(&e->ctx, vpx_codec_vp8_cx(), &e->cfg, 0);
	if (*err) { free(e); return NULL; }
	e->ready = 1;
	vpx_codec_control(&e->ctx, VP8E_SET_CPUUSED, cpu_used);
	vpx_codec_control(&e->ctx, VP8E_SET_STATIC_THRESHOLD, 1);
	vpx_codec_control(&e->ctx, VP8E_SET_NOISE_SENSITIVITY, 0);
	vpx_codec_control(&e->ctx, VP8E_SET_MAX_INTRA_BITRATE_PCT, max_intra_pct);
	vpx_img_wrap(&e->img, VPX_IMG_FMT_I420, w, h, 1, NULL);
	return e;
}

// Screen content: sharper text, and whole-frame updates skipped where
// nothing changed.
static vpx_codec_err_t duet_vp8_set_screen(duet_vp8 *e, int on) {
	return vpx_codec_control(&e->ctx, VP8E_SET_SCREEN_CONTENT_MODE, on);
}

static vpx_codec_err_t duet_vp8_set_kbps(duet_vp8 *e, unsigned kbps) {
	e->cfg.rc_target_bitrate = kbps;
	return vpx_codec_enc_config_set(&e->ctx, &e->cfg);
}

// duet_vp8_encode encodes one 4:2:0 picture whose planes live in Go
// memory; it keeps no pointer to them once it returns. The frame is
// copied into out (cap bytes); *n is its size, or the size needed when
// larger than cap (then nothing is copied and the frame is lost).
static vpx_codec_err_t duet_vp8_encode(duet_vp8 *e, unsigned char *y, unsigned char *u, unsigned char *v,
		int ystride, int cstride, long long pts, unsigned long duration, int force_key,
		unsigned char *out, size_t cap, size_t *n, int *key) {
	e->img.planes[VPX_PLANE_Y] = y;
	e->img.planes[VPX_PLANE_U] = u;
	e->img.planes[VPX_PLANE_V] = v;
	e->img.stride[VPX_PLANE_Y] = ystride;
	e->img.stride[VPX_PLANE_U] = cstride;
	e->img.stride[VPX_PLANE_V] = cstride;
	vpx_codec_err_t err = vpx_codec_encode(&e->ctx, &e->img, pts, duration,
		force_key ? VPX_EFLAG_FORCE_KF : 0, VPX_DL_REALTIME);
	e->img.planes[VPX_PLANE_Y] = e->img.planes[VPX_PLANE_U] = e->img.planes[VPX_PLANE_V] = NULL;
	*n = 0;
	*key = 0;
	if (err) return err;
	vpx_codec_iter_t iter = NULL;
	const vpx_codec_cx_pkt_t *pkt;
	while ((pkt = vpx_codec_get_cx_data(&e->ctx, &iter)) != NULL) {
		if (pkt->kind != VPX_CODEC_CX_FRAME_PKT) continue;
		if (*n + pkt->data.frame.sz <= cap) memcpy(out + *n, pkt->data.frame.buf, pkt->data.frame.sz);
		*n += pkt->data.frame.sz;
		if (pkt->data.frame.flags & VPX_FRAME_IS_KEY) *key = 1;
	}
	return VPX_CODEC_OK;
}

static void duet_vp8_free(duet_vp8 *e) {
	if (e->ready) vpx_codec_destroy(&e->ctx);
	free(e);
}
*/
import "C"

import (
	"fmt"
	"image"
	"sync"
	"time"
	"unsafe"
)

// vp8Encoder is libvpx's VP8 encoder set up for calls: one pass, constant
// bitrate with the buffer model libwebrtc uses, no look-ahead, error
// resilient, and key frames bounded in size so one does not flood the
// link. Unlike mediadevices' wrapper it gives libvpx the real frame
// durations, which its rate control depends on.
//
// Safe for concurrent use; calls are serialised. Close frees the C state
// exactly once.
type vp8Encoder struct {
	mu     sync.Mutex
	c      *C.duet_vp8 // guarded by mu; nil after Close
	width  int
	height int
	out    []byte // guarded by mu: the encoded frame, grown as needed
}

// Encoder settings that are not per call.
const (
	vp8CPUUsed = -6 // libvpx's realtime speed: faster, a little less sharp
	// vp8MaxIntraPct caps a key frame at this share of an average frame
	// (libwebrtc's rule for a 600 ms buffer at 30 fps).
	vp8MaxIntraPct = 900
)

// newVP8Encoder returns an encoder of width×height pictures at bps
// bits/s, with a key frame at least every keyFrameEvery frames.
func newVP8Encoder(width, height, bps, keyFrameEvery int) (*vp8Encoder, error) {
	if width < 16 || height < 16 || width > 4096 || height > 4096 || width%2 != 0 || height%2 != 0 {
		return nil, fmt.Errorf("vp8 encoder %dx%d: %w", width, height, ErrInvalidConfig)
	}
	var cerr C.vpx_codec_err_t
	c := C.duet_vp8_new(C.uint(width), C.uint(height), C.uint(max(bps/1000, 1)), C.uint(max(keyFrameEvery, 1)),
		C.int(vp8CPUUsed), C.uint(vp8MaxIntraPct), &cerr)
	if c == nil {
		return nil, fmt.Errorf("vp8 encoder %dx%d: %s", width, height, C.GoString(C.vpx_codec_err_to_string(cerr)))
	}
	return &vp8Encoder{c: c, width: width, height: height, out: make([]byte, 2*width*height)}, nil
}

// setScreenContent tunes the encoder for a shared screen rather than a
// camera.
func (e *vp8Encoder) setScreenContent(on bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c == nil {
		return fmt.Errorf("vp8 screen content: %w", ErrClosed)
	}
	v := 0
	if on {
		v = 1
	}
	if err := C.duet_vp8_set_screen(e.c, C.int(v)); err != 0 {
		return fmt.Errorf("vp8 screen content: %s", C.GoString(C.vpx_codec_err_to_string(err)))
	}
	return nil
}

// setBitRate changes the target from the next frame on.
func (e *vp8Encoder) setBitRate(bps int) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c == nil {
		return fmt.Errorf("vp8 set bitrate: %w", ErrClosed)
	}
	if err := C.duet_vp8_set_kbps(e.c, C.uint(max(bps/1000, 1))); err != 0 {
		return fmt.Errorf("vp8 set bitrate %d: %s", bps, C.GoString(C.vpx_codec_err_to_string(err)))
	}
	return nil
}

// encode encodes img (4:2:0, the encoder's size) shown at pts for
// duration. The frame returned is the caller's; it is empty when libvpx
// emitted none.
func (e *vp8Encoder) encode(img *image.YCbCr, pts, duration time.Duration, forceKey bool) (frame []byte, key bool, err error) {
	if img.Rect.Dx() != e.width || img.Rect.Dy() != e.height || img.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return nil, false, fmt.Errorf("vp8 encode %v %v: %w: want %dx%d 4:2:0", img.Rect.Size(), img.SubsampleRatio,
			ErrInvalidConfig, e.width, e.height)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c == nil {
		return nil, false, fmt.Errorf("vp8 encode: %w", ErrClosed)
	}
	y := img.Y[img.YOffset(img.Rect.Min.X, img.Rect.Min.Y):]
	cb := img.Cb[img.COffset(img.Rect.Min.X, img.Rect.Min.Y):]
	cr := img.Cr[img.COffset(img.Rect.Min.X, img.Rect.Min.Y):]
	force := C.int(0)
	if forceKey {
		force = 1
	}
	for {
		var n C.size_t
		var k C.int
		cerr := C.duet_vp8_encode(e.c, (*C.uchar)(unsafe.Pointer(&y[0])), (*C.uchar)(unsafe.Pointer(&cb[0])),
			(*C.uchar)(unsafe.Pointer(&cr[0])), C.int(img.YStride), C.int(img.CStride),
			C.longlong(pts.Microseconds()), C.ulong(max(duration.Microseconds(), 1)), force,
			(*C.uchar)(unsafe.Pointer(&e.out[0])), C.size_t(len(e.out)), &n, &k)
		if cerr != 0 {
			return nil, false, fmt.Errorf("vp8 encode: %s", C.GoString(C.vpx_codec_err_to_string(cerr)))
		}
		if int(n) <= len(e.out) {
			return append([]byte(nil), e.out[:n]...), k != 0, nil
		}
		// Larger than the buffer: the frame is gone from libvpx, so a key
		// frame takes its place, a moment later.
		e.out = make([]byte, int(n))
		force = 1
		pts += time.Microsecond
	}
}

// close frees the encoder. It is idempotent.
func (e *vp8Encoder) close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c != nil {
		C.duet_vp8_free(e.c)
		e.c = nil
	}
}
