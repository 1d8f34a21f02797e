package server

import "testing"

// TestSnapshotsOfACallCoalesce: while the database lags, each call's state
// waits in the queue once, at its latest; the snapshot at the head, which
// may be being written, is never touched.
func TestSnapshotsOfACallCoalesce(t *testing.T) {
	r := &recorder{wake: make(chan struct{}, 1)} // not running: the queue only grows
	r.keepOpen(openCall{CID: "a"})
	r.keepOpen(openCall{CID: "b"})
	r.keepOpen(openCall{CID: "a", AnsweredAt: 5})
	r.keepOpen(openCall{CID: "b", AnsweredAt: 6})
	r.keepOpen(openCall{CID: "a", AnsweredAt: 7})
	var got []openCall
	for _, op := range r.pending {
		got = append(got, *op.open)
	}
	want := []openCall{{CID: "a"}, {CID: "b", AnsweredAt: 6}, {CID: "a", AnsweredAt: 7}}
	if len(got) != len(want) {
		t.Fatalf("queue %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("queue %+v, want %+v", got, want)
		}
	}
}
