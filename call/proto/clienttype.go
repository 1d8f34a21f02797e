package proto

// ClientType names the kind of device a client runs on. Wire form: a string
// ("desktop", "bot", "web", "mobile"); it reaches other devices as
// callerAckSync.fromClientType.
type ClientType int

// Client types.
const (
	ClientUnknown ClientType = iota
	ClientDesktop
	ClientBot
	ClientWeb
	ClientMobile
)

var clientTypeNames = textEnum{"", "desktop", "bot", "web", "mobile"}

func (c ClientType) String() string { return clientTypeNames.name(int(c)) }

// MarshalText implements encoding.TextMarshaler.
func (c ClientType) MarshalText() ([]byte, error) {
	return clientTypeNames.marshal("client type", int(c))
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *ClientType) UnmarshalText(b []byte) error {
	v, err := clientTypeNames.unmarshal("client type", b)
	*c = ClientType(v)
	return err
}
