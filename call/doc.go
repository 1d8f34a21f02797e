// Package call is Duet's client-side call controller: the netcall API in Go
// form (Call, Response, StartRTC, Hangup, History, Contacts) over the
// signaling protocol of package proto, with one Go type per event.
package call
