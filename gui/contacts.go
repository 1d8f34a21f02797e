package gui

import (
	"context"
	"errors"
	"image/color"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"duet/call"
	"duet/call/local"
	"duet/call/proto"
)

// Presence colours: the dot before each contact.
var (
	presenceOnline  = color.NRGBA{0x22, 0xc5, 0x5e, 0xff}
	presenceBusy    = color.NRGBA{0xf5, 0x9e, 0x0b, 0xff}
	presenceOffline = color.NRGBA{0x9c, 0xa3, 0xaf, 0xff}
)

func presenceColor(p proto.Presence) color.Color {
	switch p {
	case proto.PresenceOnline:
		return presenceOnline
	case proto.PresenceInCall:
		return presenceBusy
	}
	return presenceOffline
}

func presenceText(p proto.Presence) string {
	switch p {
	case proto.PresenceOnline:
		return lang.L("Online")
	case proto.PresenceInCall:
		return lang.L("In a call")
	}
	return lang.L("Offline")
}

// contactBook is the contacts list's model: every account with its
// presence, our own first, then by name, narrowed by the filter.
type contactBook struct {
	self   string
	all    []proto.Contact
	filter string
	shown  []proto.Contact
}

func (b *contactBook) set(cs []proto.Contact) {
	b.all = slices.Clone(cs)
	b.update()
}

// setPresence records a presence change; an account not yet listed (just
// created on the server) is added.
func (b *contactBook) setPresence(account string, p proto.Presence) {
	i := slices.IndexFunc(b.all, func(c proto.Contact) bool { return c.Account == account })
	if i < 0 {
		b.all = append(b.all, proto.Contact{Account: account, Presence: p})
	} else {
		b.all[i].Presence = p
	}
	b.update()
}

func (b *contactBook) setFilter(f string) {
	b.filter = strings.TrimSpace(f)
	b.update()
}

func (b *contactBook) update() {
	slices.SortFunc(b.all, func(x, y proto.Contact) int {
		switch {
		case x.Account == b.self:
			return -1
		case y.Account == b.self:
			return 1
		}
		return strings.Compare(strings.ToLower(x.Account), strings.ToLower(y.Account))
	})
	b.shown = b.shown[:0]
	f := strings.ToLower(b.filter)
	for _, c := range b.all {
		if f == "" || strings.Contains(strings.ToLower(c.Account), f) ||
			strings.Contains(strings.ToLower(local.DisplayName(c.Account)), f) ||
			strings.Contains(strings.ToLower(displayName(c.Account)), f) {
			b.shown = append(b.shown, c)
		}
	}
}

// emptyText is what the list says when it shows nothing.
func (b *contactBook) emptyText() string {
	switch {
	case len(b.shown) > 0:
		return ""
	case len(b.all) == 0:
		return lang.L("No contacts yet — accounts appear here once they exist on the server.")
	}
	return lang.L("Nobody matches “{{.Filter}}”", args{"Filter": b.filter})
}

// contactsView is the Contacts tab.
type contactsView struct {
	root   *fyne.Container
	book   contactBook
	filter *widget.Entry
	list   *widget.List
	empty  *widget.Label
	onCall func(peer string, typ proto.CallType)
}

func newContactsView(onCall func(string, proto.CallType)) *contactsView {
	v := &contactsView{onCall: onCall, filter: widget.NewEntry(), empty: widget.NewLabel("")}
	v.filter.SetPlaceHolder(lang.L("Filter contacts"))
	v.filter.ActionItem = widget.NewIcon(theme.SearchIcon())
	v.filter.OnChanged = func(s string) {
		v.book.setFilter(s)
		v.refresh()
	}
	v.list = widget.NewList(
		func() int { return len(v.book.shown) },
		func() fyne.CanvasObject { return newContactRow(v.call) },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < len(v.book.shown) {
				o.(*contactRow).bind(v.book.shown[id], v.book.shown[id].Account == v.book.self)
			}
		})
	v.list.HideSeparators = false
	v.empty.Alignment = fyne.TextAlignCenter
	v.empty.Wrapping = fyne.TextWrapWord
	v.root = container.NewBorder(container.NewPadded(v.filter), nil, nil, nil,
		container.NewStack(v.list, container.NewVBox(v.empty)))
	return v
}

func (v *contactsView) call(peer string, typ proto.CallType) { v.onCall(peer, typ) }

func (v *contactsView) setSelf(account string) {
	v.book.self = account
	v.book.update()
	v.refresh()
}

func (v *contactsView) set(cs []proto.Contact) {
	v.book.set(cs)
	v.refresh()
}

func (v *contactsView) setPresence(account string, p proto.Presence) {
	v.book.setPresence(account, p)
	v.refresh()
}

func (v *contactsView) refresh() {
	v.empty.SetText(v.book.emptyText())
	if setVisible(v.empty, v.empty.Text != "") {
		v.root.Refresh()
	}
	v.list.Refresh()
}

// contactRow is one contact: presence dot, name, presence, call buttons.
type contactRow struct {
	widget.BaseWidget
	contact  proto.Contact
	dot      *canvas.Circle
	name     *widget.Label
	presence *widget.Label
	audio    *widget.Button
	video    *widget.Button
	content  *fyne.Container
}

func newContactRow(onCall func(string, proto.CallType)) *contactRow {
	r := &contactRow{
		dot:      canvas.NewCircle(presenceOffline),
		name:     widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		presence: widget.NewLabel(""),
	}
	r.audio = widget.NewButtonWithIcon("", iconCall, func() { onCall(r.contact.Account, proto.CallTypeAudio) })
	r.video = widget.NewButtonWithIcon("", iconVideo, func() { onCall(r.contact.Account, proto.CallTypeVideo) })
	r.audio.Importance = widget.LowImportance
	r.video.Importance = widget.LowImportance
	r.presence.Importance = widget.LowImportance
	dot := container.NewCenter(container.NewGridWrap(fyne.NewSquareSize(12), r.dot))
	r.content = container.NewBorder(nil, nil, container.NewHBox(dot, r.name), container.NewHBox(r.presence, r.audio, r.video))
	r.ExtendBaseWidget(r)
	return r
}

func (r *contactRow) bind(c proto.Contact, self bool) {
	r.contact = c
	r.dot.FillColor = presenceColor(c.Presence)
	r.dot.Refresh()
	if self {
		r.name.SetText(lang.L("{{.Name}} (you)", args{"Name": c.Account}))
	} else {
		r.name.SetText(displayName(c.Account))
	}
	r.presence.SetText(presenceText(c.Presence))
	setVisible(r.audio, !self)
	setVisible(r.video, !self)
	r.content.Refresh() // the texts' widths changed: lay out again
}

func (r *contactRow) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.content) }

// loadContacts asks the server for the contacts, which also subscribes to
// their presence changes.
func (u *ui) loadContacts() {
	ph := u.phone()
	if ph == nil || u.conn.state == connReconnecting {
		return // loaded once the connection is back
	}
	epoch := u.conn.epoch
	u.goBG(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, requestTimeout)
		defer cancel()
		cs, err := ph.Client().Contacts(ctx)
		u.post(func() {
			if epoch != u.conn.epoch {
				return
			}
			if err != nil {
				u.log.Warn("load contacts", "err", err)
				if !errors.Is(err, call.ErrReconnecting) { // loaded once back
					u.notice(lang.L("Could not load contacts: {{.Err}}", args{"Err": err}))

				}
				return
			}
			u.contacts.set(cs)
		})
	})
}
