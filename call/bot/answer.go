package bot

import "fmt"

// Answer is how the bot treats incoming calls.
type Answer int

// Answers.
const (
	AnswerUnknown Answer = iota
	AnswerAccept         // accept with the call's type
	AnswerReject         // decline
	AnswerBusy           // decline as busy
	AnswerNever          // let it ring until the caller gives up
)

var answerNames = [...]string{"unknown", "accept", "reject", "busy", "never"}

func (a Answer) String() string {
	if a < 0 || int(a) >= len(answerNames) {
		return fmt.Sprintf("unknown(%d)", int(a))
	}
	return answerNames[a]
}

// ParseAnswer reads an answer name as given on the command line.
func ParseAnswer(s string) (Answer, error) {
	for i, n := range answerNames[1:] {
		if n == s {
			return Answer(i + 1), nil
		}
	}
	return AnswerUnknown, fmt.Errorf("unknown answer %q: want accept, reject, busy or never", s)
}
