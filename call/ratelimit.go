package call

import (
	"context"
	"time"

	"duet/call/proto"
)

// longestRateLimitWait is the longest refusal WaitRateLimited sits out.
// A connection's message budget refills in milliseconds; the longer waits
// are the limits on ringing people, which the user should hear about.
const longestRateLimitWait = 2 * time.Second

// WaitRateLimited runs op and, while the server refuses it as rate_limited
// for a short while, waits as long as the refusal asks and runs it again.
// A refused request had no effect, so running it again is safe. It returns
// the refusal when the wait is long, or when ctx ends or would end first.
func WaitRateLimited(ctx context.Context, op func() error) error {
	for {
		err := op()
		wait := proto.RetryAfter(err)
		if wait <= 0 || wait > longestRateLimitWait {
			return err
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return err
		}
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return err
		}
	}
}
