package bot

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"duet/call/proto"
)

// Every outcome has a name and its own exit status, listed in the table
// --help prints; every call status maps to an outcome.
func TestOutcomes(t *testing.T) {
	statuses := map[int]Outcome{}
	for o := OutcomeCompleted; int(o) < len(outcomeNames); o++ {
		st := o.ExitStatus()
		if prev, dup := statuses[st]; dup {
			t.Errorf("%v and %v both exit with %d", prev, o, st)
		}
		statuses[st] = o
		if o.String() == "" || strings.HasPrefix(o.String(), "unknown") {
			t.Errorf("outcome %d has no name", int(o))
		}
		line := strings.Fields(strings.Split(ExitStatusTable, "\n")[st])
		if len(line) < 2 || line[0] != strconv.Itoa(st) || line[1] != o.String() {
			t.Errorf("the table's line for %v reads %q", o, line)
		}
	}
	if OutcomeCompleted.ExitStatus() != 0 || OutcomeUnknown.ExitStatus() == 0 || Outcome(99).ExitStatus() == 0 {
		t.Fatal("only a completed call exits with 0")
	}
	if Outcome(99).String() != "unknown(99)" || OutcomeUnknown.String() != "unknown" {
		t.Fatal("names of unknown outcomes")
	}
	for s := proto.StatusCompleted; s <= proto.StatusNetworkLost; s++ {
		if outcomeOf(s) == OutcomeUnknown {
			t.Errorf("call status %v has no outcome", s)
		}
	}
	for r := proto.ReasonHangup; r <= proto.ReasonOffline; r++ {
		if outcomeOf(r.Status()) == OutcomeUnknown {
			t.Errorf("end reason %v has no outcome", r)
		}
	}
}

// The README shows the same exit statuses as --help.
func TestREADMEListsExitStatuses(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), ExitStatusTable) {
		t.Fatalf("README.md does not list the exit statuses as --help does:\n%s", ExitStatusTable)
	}
}
