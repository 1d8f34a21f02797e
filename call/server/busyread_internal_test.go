package server

import (
	"encoding/base64"
	"testing"
)

func TestParseBusyRead(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString
	// An older node marked answered calls in the key; the mark is ignored.
	held := `{"cid":"c1","node":"n2","answered":true}`
	for _, tc := range []struct {
		name, answer string
		want         busyRev
		found, fails bool
	}{
		{"held", `{"message":{"seq":7,"data":"` + b64([]byte(held)) + `"}}`,
			busyRev{7, busyEntry{CID: "c1", Node: "n2"}}, true, false},
		{"free", `{"message":{"seq":8}}`, busyRev{rev: 8}, true, false},
		{"deleted by hand", `{"message":{"seq":9,"hdrs":"` + b64([]byte("NATS/1.0\r\nKV-Operation: DEL\r\n\r\n")) +
			`","data":"` + b64([]byte(held)) + `"}}`, busyRev{rev: 9}, true, false},
		{"not ours", `{"message":{"seq":10,"data":"` + b64([]byte("{")) + `"}}`, busyRev{rev: 10}, true, false},
		{"never was", `{"error":{"code":404,"err_code":10037,"description":"no message found"}}`, busyRev{}, false, false},
		{"no leader", `{"error":{"code":503,"err_code":10008,"description":"JetStream system temporarily unavailable"}}`,
			busyRev{}, false, true},
		{"empty", `{}`, busyRev{}, false, true},
		{"garbage", `not json`, busyRev{}, false, true},
		{"bad headers", `{"message":{"seq":3,"hdrs":"` + b64([]byte("HTTP/1.1 200")) + `"}}`, busyRev{}, false, true},
	} {
		got, found, err := parseBusyRead([]byte(tc.answer))
		if got != tc.want || found != tc.found || (err != nil) != tc.fails {
			t.Errorf("%s: got %+v, found %t, err %v; want %+v, found %t, fails %t",
				tc.name, got, found, err, tc.want, tc.found, tc.fails)
		}
	}
}

// JetStream's answer comes over the network: whatever it holds, reading
// it does not fail, and a key it finds has a revision.
func FuzzParseBusyRead(f *testing.F) {
	f.Add([]byte(`{"message":{"seq":7,"data":"eyJjaWQiOiJjMSJ9"}}`))
	f.Add([]byte(`{"error":{"code":404,"err_code":10037}}`))
	f.Add([]byte(`{"message":{"seq":9,"hdrs":"TkFUUy8xLjANCktWLU9wZXJhdGlvbjogREVMDQoNCg=="}}`))
	f.Fuzz(func(t *testing.T, answer []byte) {
		cur, found, err := parseBusyRead(answer)
		if err == nil && found && cur.rev == 0 {
			t.Errorf("%q: found at revision 0", answer)
		}
		if err != nil && (found || cur != busyRev{}) {
			t.Errorf("%q: failed with %v but returned %+v, found %t", answer, err, cur, found)
		}
	})
}
