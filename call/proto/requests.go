package proto

import (
	"encoding/json"
	"unicode"
	"unicode/utf8"
)

// Request types a client sends.
const (
	TypeLogin    = "login"
	TypeContacts = "contacts"
	TypeCall     = "call"
	TypeResponse = "response"
	TypeStartRTC = "startRtc"
	TypeHangup   = "hangup"
	TypeRelay    = "relay"
	TypeHistory  = "history"
)

// Limits on request fields.
const (
	MaxAccountLen  = 64
	MaxTokenLen    = 256
	MaxDeviceIDLen = 64
	MaxCustomLen   = 1024
	MaxRelayKind   = 32
	MaxHistoryPage = 100
)

// Request is implemented by every request's data.
type Request interface {
	RequestType() string
	// Validate checks fields JSON decoding cannot; the error is an *Error.
	Validate() error
}

// Login signs a device in. It must be the first request on a connection.
type Login struct {
	Account    string     `json:"account"`
	Token      string     `json:"token"`
	ClientType ClientType `json:"clientType"`
	// DeviceID identifies this device across reconnects; a new login with the
	// same account and device ID replaces the old connection and resumes its call.
	DeviceID string `json:"deviceId"`
}

// LoginResult is the reply to Login.
type LoginResult struct {
	Account    string      `json:"account"`
	DeviceID   string      `json:"deviceId"`
	ServerTime int64       `json:"serverTime"`
	ICEServers []ICEServer `json:"iceServers"`
	// ActiveCall is set when this device was in a call when its previous
	// connection dropped and the call survived.
	ActiveCall *ActiveCall `json:"activeCall,omitempty"`
	// Ringing lists the calls ringing for this account right now (a
	// beCalling event for each follows the reply), so a device that
	// reconnects knows which invitations ended while it was away.
	Ringing []BeCalling `json:"ringing,omitempty"`
}

// ICEServer is a STUN or TURN server for peer connections.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// ActiveCall describes a call a device resumes after reconnecting.
type ActiveCall struct {
	CID      string   `json:"cid"`
	Caller   string   `json:"caller"`
	Callee   string   `json:"callee"`
	Type     CallType `json:"type"`
	Answered bool     `json:"answered"`
	UID      uint64   `json:"uid,omitempty"` // room uid if the device had joined the room
}

// Contacts asks for every account on the server with its presence.
type Contacts struct{}

// ContactsResult is the reply to Contacts.
type ContactsResult struct {
	Contacts []Contact `json:"contacts"`
}

// Contact is one account and its presence.
type Contact struct {
	Account  string   `json:"account"`
	Presence Presence `json:"presence"`
}

// Call invites Callee.
type Call struct {
	Type             CallType   `json:"type"`
	Callee           string     `json:"callee"`
	ForceKeepCalling bool       `json:"forceKeepCalling,omitempty"`
	PushConfig       PushConfig `json:"pushConfig,omitzero"`
}

// PushConfig carries text that reaches the callee with the invitation.
type PushConfig struct {
	Custom string `json:"custom,omitempty"`
}

// CallResult is the reply to Call: the invitation is ringing.
type CallResult struct {
	CID     string `json:"cid"`
	Timetag int64  `json:"timetag"`
}

// Response accepts or rejects an incoming call. Caller and Type are optional
// echoes of beCalling; when present they must match. A rejection may give
// Reason "busy" (the user is busy elsewhere): the caller then hears busy.
type Response struct {
	CID      string   `json:"cid"`
	Accepted bool     `json:"accepted"`
	Caller   string   `json:"caller,omitempty"`
	Type     CallType `json:"type,omitempty"`
	Reason   Reason   `json:"reason,omitempty"`
}

// StartRTC joins the call's room. Mode 0 means the call's type.
type StartRTC struct {
	CID  string   `json:"cid"`
	Mode CallType `json:"mode"`
}

