package gui

import (
	"hash/fnv"
	"image/color"
	"strings"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"
)

// avatarPalette are calm colours white initials read well on.
var avatarPalette = []color.NRGBA{
	{0x4f, 0x46, 0xe5, 0xff}, {0x06, 0x91, 0xb2, 0xff}, {0x05, 0x96, 0x69, 0xff}, {0xd9, 0x77, 0x06, 0xff},
	{0xdb, 0x27, 0x77, 0xff}, {0x7c, 0x3a, 0xed, 0xff}, {0x25, 0x63, 0xeb, 0xff}, {0xdc, 0x26, 0x26, 0xff},
}

// initials are what an avatar shows: "alice" → "A", "bob.smith" → "BS".
func initials(name string) string {
	parts := strings.FieldsFunc(name, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	var out []rune
	for _, p := range parts {
		out = append(out, unicode.ToUpper([]rune(p)[0]))
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}

func avatarColor(name string) color.NRGBA {
	h := fnv.New32a()
	h.Write([]byte(name))
	return avatarPalette[h.Sum32()%uint32(len(avatarPalette))]
}

// avatar is a coloured circle with a person's initials: the face of an
// audio call and of a peer whose camera is off.
type avatar struct {
	widget.BaseWidget
	name string
	size float32
}

func newAvatar(name string, size float32) *avatar {
	a := &avatar{name: name, size: size}
	a.ExtendBaseWidget(a)
	return a
}

func (a *avatar) CreateRenderer() fyne.WidgetRenderer {
	r := &avatarRenderer{a: a, circle: canvas.NewCircle(color.Black), text: canvas.NewText("", color.White)}
	r.text.TextStyle = fyne.TextStyle{Bold: true}
	r.text.Alignment = fyne.TextAlignCenter
	r.Refresh()
	return r
}

type avatarRenderer struct {
	a      *avatar
	circle *canvas.Circle
	text   *canvas.Text
}

func (r *avatarRenderer) Layout(size fyne.Size) {
	d := min(size.Width, size.Height)
	pos := fyne.NewPos((size.Width-d)/2, (size.Height-d)/2)
	r.circle.Move(pos)
	r.circle.Resize(fyne.NewSquareSize(d))
	r.text.TextSize = d * 0.4
	ts := r.text.MinSize()
	r.text.Move(fyne.NewPos((size.Width-ts.Width)/2, (size.Height-ts.Height)/2))
	r.text.Resize(ts)
}

func (r *avatarRenderer) MinSize() fyne.Size { return fyne.NewSquareSize(r.a.size) }

func (r *avatarRenderer) Refresh() {
	r.circle.FillColor = avatarColor(r.a.name)
	r.text.Text = initials(r.a.name)
	r.circle.Refresh()
	r.text.Refresh()
}

func (r *avatarRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.circle, r.text} }
func (r *avatarRenderer) Destroy()                     {}
