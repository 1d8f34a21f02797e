package bot

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// The summary counts each outcome, spreads setup and duration over the
// calls that had them, and its status is the first failure's.
func TestSummary(t *testing.T) {
	s := Summary{Calls: []CallResult{
		{CID: "a", Outcome: OutcomeCompleted, Setup: 200 * time.Millisecond, Duration: 2 * time.Second, Frames: 60, AudioPackets: 100},
		{CID: "b", Outcome: OutcomeBusy},
		{CID: "c", Outcome: OutcomeCompleted, Setup: 400 * time.Millisecond, Duration: 4 * time.Second, Frames: 120, AudioPackets: 200},
		{CID: "d", Outcome: OutcomeTimeout},
	}}
	if st := s.ExitStatus(); st != OutcomeBusy.ExitStatus() {
		t.Fatalf("status %d, want busy's", st)
	}
	if s.Failed() != 2 {
		t.Fatalf("failed %d", s.Failed())
	}
	var b bytes.Buffer
	s.Write(&b)
	for _, want := range []string{
		"calls: 4  completed=2  busy=1  timeout=1\n",
		"setup: min=200ms  mean=300ms  max=400ms  (n=2)\n",
		"duration: min=2s  mean=3s  max=4s  (n=2)\n",
		"received: frames=180  audioPackets=300\n",
		"exit status: 4\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
	if (Summary{Calls: []CallResult{{Outcome: OutcomeCompleted}}}).ExitStatus() != 0 {
		t.Fatal("all completed, and not 0")
	}
}
