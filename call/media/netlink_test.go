package media_test

import "duet/internal/vnetlink"

// The emulated paths live in vnetlink, shared with the phone's and the
// GUI's tests.
type (
	linkConfig = vnetlink.Config
	link       = vnetlink.Link
)

var newLink = vnetlink.New
