package devices

import (
	"bufio"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Y4MHeader is what a YUV4MPEG2 stream header says about its frames.
type Y4MHeader struct {
	Width, Height int
	// The frame rate is FPSNum/FPSDen frames per second.
	FPSNum, FPSDen int
	// Colorspace is the C tag as written ("420jpeg", …), "" when absent.
	// Every accepted colourspace is 8-bit 4:2:0.
	Colorspace string
}

// Limits on what a Y4M file may declare.
const (
	y4mMagic    = "YUV4MPEG2"
	maxY4MLine  = 1024 // a stream or frame header line, with its newline
	maxY4MSize  = 4096
	minY4MFPS   = 1
	maxY4MFPS   = 120
	maxY4MRatio = 1_000_000 // bound on F's numerator and denominator
)

// y4m420 are the C tags of 8-bit 4:2:0, which differ only in where chroma
// samples sit; Duet treats them alike.
var y4m420 = map[string]bool{"": true, "420jpeg": true, "420": true, "420mpeg2": true, "420paldv": true}

// FrameBytes is the size of one frame's planes.
func (h Y4MHeader) FrameBytes() int { return h.Width*h.Height + 2*(h.Width/2)*(h.Height/2) }

// FPS is the frame rate.
func (h Y4MHeader) FPS() float64 { return float64(h.FPSNum) / float64(h.FPSDen) }

// ParseY4MHeader parses a YUV4MPEG2 stream header line (without its
// newline). It accepts 8-bit 4:2:0 only, an even size from MinStampWidth
// wide (so frames can carry a stamp) up to 4096×4096, and 1..120 fps;
// interlacing and aspect tags are ignored, as are unknown and X tags.
func ParseY4MHeader(line string) (Y4MHeader, error) {
	rest, ok := strings.CutPrefix(line, y4mMagic)
	if !ok || (rest != "" && rest[0] != ' ') {
		return Y4MHeader{}, errors.New("not a YUV4MPEG2 file")
	}
	var h Y4MHeader
	for _, tok := range strings.Split(rest, " ")[1:] {
		if tok == "" {
			return Y4MHeader{}, errors.New("y4m header: empty parameter")
		}
		val := tok[1:]
		var err error
		switch tok[0] {
		case 'W':
			h.Width, err = y4mInt(val, maxY4MSize)
		case 'H':
			h.Height, err = y4mInt(val, maxY4MSize)
		case 'F':
			num, den, found := strings.Cut(val, ":")
			if !found {
				err = errors.New("want num:den")
				break
			}
			if h.FPSNum, err = y4mInt(num, maxY4MRatio); err == nil {
				h.FPSDen, err = y4mInt(den, maxY4MRatio)
			}
		case 'C':
			h.Colorspace = val
		}
		if err != nil {
			return Y4MHeader{}, fmt.Errorf("y4m header: %c%s: %w", tok[0], val, err)
		}
	}
	switch {
	case !y4m420[h.Colorspace]:
		return Y4MHeader{}, fmt.Errorf("y4m colourspace %s not supported; want 8-bit 4:2:0 (C420jpeg, C420, C420mpeg2, C420paldv)",
			h.Colorspace)
	case h.Width == 0 || h.Height == 0:
		return Y4MHeader{}, errors.New("y4m header: no W or H")
	case h.Width%2 != 0 || h.Height%2 != 0 || h.Width < MinStampWidth || h.Height < 2*StampHeight(h.Width):
		return Y4MHeader{}, fmt.Errorf("y4m size %dx%d not supported; want even, %d..%d wide and at least %d high",
			h.Width, h.Height, MinStampWidth, maxY4MSize, 2*StampHeight(h.Width))
	case h.FPSNum == 0 || h.FPSDen == 0:
		return Y4MHeader{}, errors.New("y4m header: no frame rate (F)")
	case h.FPS() < minY4MFPS || h.FPS() > maxY4MFPS:
		return Y4MHeader{}, fmt.Errorf("y4m frame rate %d:%d not supported; want %d..%d fps",
			h.FPSNum, h.FPSDen, minY4MFPS, maxY4MFPS)
	}
	return h, nil
}

// y4mInt parses a positive decimal no larger than limit.
func y4mInt(s string, limit int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > limit || s[0] == '+' {
		return 0, fmt.Errorf("want a number 1..%d", limit)
	}
	return n, nil
}

// readY4MLine reads one header line of at most maxY4MLine bytes and returns
// it without its newline. At a clean end of input it returns io.EOF.
func readY4MLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadSlice('\n')
	switch {
	case len(line) > maxY4MLine || errors.Is(err, bufio.ErrBufferFull):
		return "", fmt.Errorf("y4m header line longer than %d bytes", maxY4MLine)
	case err == nil:
		return string(line[:len(line)-1]), nil
	case len(line) > 0:
		return "", errors.New("y4m header line cut short")
	default:
		return "", err
	}
}
