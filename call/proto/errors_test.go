package proto

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestRateLimitedWireForm(t *testing.T) {
	for _, tc := range []struct {
		after time.Duration
		ms    int64
	}{
		{0, 1},
		{time.Microsecond, 1},
		{time.Millisecond, 1},
		{1500 * time.Microsecond, 2}, // rounded up: earlier would be refused again
		{50 * time.Millisecond, 50},
		{15 * time.Second, 15000},
	} {
		e := RateLimited(tc.after, "slow down")
		b, err := json.Marshal(NewErrorReply(7, e))
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf(`{"type":"reply","id":7,"error":{"code":"rate_limited","message":"slow down","retryAfterMs":%d}}`, tc.ms)
		if string(b) != want {
			t.Errorf("%v: wire form %s, want %s", tc.after, b, want)
		}
		var env Envelope
		if err := json.Unmarshal(b, &env); err != nil {
			t.Fatal(err)
		}
		wrapped := fmt.Errorf("call bob: %w", env.Error)
		if got := RetryAfter(wrapped); got != time.Duration(tc.ms)*time.Millisecond {
			t.Errorf("%v: RetryAfter = %v", tc.after, got)
		}
		if CodeOf(wrapped) != CodeRateLimited || !errors.Is(wrapped, &Error{Code: CodeRateLimited}) {
			t.Errorf("%v: %v is not rate_limited", tc.after, wrapped)
		}
	}
	// Other errors carry no hint, and say so on the wire by leaving it out.
	b, _ := json.Marshal(Errorf(CodeBusy, "x"))
	if string(b) != `{"code":"busy","message":"x"}` || RetryAfter(Errorf(CodeBusy, "x")) != 0 || RetryAfter(errors.New("x")) != 0 {
		t.Errorf("busy error: %s", b)
	}
}
