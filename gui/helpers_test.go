package gui

import (
	"net"
	"testing"

	"duet/call"
)

func callOpts(custom string) call.CallOptions { return call.CallOptions{Custom: custom} }

func mustListen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}
