package devices

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
)

// stubCamera is a camera driver registered by hand, standing in for one
// the start-up scan found.
type stubCamera struct{}

func (stubCamera) Open() error              { return nil }
func (stubCamera) Close() error             { return nil }
func (stubCamera) Properties() []prop.Media { return nil }
func (stubCamera) VideoRecord(prop.Media) (video.Reader, error) {
	return nil, ErrDeviceFailed
}

// Listing scans the cameras again when a V4L2 node appeared, a camera
// being open or not, and not when nothing changed. Rescanning replaces the
// drivers registered before (here a stub) with what /dev holds now; an
// open one goes on working for the track that opened it.
func TestListRescansCamerasWhenNodesChange(t *testing.T) {
	dir := t.TempDir()
	oldGlob, oldNodes := v4l2Nodes, cameraScan.nodes
	v4l2Nodes = filepath.Join(dir, "video*")
	cameraScan.nodes = nil
	t.Cleanup(func() {
		v4l2Nodes, cameraScan.nodes = oldGlob, oldNodes
		for _, d := range stubs() {
			driver.GetManager().Delete(d.ID())
		}
	})
	if err := driver.GetManager().Register(stubCamera{}, driver.Info{Label: "stub;video9", DeviceType: driver.Camera}); err != nil {
		t.Fatal(err)
	}
	listed := func() bool {
		inv, _ := List()
		return slices.ContainsFunc(inv.Cameras, func(d Device) bool { return d.ID == "stub;video9" })
	}
	if !listed() {
		t.Fatal("the stub camera is not listed")
	}
	if err := os.WriteFile(filepath.Join(dir, "video0"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	stub := stubs()[0]
	if err := stub.Open(); err != nil {
		t.Fatal(err)
	}
	if listed() {
		t.Fatal("a new node did not make List scan the cameras again while one was open")
	}
	if err := stub.Close(); err != nil {
		t.Fatalf("the open camera, after the scan: %v", err)
	}
	if !slices.Equal(cameraScan.nodes, []string{filepath.Join(dir, "video0")}) {
		t.Errorf("nodes after the scan %v", cameraScan.nodes)
	}
}

func stubs() []driver.Driver {
	return driver.GetManager().Query(func(d driver.Driver) bool { return d.Info().Label == "stub;video9" })
}