// StartRTCResult is the reply to StartRTC.
type StartRTCResult struct {
	UID     uint64 `json:"uid"`
	Account string `json:"account"`
	CID     string `json:"cid"`
	// ICEServers, when present, replace the login's for this call: a
	// server with TURN issues credentials here again so that they are
	// valid for the whole call, however long ago the device signed in.
	ICEServers []ICEServer `json:"iceServers,omitempty"`
}

// Hangup ends, cancels or (from the callee while ringing) rejects a call.
// Reason may be "timeout" when the caller gives up on an unanswered call;
// otherwise it is left empty.
type Hangup struct {
	CID    string `json:"cid"`
	Reason Reason `json:"reason,omitempty"`
}

// Relay carries an opaque payload (SDP, ICE candidate, media state) to the
// other member of the call's room.
type Relay struct {
	CID     string          `json:"cid"`
	Kind    string          `json:"kind"`
	Payload json.RawMessage `json:"payload"`
}

// History asks for the account's call records, newest first.
type History struct {
	// Before is the Seq of the oldest record already seen; 0 starts at the newest.
	Before int64 `json:"before,omitempty"`
	Limit  int   `json:"limit,omitempty"`
}

// HistoryResult is one page of call records. Next is the Before of the next
// page, 0 when there is none.
type HistoryResult struct {
	Records []CallRecord `json:"records"`
	Next    int64        `json:"next"`
}

// CallRecord (话单) is the server's account of one call.
type CallRecord struct {
	Seq        int64      `json:"seq"` // increasing with the time the call ended
	CID        string     `json:"cid"`
	Caller     string     `json:"caller"`
	Callee     string     `json:"callee"`
	Type       CallType   `json:"type"`
	Status     CallStatus `json:"status"`
	CreatedAt  int64      `json:"createdAt"`  // unix ms
	AnsweredAt int64      `json:"answeredAt"` // unix ms, 0 if never answered
	EndedAt    int64      `json:"endedAt"`    // unix ms
	Duration   int64      `json:"duration"`   // ms from answer to end, 0 if never answered
	EndedBy    string     `json:"endedBy"`    // account that ended it, "" when the server did
}

func (Login) RequestType() string    { return TypeLogin }
func (Contacts) RequestType() string { return TypeContacts }
func (Call) RequestType() string     { return TypeCall }
func (Response) RequestType() string { return TypeResponse }
func (StartRTC) RequestType() string { return TypeStartRTC }
func (Hangup) RequestType() string   { return TypeHangup }
func (Relay) RequestType() string    { return TypeRelay }
func (History) RequestType() string  { return TypeHistory }

// Validate implements Request.
func (r Login) Validate() error {
	if err := ValidateAccount("account", r.Account); err != nil {
		return err
	}
	if len(r.Token) > MaxTokenLen {
		return Errorf(CodeBadRequest, "\"token\" is longer than %d bytes", MaxTokenLen)
	}
	if r.ClientType == ClientUnknown {
		return Errorf(CodeBadRequest, "missing \"clientType\"")
	}
	return validateText("deviceId", r.DeviceID, MaxDeviceIDLen, true)
}

// Validate implements Request.
func (Contacts) Validate() error { return nil }

// Validate implements Request.
func (r Call) Validate() error {
	if !r.Type.Valid() {
		return Errorf(CodeBadRequest, "\"type\" must be 1 (audio) or 2 (video)")
	}
	if err := ValidateAccount("callee", r.Callee); err != nil {
		return err
	}
	if len(r.PushConfig.Custom) > MaxCustomLen {
		return Errorf(CodeBadRequest, "\"pushConfig.custom\" is longer than %d bytes", MaxCustomLen)
	}
	return nil
}

// Validate implements Request.
func (r Response) Validate() error {
	if err := validateCID(r.CID); err != nil {
		return err
	}
	if r.Type != CallTypeUnknown && !r.Type.Valid() {
		return Errorf(CodeBadRequest, "\"type\" must be 1 (audio) or 2 (video)")
	}
	if r.Reason != ReasonUnknown && (r.Accepted || r.Reason != ReasonBusy) {
		return Errorf(CodeBadRequest, "\"reason\" may only be \"busy\", and only when rejecting")
	}
	return nil
}

