package proto

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxMessageSize is the largest message either side accepts. SDP offers with
// many candidates stay well under it; anything bigger is refused with
// CodeTooLarge and the connection stays open.
const MaxMessageSize = 64 << 10

// TypeReply is the envelope type of the server's answer to a request.
const TypeReply = "reply"

// Envelope is the one shape of every message on the wire.
//
// A request has Type, ID (non-zero, chosen by the client) and Data.
// A reply has Type "reply", the request's ID, and Result or Error.
// An event has Type and Data.
type Envelope struct {
	Type   string          `json:"type"`
	ID     uint64          `json:"id,omitempty"`
	Data   json.RawMessage `json:"data,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *Error          `json:"error,omitempty"`
}

// DecodeEnvelope parses one message strictly. The error is always an *Error.
func DecodeEnvelope(b []byte) (Envelope, error) {
	var env Envelope
	if len(b) > MaxMessageSize {
		return env, Errorf(CodeTooLarge, "message is %d bytes; the limit is %d", len(b), MaxMessageSize)
	}
	if err := decodeStrict(b, &env); err != nil {
		return env, err
	}
	if env.Type == "" {
		return env, Errorf(CodeBadRequest, "missing \"type\"")
	}
	return env, nil
}

// DecodeData parses a request's or event's data into v strictly.
// Missing data decodes as an empty object so field validation reports what is missing.
func DecodeData(raw json.RawMessage, v any) error {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		raw = json.RawMessage("{}")
	}
	return decodeStrict(raw, v)
}

func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return Errorf(CodeBadRequest, "malformed message: %s", describeJSONError(err))
	}
	// More() would miss a stray '}' or ']': only a clean end of input will do.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Errorf(CodeBadRequest, "malformed message: trailing data after the JSON object")
	}
	return nil
}

func describeJSONError(err error) string {
	switch e := err.(type) {
	case *json.UnmarshalTypeError:
		field := e.Field
		if field == "" {
			field = "message"
		}
		return fmt.Sprintf("field %q must be %s, not %s", field, e.Type.String(), e.Value)
	case *json.SyntaxError:
		return fmt.Sprintf("invalid JSON at byte %d: %v", e.Offset, e)
	}
	return err.Error()
}

// NewRequest builds a request envelope.
func NewRequest(typ string, id uint64, data any) (Envelope, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return Envelope{}, fmt.Errorf("encode %s request: %w", typ, err)
	}
	return Envelope{Type: typ, ID: id, Data: raw}, nil
}

// NewEvent builds an event envelope from one of the event types.
func NewEvent(ev Event) (Envelope, error) {
	raw, err := json.Marshal(ev)
	if err != nil {
		return Envelope{}, fmt.Errorf("encode %s event: %w", ev.EventType(), err)
	}
	return Envelope{Type: ev.EventType(), Data: raw}, nil
}

// NewResult builds a successful reply.
func NewResult(id uint64, result any) (Envelope, error) {
	if result == nil {
		result = struct{}{}
	}
	raw, err := json.Marshal(result)
	if err != nil {
		return Envelope{}, fmt.Errorf("encode reply %d: %w", id, err)
	}
	return Envelope{Type: TypeReply, ID: id, Result: raw}, nil
}

// NewErrorReply builds a failed reply.
func NewErrorReply(id uint64, e *Error) Envelope {
	return Envelope{Type: TypeReply, ID: id, Error: e}
}
