package gui

import (
	"time"

	"fyne.io/fyne/v2/lang"
)

// formatWhen is a record's time as the language writes it: the clock
// today, "Yesterday" and the weekday in the week before, the date before
// that, with the year when it is not this one.
func formatWhen(t, now time.Time) string {
	clock := t.Format("15:04")
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	day := args{"Time": clock, "Day": t.Day(), "Month": int(t.Month()), "Mon": monthName(t.Month()),
		"Year": t.Year(), "Weekday": weekdayName(t.Weekday())}
	switch {
	case !t.Before(today):
		return clock
	case !t.Before(today.AddDate(0, 0, -1)):
		return lang.L("Yesterday {{.Time}}", day)
	case !t.Before(today.AddDate(0, 0, -6)):
		return lang.L("{{.Weekday}} {{.Time}}", day)
	case t.Year() == now.Year():
		return lang.L("{{.Mon}} {{.Day}}, {{.Time}}", day)
	}
	return lang.L("{{.Mon}} {{.Day}}, {{.Year}}", day)
}

func monthName(m time.Month) string {
	return [...]string{lang.L("Jan"), lang.L("Feb"), lang.L("Mar"), lang.L("Apr"), lang.L("May"), lang.L("Jun"),
		lang.L("Jul"), lang.L("Aug"), lang.L("Sep"), lang.L("Oct"), lang.L("Nov"), lang.L("Dec")}[(m-1)%12]
}

func weekdayName(d time.Weekday) string {
	return [...]string{lang.L("Sun"), lang.L("Mon"), lang.L("Tue"), lang.L("Wed"), lang.L("Thu"), lang.L("Fri"),
		lang.L("Sat")}[d%7]
}

// spokenDuration is a call's length in words, "3 min 12 s" or "3分12秒",
// for history and the notice at its end; the call screen's running clock
// keeps formatDuration's m:ss.
func spokenDuration(d time.Duration) string {
	s := int(max(d, 0).Round(time.Second) / time.Second)
	v := args{"H": s / 3600, "M": s / 60 % 60, "S": s % 60}
	switch {
	case s >= 3600:
		return lang.L("{{.H}} h {{.M}} min", v)
	case s >= 60:
		return lang.L("{{.M}} min {{.S}} s", v)
	}
	return lang.L("{{.S}} s", v)
}
