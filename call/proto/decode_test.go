package proto

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// decodeCase is one message a client might send. FuzzDecodeEnvelope is
// seeded with every msg.
type decodeCase struct {
	name string
	msg  string
	// code is the expected error code; "" means the request is valid.
	code Code
	// id is the ID DecodeEnvelope yields (also on error: the server puts it
	// in its error reply).
	id uint64
	// want is the decoded request of a valid case.
	want Request
}

func env(typ string, id uint64, data string) string {
	return `{"type":"` + typ + `","id":` + itoa(id) + `,"data":` + data + `}`
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// login builds login data with account a.
func login(a string) string {
	return `{"account":` + string(mustJSON(a)) + `,"token":"t0k","clientType":"desktop"}`
}

func decodeCases() []decodeCase {
	long := func(n int) string { return strings.Repeat("a", n) }
	q := func(s string) string { return string(mustJSON(s)) }
	padded := `{"type":"contacts","id":9}`
	padded += strings.Repeat(" ", MaxMessageSize-len(padded))
	return []decodeCase{
		// Valid requests, one or more of every type.
		{name: "login", msg: env("login", 1, `{"account":"alice","token":"t0k","clientType":"desktop","deviceId":"laptop-1"}`), id: 1,
			want: &Login{Account: "alice", Token: "t0k", ClientType: ClientDesktop, DeviceID: "laptop-1"}},
		{name: "login minimal", msg: env("login", 2, `{"account":"bob","clientType":"web"}`), id: 2,
			want: &Login{Account: "bob", ClientType: ClientWeb}},
		{name: "login every name character", msg: env("login", 3, `{"account":"Émile.o_k-9@x","token":"","clientType":"mobile","deviceId":"d"}`), id: 3,
			want: &Login{Account: "Émile.o_k-9@x", ClientType: ClientMobile, DeviceID: "d"}},
		{name: "login longest fields", msg: env("login", 4, `{"account":"`+long(MaxAccountLen)+`","token":"`+long(MaxTokenLen)+
			`","clientType":"bot","deviceId":"`+long(MaxDeviceIDLen)+`"}`), id: 4,
			want: &Login{Account: long(MaxAccountLen), Token: long(MaxTokenLen), ClientType: ClientBot, DeviceID: long(MaxDeviceIDLen)}},
		{name: "contacts without data", msg: `{"type":"contacts","id":5}`, id: 5, want: &Contacts{}},
		{name: "contacts empty data", msg: env("contacts", 6, `{}`), id: 6, want: &Contacts{}},
		{name: "contacts null data", msg: env("contacts", 7, `null`), id: 7, want: &Contacts{}},
		{name: "contacts whitespace", msg: " \n{ \"type\" : \"contacts\" , \"id\" : 8 }\r\n\t", id: 8, want: &Contacts{}},
		{name: "contacts exactly at the size limit", msg: padded, id: 9, want: &Contacts{}},
		{name: "call", msg: env("call", 10, `{"type":2,"callee":"bob","forceKeepCalling":true,"pushConfig":{"custom":"hi <b>"}}`), id: 10,
			want: &Call{Type: CallTypeVideo, Callee: "bob", ForceKeepCalling: true, PushConfig: PushConfig{Custom: "hi <b>"}}},
		{name: "call minimal", msg: env("call", 11, `{"type":1,"callee":"bob"}`), id: 11,
			want: &Call{Type: CallTypeAudio, Callee: "bob"}},
		{name: "call longest custom", msg: env("call", 12, `{"type":1,"callee":"bob","pushConfig":{"custom":"`+long(MaxCustomLen)+`"}}`), id: 12,
			want: &Call{Type: CallTypeAudio, Callee: "bob", PushConfig: PushConfig{Custom: long(MaxCustomLen)}}},
		{name: "response accept", msg: env("response", 13, `{"cid":"c1","accepted":true,"caller":"alice","type":2}`), id: 13,
			want: &Response{CID: "c1", Accepted: true, Caller: "alice", Type: CallTypeVideo}},
		{name: "response reject", msg: env("response", 14, `{"cid":"c1","accepted":false}`), id: 14,
			want: &Response{CID: "c1"}},
		{name: "response reject as busy", msg: env("response", 26, `{"cid":"c1","accepted":false,"reason":"busy"}`), id: 26,
			want: &Response{CID: "c1", Reason: ReasonBusy}},
		{name: "startRtc call type", msg: env("startRtc", 15, `{"cid":"c1","mode":0}`), id: 15, want: &StartRTC{CID: "c1"}},
		{name: "startRtc audio", msg: env("startRtc", 16, `{"cid":"c1","mode":1}`), id: 16, want: &StartRTC{CID: "c1", Mode: CallTypeAudio}},
		{name: "startRtc video no mode", msg: env("startRtc", 17, `{"cid":"`+long(64)+`"}`), id: 17, want: &StartRTC{CID: long(64)}},
		{name: "hangup", msg: env("hangup", 18, `{"cid":"c1"}`), id: 18, want: &Hangup{CID: "c1"}},
		{name: "hangup timeout", msg: env("hangup", 19, `{"cid":"c1","reason":"timeout"}`), id: 19,
			want: &Hangup{CID: "c1", Reason: ReasonTimeout}},
		{name: "relay offer", msg: env("relay", 20, `{"cid":"c1","kind":"offer","payload":{"type":"offer","sdp":"v=0\r\n"}}`), id: 20,
			want: &Relay{CID: "c1", Kind: "offer", Payload: json.RawMessage(`{"type":"offer","sdp":"v=0\r\n"}`)}},
		{name: "relay candidate", msg: env("relay", 21, `{"cid":"c1","kind":"candidate","payload":{"candidate":"candidate:1 1 udp 2130706431 10.0.0.1 50000 typ host","sdpMid":"0","sdpMLineIndex":0}}`), id: 21,
			want: &Relay{CID: "c1", Kind: "candidate", Payload: json.RawMessage(`{"candidate":"candidate:1 1 udp 2130706431 10.0.0.1 50000 typ host","sdpMid":"0","sdpMLineIndex":0}`)}},
		{name: "relay media", msg: env("relay", 22, `{"cid":"c1","kind":"media","payload":{ "audio": true, "video": false }}`), id: 22,
			want: &Relay{CID: "c1", Kind: "media", Payload: json.RawMessage(`{ "audio": true, "video": false }`)}},
		{name: "relay scalar payload", msg: env("relay", 23, `{"cid":"c1","kind":"x","payload":1}`), id: 23,
			want: &Relay{CID: "c1", Kind: "x", Payload: json.RawMessage(`1`)}},
		{name: "history first page", msg: env("history", 24, `{}`), id: 24, want: &History{}},
		{name: "history next page", msg: env("history", 25, `{"before":42,"limit":100}`), id: 25, want: &History{Before: 42, Limit: MaxHistoryPage}},
		{name: "largest id", msg: env("contacts", 1<<64-1, `{}`), id: 1<<64 - 1, want: &Contacts{}},

		// Not JSON, or not one JSON object.
		{name: "empty", msg: "", code: CodeBadRequest},
		{name: "whitespace only", msg: " \n", code: CodeBadRequest},
		{name: "truncated", msg: `{"type":"contacts","id":1`, code: CodeBadRequest},
		{name: "not json", msg: "hello", code: CodeBadRequest},
		{name: "invalid json", msg: `{"type":contacts,"id":1}`, code: CodeBadRequest},
		{name: "null", msg: "null", code: CodeBadRequest},
		{name: "array", msg: `[{"type":"contacts","id":1}]`, code: CodeBadRequest},
		{name: "string", msg: `"contacts"`, code: CodeBadRequest},
		{name: "trailing object", msg: `{"type":"contacts","id":1}{"type":"contacts","id":2}`, code: CodeBadRequest, id: 1},
		{name: "trailing garbage", msg: `{"type":"contacts","id":1}x`, code: CodeBadRequest, id: 1},
		{name: "trailing close brace", msg: `{"type":"contacts","id":1}}`, code: CodeBadRequest, id: 1},
		{name: "trailing close bracket", msg: `{"type":"contacts","id":1}]`, code: CodeBadRequest, id: 1},
		{name: "too large", msg: padded + " ", code: CodeTooLarge},

		// Envelope shape.
		{name: "missing type", msg: `{"id":1,"data":{}}`, code: CodeBadRequest, id: 1},
		{name: "empty type", msg: `{"type":"","id":1}`, code: CodeBadRequest, id: 1},
		{name: "unknown type", msg: env("dance", 1, `{}`), code: CodeUnknownType, id: 1},
		{name: "event type as request", msg: env("beCalling", 1, `{}`), code: CodeUnknownType, id: 1},
		{name: "reply type as request", msg: env("reply", 1, `{}`), code: CodeUnknownType, id: 1},
		{name: "type is a number", msg: `{"type":1,"id":2}`, code: CodeBadRequest, id: 2},
		{name: "unknown envelope field", msg: `{"type":"contacts","id":3,"data":{},"extra":true}`, code: CodeBadRequest, id: 3},
		{name: "missing id", msg: `{"type":"contacts","data":{}}`, code: CodeBadRequest},
		{name: "id 0", msg: env("contacts", 0, `{}`), code: CodeBadRequest},
		{name: "id negative", msg: `{"type":"contacts","id":-1}`, code: CodeBadRequest},
		{name: "id fraction", msg: `{"type":"contacts","id":1.5}`, code: CodeBadRequest},
		{name: "id string", msg: `{"type":"contacts","id":"1"}`, code: CodeBadRequest},
		{name: "id too big", msg: `{"type":"contacts","id":18446744073709551616}`, code: CodeBadRequest},
		{name: "request with result", msg: `{"type":"contacts","id":4,"result":{}}`, code: CodeBadRequest, id: 4},
		{name: "request with error", msg: `{"type":"contacts","id":5,"error":{"code":"x","message":"y"}}`, code: CodeBadRequest, id: 5},
		{name: "data is a string", msg: env("contacts", 6, `"x"`), code: CodeBadRequest, id: 6},
		{name: "data is an array", msg: env("call", 7, `[]`), code: CodeBadRequest, id: 7},

		// Unknown and wrong-typed fields.
		{name: "unknown field", msg: env("call", 8, `{"type":1,"callee":"bob","video":true}`), code: CodeBadRequest, id: 8},
		{name: "unknown field in contacts", msg: env("contacts", 9, `{"all":true}`), code: CodeBadRequest, id: 9},
		{name: "unknown nested field", msg: env("call", 10, `{"type":1,"callee":"bob","pushConfig":{"url":"rtmp://x"}}`), code: CodeBadRequest, id: 10},
		{name: "call type as a word", msg: env("call", 11, `{"type":"video","callee":"bob"}`), code: CodeBadRequest, id: 11},
		{name: "call type fraction", msg: env("call", 12, `{"type":1.5,"callee":"bob"}`), code: CodeBadRequest, id: 12},
		{name: "callee a number", msg: env("call", 13, `{"type":1,"callee":7}`), code: CodeBadRequest, id: 13},
		{name: "accepted a string", msg: env("response", 14, `{"cid":"c1","accepted":"yes"}`), code: CodeBadRequest, id: 14},
		{name: "clientType a number", msg: env("login", 15, `{"account":"alice","clientType":1}`), code: CodeBadRequest, id: 15},
		{name: "clientType unknown", msg: env("login", 16, `{"account":"alice","clientType":"toaster"}`), code: CodeBadRequest, id: 16},
		{name: "reason unknown", msg: env("hangup", 17, `{"cid":"c1","reason":"bored"}`), code: CodeBadRequest, id: 17},
		{name: "limit a string", msg: env("history", 18, `{"limit":"10"}`), code: CodeBadRequest, id: 18},
		{name: "payload not json", msg: env("relay", 19, `{"cid":"c1","kind":"offer","payload":v=0}`), code: CodeBadRequest},

		// Missing required fields.
		{name: "login no account", msg: env("login", 20, `{"token":"t","clientType":"desktop"}`), code: CodeBadRequest, id: 20},
		{name: "login no clientType", msg: env("login", 21, `{"account":"alice","token":"t"}`), code: CodeBadRequest, id: 21},
		{name: "login no data", msg: `{"type":"login","id":22}`, code: CodeBadRequest, id: 22},
		{name: "call no callee", msg: env("call", 23, `{"type":1}`), code: CodeBadRequest, id: 23},
		{name: "call no type", msg: env("call", 24, `{"callee":"bob"}`), code: CodeBadRequest, id: 24},
		{name: "response no cid", msg: env("response", 25, `{"accepted":true}`), code: CodeBadRequest, id: 25},
		{name: "startRtc no cid", msg: env("startRtc", 26, `{"mode":1}`), code: CodeBadRequest, id: 26},
		{name: "hangup no data", msg: `{"type":"hangup","id":27}`, code: CodeBadRequest, id: 27},
		{name: "relay no kind", msg: env("relay", 28, `{"cid":"c1","payload":{}}`), code: CodeBadRequest, id: 28},
		{name: "relay no payload", msg: env("relay", 29, `{"cid":"c1","kind":"offer"}`), code: CodeBadRequest, id: 29},

		// Values out of range.
		{name: "call type 3", msg: env("call", 30, `{"type":3,"callee":"bob"}`), code: CodeBadRequest, id: 30},
		{name: "response type 3", msg: env("response", 31, `{"cid":"c1","accepted":true,"type":3}`), code: CodeBadRequest, id: 31},
		{name: "startRtc mode 3", msg: env("startRtc", 32, `{"cid":"c1","mode":3}`), code: CodeBadRequest, id: 32},
		{name: "startRtc mode -1", msg: env("startRtc", 33, `{"cid":"c1","mode":-1}`), code: CodeBadRequest, id: 33},
		{name: "response busy but accepted", msg: env("response", 38, `{"cid":"c1","accepted":true,"reason":"busy"}`), code: CodeBadRequest, id: 38},
		{name: "response reason not busy", msg: env("response", 39, `{"cid":"c1","reason":"rejected"}`), code: CodeBadRequest, id: 39},
		{name: "response reason empty", msg: env("response", 40, `{"cid":"c1","reason":""}`), code: CodeBadRequest, id: 40},
		{name: "hangup reason not timeout", msg: env("hangup", 34, `{"cid":"c1","reason":"busy"}`), code: CodeBadRequest, id: 34},
		{name: "history before negative", msg: env("history", 35, `{"before":-1}`), code: CodeBadRequest, id: 35},
		{name: "history limit too big", msg: env("history", 36, `{"limit":101}`), code: CodeBadRequest, id: 36},
		{name: "history limit negative", msg: env("history", 37, `{"limit":-1}`), code: CodeBadRequest, id: 37},

		// Over-long fields.
		{name: "account too long", msg: env("login", 40, login(long(MaxAccountLen+1))), code: CodeBadRequest, id: 40},
		{name: "token too long", msg: env("login", 41, `{"account":"alice","token":"`+long(MaxTokenLen+1)+`","clientType":"desktop"}`), code: CodeBadRequest, id: 41},
		{name: "deviceId too long", msg: env("login", 42, `{"account":"alice","clientType":"desktop","deviceId":"`+long(MaxDeviceIDLen+1)+`"}`), code: CodeBadRequest, id: 42},
		{name: "callee too long", msg: env("call", 43, `{"type":1,"callee":"`+long(MaxAccountLen+1)+`"}`), code: CodeBadRequest, id: 43},
		{name: "custom too long", msg: env("call", 44, `{"type":1,"callee":"bob","pushConfig":{"custom":"`+long(MaxCustomLen+1)+`"}}`), code: CodeBadRequest, id: 44},
		{name: "cid too long", msg: env("hangup", 45, `{"cid":"`+long(65)+`"}`), code: CodeBadRequest, id: 45},
		{name: "kind too long", msg: env("relay", 46, `{"cid":"c1","kind":"`+long(MaxRelayKind+1)+`","payload":{}}`), code: CodeBadRequest, id: 46},

		// Invalid names and identifiers.
		{name: "account with space", msg: env("login", 50, login("ali ce")), code: CodeBadRequest, id: 50},
		{name: "account with slash", msg: env("login", 51, login("ali/ce")), code: CodeBadRequest, id: 51},
		{name: "account with emoji", msg: env("login", 52, login("ali😀")), code: CodeBadRequest, id: 52},
		{name: "account with control", msg: env("login", 53, login("ali\x00ce")), code: CodeBadRequest, id: 53},
		{name: "account with invalid utf-8", msg: env("login", 54, `{"account":"ali`+"\xff"+`","clientType":"desktop"}`), code: CodeBadRequest, id: 54},
		{name: "callee with newline", msg: env("call", 55, `{"type":1,"callee":`+q("bob\n")+`}`), code: CodeBadRequest, id: 55},
		{name: "cid with space", msg: env("startRtc", 56, `{"cid":"c 1"}`), code: CodeBadRequest, id: 56},
		{name: "cid with control", msg: env("response", 57, `{"cid":"c\u0007","accepted":true}`), code: CodeBadRequest, id: 57},
		{name: "kind with space", msg: env("relay", 58, `{"cid":"c1","kind":"an offer","payload":{}}`), code: CodeBadRequest, id: 58},
		{name: "deviceId with space", msg: env("login", 59, `{"account":"alice","clientType":"desktop","deviceId":"my laptop"}`), code: CodeBadRequest, id: 59},
	}
}

func TestDecodeRequest(t *testing.T) {
	for _, tc := range decodeCases() {
		t.Run(tc.name, func(t *testing.T) {
			req, envID, err := decodeMessage([]byte(tc.msg))
			if envID != tc.id {
				t.Errorf("envelope id = %d, want %d", envID, tc.id)
			}
			if tc.code != "" {
				if req != nil {
					t.Fatalf("decoded %#v, want error %s", req, tc.code)
				}
				pe, ok := err.(*Error)
				if !ok {
					t.Fatalf("error %v (%T) is not a *proto.Error", err, err)
				}
				if pe.Code != tc.code || pe.Message == "" {
					t.Fatalf("error = %q %q, want code %q with a message", pe.Code, pe.Message, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(req, tc.want) {
				t.Fatalf("decoded %#v, want %#v", req, tc.want)
			}
			if req.RequestType() != typeOf(t, tc.msg) {
				t.Fatalf("RequestType() = %q for a %q message", req.RequestType(), typeOf(t, tc.msg))
			}
		})
	}
}

// decodeMessage decodes a client message as the server does.
func decodeMessage(b []byte) (Request, uint64, error) {
	e, err := DecodeEnvelope(b)
	if err != nil {
		return nil, e.ID, err
	}
	req, err := DecodeRequest(e)
	return req, e.ID, err
}

func typeOf(t *testing.T, msg string) string {
	var e struct{ Type string }
	if err := json.Unmarshal([]byte(msg), &e); err != nil {
		t.Fatal(err)
	}
	return e.Type
}

// TestRequestEncoding checks that what NewRequest builds decodes back to
// the same request.
func TestRequestEncoding(t *testing.T) {
	for _, tc := range decodeCases() {
		if tc.code != "" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			again := reencode(t, tc.id, tc.want)
			if !reflect.DeepEqual(canonical(tc.want), again) {
				t.Fatalf("re-encoded %#v as %#v", tc.want, again)
			}
		})
	}
}

// reencode encodes req the way a client does and decodes it as the server does.
func reencode(t *testing.T, id uint64, req Request) Request {
	t.Helper()
	e, err := NewRequest(req.RequestType(), id, req)
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	again, _, err := decodeMessage(b)
	if err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return again
}

// canonical returns req with a relay payload as json.Marshal writes it
// (compact, HTML-escaped): the server forwards payloads as they came, so
// only their meaning survives a re-encoding, not their spacing.
func canonical(req Request) Request {
	r, ok := req.(*Relay)
	if !ok {
		return req
	}
	c := *r
	c.Payload = mustJSON(r.Payload)
	return &c
}

// TestEventEncoding checks that every event survives NewEvent and DecodeEvent.
func TestEventEncoding(t *testing.T) {
	rec := CallRecord{Seq: 3, CID: "c1", Caller: "alice", Callee: "bob", Type: CallTypeVideo, Status: StatusCompleted,
		CreatedAt: 1, AnsweredAt: 2, EndedAt: 5, Duration: 3, EndedBy: "bob"}
	for _, ev := range []Event{
		&PresenceChanged{Account: "bob", Presence: PresenceInCall},
		&BeCalling{CID: "c1", Caller: "alice", Type: CallTypeVideo, Custom: "hi", Timetag: 1},
		&CallAccepted{CID: "c1", Type: CallTypeAudio, Timetag: 2},
		&CallRejected{CID: "c1", Type: CallTypeAudio, Reason: ReasonBusy, Timetag: 3},
		&CallerAckSync{Timetag: 4, CID: "c1", Type: CallTypeVideo, Accepted: true, FromClientType: ClientMobile},
		&SyncDone{CID: "c1", Code: 200, UserList: []RoomMember{{Account: "alice", UID: 1, Mode: CallTypeVideo}}},
		&ClientJoin{CID: "c1", Account: "bob", UID: 2, Mode: CallTypeAudio},
		&ClientLeave{CID: "c1", Account: "bob", UID: 2, Reason: ReasonNetworkLost},
		&HangupEvent{Timetag: 5, CID: "c1", Account: "bob", Reason: ReasonHangup},
		&RelayEvent{CID: "c1", From: "bob", FromUID: 2, Kind: "answer", Payload: json.RawMessage(`{"sdp":"v=0"}`)},
		&CallRecordEvent{CallRecord: rec},
	} {
		t.Run(ev.EventType(), func(t *testing.T) {
			e, err := NewEvent(reflect.ValueOf(ev).Elem().Interface().(Event))
			if err != nil {
				t.Fatal(err)
			}
			if e.ID != 0 || e.Type != ev.EventType() {
				t.Fatalf("envelope %+v: want type %q and no id", e, ev.EventType())
			}
			b, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			e2, err := DecodeEnvelope(b)
			if err != nil {
				t.Fatalf("DecodeEnvelope(%s): %v", b, err)
			}
			got, err := DecodeEvent(e2)
			if err != nil {
				t.Fatalf("DecodeEvent(%s): %v", b, err)
			}
			if !reflect.DeepEqual(got, ev) {
				t.Fatalf("decoded %#v, want %#v", got, ev)
			}
		})
	}
	// Events are decoded leniently about new fields, strictly about types.
	if _, err := DecodeEvent(Envelope{Type: TypeHangupEvent, Data: json.RawMessage(`{"cid":"c1","reason":"hangup","new":1}`)}); err != nil {
		t.Errorf("unknown event field: %v", err)
	}
	for _, e := range []Envelope{
		{Type: "nope", Data: json.RawMessage(`{}`)},
		{Type: TypeHangupEvent},
		{Type: TypeHangupEvent, Data: json.RawMessage(`{"reason":"bored"}`)},
		{Type: TypeBeCalling, Data: json.RawMessage(`{"type":"video"}`)},
	} {
		if _, err := DecodeEvent(e); CodeOf(err) == "" {
			t.Errorf("DecodeEvent(%s %s) = %v, want a protocol error", e.Type, e.Data, err)
		}
	}
}
