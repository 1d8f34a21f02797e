package proto

import (
	"encoding"
	"encoding/json"
	"testing"
)

func TestCallType(t *testing.T) {
	for _, tc := range []struct {
		v     CallType
		str   string
		valid bool
	}{
		{-1, "unknown(-1)", false},
		{CallTypeUnknown, "unknown(0)", false},
		{CallTypeAudio, "audio", true},
		{CallTypeVideo, "video", true},
		{3, "unknown(3)", false},
	} {
		if got := tc.v.String(); got != tc.str {
			t.Errorf("CallType(%d).String() = %q, want %q", int(tc.v), got, tc.str)
		}
		if got := tc.v.Valid(); got != tc.valid {
			t.Errorf("CallType(%d).Valid() = %v, want %v", int(tc.v), got, tc.valid)
		}
	}
	// The wire form is the number, as in the netcall API.
	checkNumberWire(t, CallTypeAudio, "1")
	checkNumberWire(t, CallTypeVideo, "2")
}

func TestCallStatus(t *testing.T) {
	for _, tc := range []struct {
		v   CallStatus
		str string
	}{
		{-1, "unknown(-1)"},
		{StatusUnknown, "unknown(0)"},
		{StatusCompleted, "completed"},
		{StatusCancelled, "cancelled"},
		{StatusRejected, "rejected"},
		{StatusTimeout, "timeout"},
		{StatusBusy, "busy"},
		{StatusOffline, "offline"},
		{StatusNetworkLost, "networkLost"},
		{8, "unknown(8)"},
	} {
		if got := tc.v.String(); got != tc.str {
			t.Errorf("CallStatus(%d).String() = %q, want %q", int(tc.v), got, tc.str)
		}
	}
	for want, s := range []CallStatus{StatusUnknown, StatusCompleted, StatusCancelled, StatusRejected,
		StatusTimeout, StatusBusy, StatusOffline, StatusNetworkLost} {
		if int(s) != want {
			t.Errorf("%v = %d, want %d (the numbers are the wire form)", s, int(s), want)
		}
	}
	checkNumberWire(t, StatusNetworkLost, "7")
}

func checkNumberWire(t *testing.T, v any, want string) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil || string(b) != want {
		t.Errorf("json.Marshal(%v) = %s, %v; want %s", v, b, err, want)
	}
}

// textCase is one value of a text enum: its String() and its wire form
// ("" when it has none).
type textCase[T any] struct {
	v    T
	str  string
	wire string
}

// textEnumValue is a text enum such as ClientType; P is its pointer type.
type textEnumValue interface {
	~int
	String() string
	encoding.TextMarshaler
}