// Validate implements Request.
func (r StartRTC) Validate() error {
	if err := validateCID(r.CID); err != nil {
		return err
	}
	if r.Mode != CallTypeUnknown && !r.Mode.Valid() {
		return Errorf(CodeBadRequest, "\"mode\" must be 0 (the call's type), 1 (audio) or 2 (video)")
	}
	return nil
}

// Validate implements Request.
func (r Hangup) Validate() error {
	if err := validateCID(r.CID); err != nil {
		return err
	}
	if r.Reason != ReasonUnknown && r.Reason != ReasonTimeout {
		return Errorf(CodeBadRequest, "\"reason\" may only be \"timeout\"")
	}
	return nil
}

// Validate implements Request.
func (r Relay) Validate() error {
	if err := validateCID(r.CID); err != nil {
		return err
	}
	if err := validateText("kind", r.Kind, MaxRelayKind, false); err != nil {
		return err
	}
	if len(r.Payload) == 0 {
		return Errorf(CodeBadRequest, "missing \"payload\"")
	}
	return nil
}

// Validate implements Request.
func (r History) Validate() error {
	if r.Before < 0 {
		return Errorf(CodeBadRequest, "\"before\" must not be negative")
	}
	if r.Limit < 0 || r.Limit > MaxHistoryPage {
		return Errorf(CodeBadRequest, "\"limit\" must be between 0 and %d", MaxHistoryPage)
	}
	return nil
}

// ValidateAccount checks an account name: 1–64 bytes of letters, digits and
// ". _ - @", so names are safe to show and to log.
func ValidateAccount(field, name string) error {
	if name == "" {
		return Errorf(CodeBadRequest, "missing %q", field)
	}
	if len(name) > MaxAccountLen {
		return Errorf(CodeBadRequest, "%q is longer than %d bytes", field, MaxAccountLen)
	}
	if !utf8.ValidString(name) {
		return Errorf(CodeBadRequest, "%q is not valid UTF-8", field)
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.' && r != '_' && r != '-' && r != '@' {
			return Errorf(CodeBadRequest, "%q may hold only letters, digits and . _ - @", field)
		}
	}
	return nil
}

func validateCID(cid string) error { return validateText("cid", cid, 64, false) }

func validateText(field, s string, max int, optional bool) error {
	if s == "" {
		if optional {
			return nil
		}
		return Errorf(CodeBadRequest, "missing %q", field)
	}
	if len(s) > max {
		return Errorf(CodeBadRequest, "%q is longer than %d bytes", field, max)
	}
	for _, r := range s {
		if r < 0x21 || r == 0x7f || r == utf8.RuneError {
			return Errorf(CodeBadRequest, "%q holds a space, control or invalid character", field)
		}
	}
	return nil
}

// DecodeRequest decodes and validates the data of a request envelope.
func DecodeRequest(env Envelope) (Request, error) {
	var req Request
	switch env.Type {
	case TypeLogin:
		req = &Login{}
	case TypeContacts:
		req = &Contacts{}
	case TypeCall:
		req = &Call{}
	case TypeResponse:
		req = &Response{}
	case TypeStartRTC:
		req = &StartRTC{}
	case TypeHangup:
		req = &Hangup{}
	case TypeRelay:
		req = &Relay{}
	case TypeHistory:
		req = &History{}
	default:
		return nil, Errorf(CodeUnknownType, "unknown request type %q", env.Type)
	}
	if env.ID == 0 {
		return nil, Errorf(CodeBadRequest, "request %q needs a non-zero \"id\"", env.Type)
	}
	if env.Result != nil || env.Error != nil {
		return nil, Errorf(CodeBadRequest, "a request carries \"data\", not \"result\" or \"error\"")
	}
	if err := DecodeData(env.Data, req); err != nil {
		return nil, err
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	return req, nil
}
