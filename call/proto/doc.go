// Package proto defines Duet's signaling wire format: JSON text messages over
// WebSocket, shared by the client (package call) and the server (call/server).
//
// Every message is one Envelope. A client sends requests (a type, an id and
// data); the server answers each with a reply carrying the same id and either
// a result or an Error; the server also pushes events (a type and data, no id).
// docs/protocol.md describes every message with an example.
//
// Requests are decoded strictly: unknown fields, wrong types, trailing bytes and
// messages over MaxMessageSize are errors with a stable code, so a client
// written in another language learns at once what it got wrong.
package proto
