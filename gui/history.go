package gui

import (
	"context"
	"errors"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"duet/call"
	"duet/call/media"
	"duet/call/proto"
)

// historyRow is one call record (话单) as this account sees it.
type historyRow struct {
	seq      int64
	cid      string
	incoming bool
	peer     string
	typ      proto.CallType
	status   proto.CallStatus
	duration time.Duration
	when     time.Time
	// poor: the call was poor (see poorCalls), and whose link was to blame.
	poor       bool
	poorReason media.QualityReason
}

func toHistoryRow(self string, r proto.CallRecord) historyRow {
	row := historyRow{seq: r.Seq, cid: r.CID, incoming: r.Callee == self, typ: r.Type, status: r.Status,
		duration: time.Duration(r.Duration) * time.Millisecond, when: time.UnixMilli(r.CreatedAt)}
	row.peer = r.Callee
	if row.incoming {
		row.peer = r.Caller
	}
	return row
}

// missed is an incoming call nobody here answered.
func (r historyRow) missed() bool {
	return r.incoming && (r.status == proto.StatusCancelled || r.status == proto.StatusTimeout)
}

// statusText is the record's status in words.
func (r historyRow) statusText() string {
	if r.missed() {
		return lang.L("Missed")
	}
	switch r.status {
	case proto.StatusCompleted:
		return lang.L("Completed")
	case proto.StatusCancelled:
		return lang.L("Cancelled")
	case proto.StatusRejected:
		return lang.L("Declined")
	case proto.StatusTimeout:
		return lang.L("No answer")
	case proto.StatusBusy:
		return lang.L("Busy")
	case proto.StatusOffline:
		return lang.L("Offline")
	case proto.StatusNetworkLost:
		return lang.L("Connection lost")
	}
	return r.status.String()
}

func (r historyRow) summary() string {
	video := r.typ == proto.CallTypeVideo
	var kind string
	switch {
	case r.incoming && video:
		kind = lang.L("Incoming video call")
	case r.incoming:
		kind = lang.L("Incoming audio call")
	case video:
		kind = lang.L("Outgoing video call")
	default:
		kind = lang.L("Outgoing audio call")
	}
	s := kind + " · " + r.statusText()
	if r.duration > 0 {
		s += " · " + spokenDuration(r.duration)
	}
	return s
}

// historyModel is the History tab's model: the pages loaded so far, newest
// first, with records that arrive live merged in.
type historyModel struct {
	self string
	rows []historyRow
	next int64 // cursor of the next page; 0 when there is none
}

func (m *historyModel) replace(res proto.HistoryResult) {
	m.rows = m.rows[:0]
	m.more(res)
}

func (m *historyModel) more(res proto.HistoryResult) {
	for _, r := range res.Records {
		m.merge(toHistoryRow(m.self, r))
	}
	m.next = res.Next
}

// merge adds or replaces a row, keeping newest first.
func (m *historyModel) merge(row historyRow) {
	if i := slices.IndexFunc(m.rows, func(r historyRow) bool { return r.cid == row.cid }); i >= 0 {
		m.rows[i] = row
	} else {
		m.rows = append(m.rows, row)
	}
	slices.SortStableFunc(m.rows, func(a, b historyRow) int {
		switch {
		case a.seq > b.seq:
			return -1
		case a.seq < b.seq:
			return 1
		}
		return 0
	})
}

// historyView is the History tab.
type historyView struct {
	root    *fyne.Container
	model   historyModel
	list    *widget.List
	empty   *widget.Label
	more    *widget.Button
	loading bool
	// poor looks up whether a call was poor; nil knows of none.
	poor func(cid string) (media.QualityReason, bool)
}

func newHistoryView(onCall func(string, proto.CallType), onMore, onReload func()) *historyView {
	v := &historyView{empty: widget.NewLabel(lang.L("No calls yet"))}
	v.list = widget.NewList(
		func() int { return len(v.model.rows) },
		func() fyne.CanvasObject { return newHistoryRowView(onCall) },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < len(v.model.rows) {
				row := v.model.rows[id]
				if v.poor != nil {
					row.poorReason, row.poor = v.poor(row.cid)
				}
				o.(*historyRowView).bind(row, time.Now())
			}
		})
	v.more = widget.NewButton(lang.L("Load older calls"), onMore)
	v.more.Hide()
	v.empty.Alignment = fyne.TextAlignCenter
	reload := widget.NewButtonWithIcon(lang.L("Refresh"), theme.ViewRefreshIcon(), onReload)
	reload.Importance = widget.LowImportance
	top := container.NewBorder(nil, nil, widget.NewLabelWithStyle(lang.L("Recent calls"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), reload)
	v.root = container.NewBorder(container.NewPadded(top), container.NewCenter(v.more), nil, nil,
		container.NewStack(v.list, container.NewVBox(v.empty)))
	return v
}

