package call

import (
	"context"
	"errors"
	"testing"
	"time"

	"duet/call/proto"
)

func TestWaitRateLimitedRetriesAfterTheHint(t *testing.T) {
	var calls []time.Time
	err := WaitRateLimited(context.Background(), func() error {
		calls = append(calls, time.Now())
		if len(calls) < 3 {
			return proto.RateLimited(30*time.Millisecond, "slow down")
		}
		return nil
	})
	if err != nil || len(calls) != 3 {
		t.Fatalf("err %v after %d attempts, want success on the third", err, len(calls))
	}
	for i := 1; i < len(calls); i++ {
		if gap := calls[i].Sub(calls[i-1]); gap < 30*time.Millisecond {
			t.Fatalf("attempt %d came %v after the refusal, before the 30 ms it asked", i+1, gap)
		}
	}
}

func TestWaitRateLimitedPassesOtherErrorsAtOnce(t *testing.T) {
	busy := proto.Errorf(proto.CodeBusy, "busy")
	n := 0
	err := WaitRateLimited(context.Background(), func() error { n++; return busy })
	if !errors.Is(err, busy) || n != 1 {
		t.Fatalf("got %v after %d attempts, want the busy error after one", err, n)
	}
}

func TestWaitRateLimitedReturnsLongRefusals(t *testing.T) {
	n := 0
	err := WaitRateLimited(context.Background(), func() error { n++; return proto.RateLimited(15*time.Second, "ring later") })
	if proto.CodeOf(err) != proto.CodeRateLimited || n != 1 {
		t.Fatalf("got %v after %d attempts, want the 15 s refusal at once", err, n)
	}
}

func TestWaitRateLimitedGivesUpWhenTheWaitOutlastsTheContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	n := 0
	start := time.Now()
	err := WaitRateLimited(ctx, func() error { n++; return proto.RateLimited(time.Second, "later") })
	if proto.CodeOf(err) != proto.CodeRateLimited || n != 1 || time.Since(start) > time.Second {
		t.Fatalf("got %v after %d attempts in %v, want the refusal at once", err, n, time.Since(start))
	}
	cancelled, stop := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, stop)
	err = WaitRateLimited(cancelled, func() error { return proto.RateLimited(time.Second, "later") })
	if proto.CodeOf(err) != proto.CodeRateLimited {
		t.Fatalf("cancelled wait returned %v, want the refusal", err)
	}
}