// checkTextEnum checks String, MarshalText, UnmarshalText and the JSON form
// of every case, and that strings that are not wire forms are rejected.
// cases must hold every value from 0 to the last one, and one past it.
func checkTextEnum[T textEnumValue, P interface {
	*T
	encoding.TextUnmarshaler
}](t *testing.T, cases []textCase[T]) {
	t.Helper()
	for i, tc := range cases {
		if int(tc.v) != i {
			t.Fatalf("cases[%d] is value %d: list every value in order", i, int(tc.v))
		}
		if got := tc.v.String(); got != tc.str {
			t.Errorf("%T(%d).String() = %q, want %q", tc.v, int(tc.v), got, tc.str)
		}
		b, err := tc.v.MarshalText()
		if tc.wire == "" {
			if err == nil {
				t.Errorf("%T(%d).MarshalText() = %q, want an error", tc.v, int(tc.v), b)
			}
			if _, err := json.Marshal(tc.v); err == nil {
				t.Errorf("json.Marshal(%T(%d)) succeeded; it has no wire form", tc.v, int(tc.v))
			}
			continue
		}
		if err != nil || string(b) != tc.wire {
			t.Errorf("%T(%d).MarshalText() = %q, %v; want %q", tc.v, int(tc.v), b, err, tc.wire)
		}
		var back T
		if err := P(&back).UnmarshalText([]byte(tc.wire)); err != nil || back != tc.v {
			t.Errorf("UnmarshalText(%q) = %d, %v; want %d", tc.wire, int(back), err, int(tc.v))
		}
		j, err := json.Marshal(tc.v)
		if err != nil || string(j) != `"`+tc.wire+`"` {
			t.Errorf("json.Marshal(%T(%d)) = %s, %v; want %q", tc.v, int(tc.v), j, err, tc.wire)
		}
		back = 0
		if err := json.Unmarshal(j, P(&back)); err != nil || back != tc.v {
			t.Errorf("json.Unmarshal(%s) = %d, %v; want %d", j, int(back), err, int(tc.v))
		}
	}
	bad := []string{"", "unknown(0)", "unknown", " ", "0", "1"}
	for _, tc := range cases {
		if tc.wire != "" {
			// Wire forms are exact: no other case, no padding.
			bad = append(bad, " "+tc.wire, tc.wire+" ", upperFirst(tc.wire), tc.wire+"\x00")
		}
	}
	for _, s := range bad {
		back := T(1)
		if err := P(&back).UnmarshalText([]byte(s)); err == nil {
			t.Errorf("%T.UnmarshalText(%q) = %d, want an error", back, s, int(back))
		}
		if back != 0 {
			t.Errorf("%T.UnmarshalText(%q) left %d, want the zero value", back, s, int(back))
		}
	}
	// A number is not a wire form of a text enum.
	var back T
	if err := json.Unmarshal([]byte("1"), P(&back)); err == nil {
		t.Errorf("json.Unmarshal(1) into %T succeeded", back)
	}
}

func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

func TestClientType(t *testing.T) {
	checkTextEnum(t, []textCase[ClientType]{
		{ClientUnknown, "unknown(0)", ""},
		{ClientDesktop, "desktop", "desktop"},
		{ClientBot, "bot", "bot"},
		{ClientWeb, "web", "web"},
		{ClientMobile, "mobile", "mobile"},
		{5, "unknown(5)", ""},
	})
}

func TestPresence(t *testing.T) {
	checkTextEnum(t, []textCase[Presence]{
		{PresenceUnknown, "unknown(0)", ""},
		{PresenceOffline, "offline", "offline"},
		{PresenceOnline, "online", "online"},
		{PresenceInCall, "inCall", "inCall"},
		{4, "unknown(4)", ""},
	})
}

func TestReason(t *testing.T) {
	checkTextEnum(t, []textCase[Reason]{
		{ReasonUnknown, "unknown(0)", ""},
		{ReasonHangup, "hangup", "hangup"},
		{ReasonCancelled, "cancelled", "cancelled"},
		{ReasonRejected, "rejected", "rejected"},
		{ReasonBusy, "busy", "busy"},
		{ReasonTimeout, "timeout", "timeout"},
		{ReasonNetworkLost, "networkLost", "networkLost"},
		{ReasonOffline, "offline", "offline"},
		{8, "unknown(8)", ""},
	})
}

func TestReasonStatus(t *testing.T) {
	for _, tc := range []struct {
		r    Reason
		want CallStatus
	}{
		{ReasonUnknown, StatusUnknown},
		{ReasonHangup, StatusCompleted},
		{ReasonCancelled, StatusCancelled},
		{ReasonRejected, StatusRejected},
		{ReasonBusy, StatusBusy},
		{ReasonTimeout, StatusTimeout},
		{ReasonNetworkLost, StatusNetworkLost},
		{ReasonOffline, StatusOffline},
		{8, StatusUnknown},
		{-1, StatusUnknown},
	} {
		if got := tc.r.Status(); got != tc.want {
			t.Errorf("%v.Status() = %v, want %v", tc.r, got, tc.want)
		}
	}
}
