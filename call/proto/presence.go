package proto

// Presence is whether an account can be called. Wire form: "offline",
// "online", "inCall".
type Presence int

// Presence values.
const (
	PresenceUnknown Presence = iota
	PresenceOffline
	PresenceOnline
	PresenceInCall
)

var presenceNames = textEnum{"", "offline", "online", "inCall"}

func (p Presence) String() string { return presenceNames.name(int(p)) }

// MarshalText implements encoding.TextMarshaler.
func (p Presence) MarshalText() ([]byte, error) { return presenceNames.marshal("presence", int(p)) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *Presence) UnmarshalText(b []byte) error {
	v, err := presenceNames.unmarshal("presence", b)
	*p = Presence(v)
	return err
}
