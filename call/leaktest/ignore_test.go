package leaktest

import "testing"

func TestIgnoresOnlyPionsSRTPAnnounceRace(t *testing.T) {
	stuck := "goroutine 4132 [chan send]:\ngithub.com/pion/srtp/v3.(*SessionSRTP).decrypt(0xc0002d0360, {0xc0002f8000, 0x78, 0x2000})\n\t/x/session_srtp.go:229 +0x4c7\n"
	reading := "goroutine 7 [select]:\ngithub.com/pion/srtp/v3.(*SessionSRTP).decrypt(0xc0002d0360)\n\t/x/session_srtp.go:240\n"
	ours := "goroutine 9 [chan send]:\nduet/call/media.(*Session).own(0xc000)\n\t/x/session.go:300\n"
	if !ignored(stuck) {
		t.Error("pion's SRTP reader blocked announcing a stream is reported")
	}
	if ignored(reading) || ignored(ours) {
		t.Error("a goroutine outside that one race is ignored")
	}
}
