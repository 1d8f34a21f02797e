package proto

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzDecodeEnvelope feeds arbitrary client messages through the decoders
// the server runs on every message: they must not panic, every error must be
// a *Error with a code, and a decoded request must survive being encoded
// again.
func FuzzDecodeEnvelope(f *testing.F) {
	for _, tc := range decodeCases() {
		f.Add([]byte(tc.msg))
	}
	for _, ev := range []string{
		`{"type":"beCalling","data":{"cid":"c1","caller":"alice","type":2,"custom":"","timetag":1}}`,
		`{"type":"hangup","data":{"timetag":1,"cid":"c1","account":"","reason":"timeout"}}`,
		`{"type":"callRecord","data":{"seq":1,"cid":"c1","status":7}}`,
		`{"type":"reply","id":3,"error":{"code":"busy","message":"in a call"}}`,
	} {
		f.Add([]byte(ev))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeEnvelope(b)
		if err != nil {
			wantProtoError(t, "DecodeEnvelope", err)
			return
		}
		if _, err := DecodeEvent(e); err != nil {
			wantProtoError(t, "DecodeEvent", err)
		}
		req, err := DecodeRequest(e)
		if err != nil {
			wantProtoError(t, "DecodeRequest", err)
			return
		}
		if req.RequestType() != e.Type {
			t.Fatalf("a %q envelope decoded as %q", e.Type, req.RequestType())
		}
		out, err := NewRequest(e.Type, e.ID, req)
		if err != nil {
			t.Fatalf("NewRequest(%#v): %v", req, err)
		}
		msg, err := json.Marshal(out)
		if err != nil {
			t.Fatalf("marshal %#v: %v", out, err)
		}
		if len(msg) > MaxMessageSize {
			// json.Marshal escapes <, > and & in strings and payloads
			// (six bytes each), so a request near the limit can grow
			// past it; that is the limit working, not a decoding fault.
			return
		}
		again, id, err := decodeMessage(msg)
		if err != nil {
			t.Fatalf("re-encoded %#v as %s, which fails: %v", req, msg, err)
		}
		if id != e.ID || !reflect.DeepEqual(again, canonical(req)) {
			t.Fatalf("request %d %#v re-encoded as %s decodes to %d %#v", e.ID, req, msg, id, again)
		}
	})
}

func wantProtoError(t *testing.T, op string, err error) {
	t.Helper()
	pe, ok := err.(*Error)
	if !ok {
		t.Fatalf("%s: error %v is a %T, not a *proto.Error", op, err, err)
	}
	if pe.Code == "" || pe.Message == "" {
		t.Fatalf("%s: error %#v lacks a code or message", op, pe)
	}
}
