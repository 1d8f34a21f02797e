package gui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"duet/call/media"
)

// Colours of the signal bars, readable on the call screen's dark shade.
var (
	qualityGood = color.NRGBA{0x4a, 0xde, 0x80, 0xff}
	qualityFair = callWarning
	qualityPoor = color.NRGBA{0xf8, 0x71, 0x71, 0xff}
	qualityOff  = color.NRGBA{0xff, 0xff, 0xff, 0x40} // a bar not lit
)

// qualityBars is the call's quality at a glance: three bars, lit green,
// two amber or one red, as Zoom and Teams show it. Hovering over them or
// tapping them shows why in words. Hidden while the quality is unknown.
// UI thread only.
type qualityBars struct {
	widget.BaseWidget
	q       media.Quality
	reason  media.QualityReason
	bars    [3]*canvas.Rectangle
	hint    *canvas.Text
	hovered bool
	tapped  bool // the hint stays until tapped again
	content *fyne.Container
	// relayout lays the bar holding the bars out again when the words
	// appear or go: Fyne does not when a child's size changes.
	relayout func()
}

func newQualityBars() *qualityBars {
	b := &qualityBars{hint: bigText("", 14, callText)}
	b.hint.Alignment = fyne.TextAlignLeading
	b.hint.Hide()
	box := container.NewWithoutLayout()
	const w, space, h = 6, 3, 20
	for i := range b.bars {
		r := canvas.NewRectangle(qualityOff)
		r.CornerRadius = 1
		bh := float32(h) * float32(i+1) / 3
		r.Resize(fyne.NewSize(w, bh))
		r.Move(fyne.NewPos(float32(i*(w+space)), h-bh))
		b.bars[i] = r
		box.Add(r)
	}
	spacer := canvas.NewRectangle(color.Transparent)
	spacer.SetMinSize(fyne.NewSize(3*w+2*space, h))
	// A little air between the name and the bars.
	b.content = container.NewHBox(gap(2), container.NewCenter(container.NewStack(spacer, box)), b.hint)
	b.ExtendBaseWidget(b)
	b.Hide()
	return b
}

// set shows quality q blaming reason, and reports whether the bars
// appeared or went (the caller then lays the bar out again).
func (b *qualityBars) set(q media.Quality, reason media.QualityReason) bool {
	if q == b.q && reason == b.reason {
		return false
	}
	b.q, b.reason = q, reason
	lit, c := 0, qualityOff
	switch q {
	case media.QualityGood:
		lit, c = 3, qualityGood
	case media.QualityFair:
		lit, c = 2, qualityFair
	case media.QualityPoor:
		lit, c = 1, qualityPoor
	}
	for i, r := range b.bars {
		r.FillColor = qualityOff
		if i < lit {
			r.FillColor = c
		}
		r.Refresh()
	}
	b.hint.Text = qualityHint(q, reason)
	b.hint.Refresh()
	return setVisible(b, q != media.QualityUnknown)
}

// showHint shows or hides the words; it reports whether that changed.
func (b *qualityBars) showHint() bool {
	if !setVisible(b.hint, b.hovered || b.tapped) {
		return false
	}
	b.content.Refresh()
	if b.relayout != nil {
		b.relayout()
	}
	return true
}

// Tapped keeps the words shown, or hides them again: a touch screen has
// no hover.
func (b *qualityBars) Tapped(*fyne.PointEvent) {
	b.tapped = !b.tapped
	b.showHint()
}

func (b *qualityBars) MouseIn(*desktop.MouseEvent) {
	b.hovered = true
	b.showHint()
}

func (b *qualityBars) MouseMoved(*desktop.MouseEvent) {}

func (b *qualityBars) MouseOut() {
	b.hovered = false
	b.showHint()
}

func (b *qualityBars) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(b.content)
}
