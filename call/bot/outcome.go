package bot

import (
	"fmt"

	"duet/call/proto"
)

// Outcome is how a call the bot placed went: the call's end reason, plus
// what only the bot can tell (nothing received, the call never placed).
type Outcome int

// Outcomes, each with its own exit status (see ExitStatus).
const (
	OutcomeUnknown     Outcome = iota
	OutcomeCompleted           // answered, media received, hung up by either side
	OutcomeFailed              // not placed: signing in or the call request failed
	OutcomeCancelled           // the bot hung up before an answer (interrupted)
	OutcomeRejected            // the callee declined
	OutcomeBusy                // the callee was in another call
	OutcomeTimeout             // nobody answered in time
	OutcomeNetworkLost         // a party's connection dropped and did not come back
	OutcomeOffline             // no device of the callee was signed in
	OutcomeNoMedia             // answered, but no audio or video arrived
)

var outcomeNames = [...]string{"unknown", "completed", "failed", "cancelled", "rejected", "busy", "timeout",
	"networkLost", "offline", "noMedia"}

func (o Outcome) String() string {
	if o < 0 || int(o) >= len(outcomeNames) {
		return fmt.Sprintf("unknown(%d)", int(o))
	}
	return outcomeNames[o]
}

// ExitStatus is the status `duet bot --call` exits with for a call that
// went this way: 0 completed, and a distinct non-zero status for each
// other outcome (the table in ExitStatusTable). Unknown counts as failed.
func (o Outcome) ExitStatus() int {
	switch o {
	case OutcomeCompleted:
		return 0
	case OutcomeCancelled, OutcomeRejected, OutcomeBusy, OutcomeTimeout, OutcomeNetworkLost, OutcomeOffline, OutcomeNoMedia:
		return int(o) - 1
	}
	return 1
}

// ExitStatusTable documents the exit statuses, for --help and the docs.
const ExitStatusTable = `  0  completed    answered, media received, hung up by either side
  1  failed       could not sign in, bad flags, or the call could not be placed
  2  cancelled    the bot hung up before an answer (it was interrupted)
  3  rejected     the callee declined
  4  busy         the callee was in another call
  5  timeout      nobody answered in time
  6  networkLost  a party's connection dropped and did not come back
  7  offline      no device of the callee was signed in
  8  noMedia      answered, but no audio or video arrived
With --calls N, the status is that of the first call that did not complete.
`

// outcomeOf is the outcome a call record's status says.
func outcomeOf(s proto.CallStatus) Outcome {
	switch s {
	case proto.StatusCompleted:
		return OutcomeCompleted
	case proto.StatusCancelled:
		return OutcomeCancelled
	case proto.StatusRejected:
		return OutcomeRejected
	case proto.StatusBusy:
		return OutcomeBusy
	case proto.StatusTimeout:
		return OutcomeTimeout
	case proto.StatusNetworkLost:
		return OutcomeNetworkLost
	case proto.StatusOffline:
		return OutcomeOffline
	}
	return OutcomeUnknown
}
