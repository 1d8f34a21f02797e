package gui

import (
	"context"

	"duet/devices"
)

// deviceSource lists and opens the camera, microphone and speakers. The app
// uses this machine's (machineDevices); tests stand in a machine without
// devices, whatever the one they run on has.
type deviceSource interface {
	// List is devices.List: it may take a while (the sound system answers).
	List() (devices.Inventory, error)
	// Open is devices.Open.
	Open(ctx context.Context, cfg devices.CaptureConfig) (*devices.Capture, error)
}

// machineDevices is this machine's devices.
type machineDevices struct{}

func (machineDevices) List() (devices.Inventory, error) { return devices.List() }

func (machineDevices) Open(ctx context.Context, cfg devices.CaptureConfig) (*devices.Capture, error) {
	return devices.Open(ctx, cfg)
}
