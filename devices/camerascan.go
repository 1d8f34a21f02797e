package devices

import (
	"path/filepath"
	"slices"
	"sync"

	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/driver/camera"
)

// v4l2Nodes is where V4L2 cameras appear; a variable for tests.
var v4l2Nodes = "/dev/video*"

// cameraScan remembers the V4L2 nodes the camera drivers were registered
// for. mediadevices registers cameras once, when the process starts; a
// camera plugged in later appears as a new node, and rescanCameras
// registers it.
var cameraScan struct {
	mu    sync.Mutex
	nodes []string // guarded by mu
}

// The camera driver's init, which runs before this package's, scanned
// these.
func init() { cameraScan.nodes, _ = filepath.Glob(v4l2Nodes) }

// rescanCameras registers the cameras again when the V4L2 nodes changed
// since the last look, so a camera plugged in during a call can be picked
// in it. Re-registering replaces the drivers the manager lists, an open
// one's too: its track goes on reading through the driver it opened, and
// its node is listed again under the same ID (cameraID), so the camera in
// use still shows as in use.
func rescanCameras() {
	nodes, _ := filepath.Glob(v4l2Nodes)
	cameraScan.mu.Lock()
	defer cameraScan.mu.Unlock()
	if slices.Equal(nodes, cameraScan.nodes) {
		return
	}
	driverMu.Lock()
	defer driverMu.Unlock()
	camera.Initialize()
	cameraScan.nodes = nodes
}

// cameraID is a camera's Device.ID: its V4L2 name and node as
// mediadevices labels them ("usb-…-video-index0;video0"), which stay the
// same across a rescan and a restart, unlike the driver's own random ID.
func cameraID(d driver.Driver) string { return d.Info().Label }
