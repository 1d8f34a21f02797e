package proto

import "fmt"

// CallType is the kind of call. Wire form: the number (1 audio, 2 video), as
// in the netcall API.
type CallType int

// Call types.
const (
	CallTypeUnknown CallType = 0
	CallTypeAudio   CallType = 1
	CallTypeVideo   CallType = 2
)

func (t CallType) String() string {
	switch t {
	case CallTypeAudio:
		return "audio"
	case CallTypeVideo:
		return "video"
	}
	return fmt.Sprintf("unknown(%d)", int(t))
}

// Valid reports whether t is audio or video.
func (t CallType) Valid() bool { return t == CallTypeAudio || t == CallTypeVideo }