func (v *historyView) setSelf(account string) {
	if v.model.self != account {
		v.model = historyModel{self: account}
		v.refresh()
	}
}

// add merges a record that just arrived (a call ended).
func (v *historyView) add(r proto.CallRecord) {
	v.model.merge(toHistoryRow(v.model.self, r))
	v.refresh()
}

func (v *historyView) refresh() {
	a := setVisible(v.empty, len(v.model.rows) == 0)
	if setVisible(v.more, v.model.next != 0) || a {
		v.root.Refresh()
	}
	v.list.Refresh()
}

// historyRowView is one record: direction, peer, what happened, when, call back.
type historyRowView struct {
	widget.BaseWidget
	row     historyRow
	dir     *widget.Icon
	peer    *widget.Label
	summary *widget.Label
	quality *widget.Label // a poor call's line
	when    *widget.Label
	callBtn *widget.Button
	content *fyne.Container
}

func newHistoryRowView(onCall func(string, proto.CallType)) *historyRowView {
	r := &historyRowView{
		dir:     widget.NewIcon(iconOutgoing),
		peer:    widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		summary: widget.NewLabel(""),
		quality: widget.NewLabel(""),
		when:    widget.NewLabel(""),
	}
	r.summary.Importance = widget.LowImportance
	r.quality.Importance = widget.WarningImportance
	r.quality.Hide()
	r.callBtn = widget.NewButtonWithIcon(lang.L("Call back"), iconCall, func() { onCall(r.row.peer, r.row.typ) })
	r.callBtn.Importance = widget.LowImportance
	r.content = container.NewBorder(nil, nil, container.NewHBox(r.dir, r.peer, r.summary, r.quality),
		container.NewHBox(r.when, r.callBtn))
	r.ExtendBaseWidget(r)
	return r
}

func (r *historyRowView) bind(row historyRow, now time.Time) {
	r.row = row
	icon := iconOutgoing
	if row.incoming {
		icon = iconIncoming
	}
	if row.missed() || row.status == proto.StatusRejected || row.status == proto.StatusBusy {
		icon = theme.NewErrorThemedResource(icon)
	}
	r.dir.SetResource(icon)
	r.peer.SetText(displayName(row.peer))
	r.summary.SetText(row.summary())
	r.when.SetText(formatWhen(row.when, now))
	if row.poor {
		r.quality.SetText(poorLine(row.poorReason))
	}
	setVisible(r.quality, row.poor)
	if row.typ == proto.CallTypeVideo {
		r.callBtn.SetIcon(iconVideo)
	} else {
		r.callBtn.SetIcon(iconCall)
	}
	r.content.Refresh() // the texts' widths changed: lay out again
}

func (r *historyRowView) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(r.content)
}

// reloadHistory loads the newest page of records.
func (u *ui) reloadHistory() { u.loadHistory(0) }

// loadMoreHistory loads the page after the last one shown (button callback).
func (u *ui) loadMoreHistory() {
	if next := u.history.model.next; next != 0 {
		u.loadHistory(next)
	}
}

func (u *ui) loadHistory(before int64) {
	ph := u.phone()
	v := u.history
	if ph == nil || v.loading || u.conn.state == connReconnecting {
		return // reloaded once the connection is back
	}
	v.loading = true
	epoch := u.conn.epoch
	u.goBG(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, requestTimeout)
		defer cancel()
		res, err := ph.Client().History(ctx, before, historyPage)
		u.post(func() {
			v.loading = false
			if epoch != u.conn.epoch {
				return
			}
			if err != nil {
				u.log.Warn("load history", "err", err)
				if !errors.Is(err, call.ErrReconnecting) { // reloaded once back
					u.notice(lang.L("Could not load the call history: {{.Err}}", args{"Err": err}))

				}
				return
			}
			if before == 0 {
				v.model.replace(res)
			} else {
				v.model.more(res)
			}
			v.refresh()
		})
	})
}

// historyPage is how many records one request fetches.
const historyPage = 50
