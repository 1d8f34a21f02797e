package devices

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/driver/screen"
)

// ErrNoScreen means no screen can be shared: there is no X11 display (a
// Wayland session without XWayland, or no display at all). Its message says
// which, for the button that would share.
var ErrNoScreen = errors.New("no screen to share")

// screenFPS is the rate a shared screen is read at: a screen is shared for
// its detail, so frames come slowly and each carries more bits.
const screenFPS = 15

var screenScanMu sync.Mutex

// Screens lists the X11 screens that can be shared. mediadevices' screen
// driver registers them when the process starts; a display that came later
// (a test's Xvfb) is scanned here once. Without any, the error says why
// sharing is impossible, in words a user can act on.
func Screens() ([]Device, error) {
	screenScanMu.Lock()
	defer screenScanMu.Unlock()
	if os.Getenv("DISPLAY") == "" {
		return nil, noScreenError() // whatever a display seen earlier left registered
	}
	if len(screenDrivers()) == 0 {
		screen.Initialize()
	}
	ds := screenDrivers()
	if len(ds) == 0 {
		return nil, noScreenError()
	}
	out := make([]Device, 0, len(ds))
	for i, d := range ds {
		out = append(out, Device{ID: d.Info().Label, Label: fmt.Sprintf("Screen %d", i+1), Kind: KindScreen, Default: i == 0})
	}
	return out, nil
}

func screenDrivers() []driver.Driver {
	return driver.GetManager().Query(driver.FilterDeviceType(driver.Screen))
}

// noScreenError says why there is no screen to share.
func noScreenError() error {
	switch {
	case os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") != "":
		return fmt.Errorf("%w: screen sharing needs X11, and this Wayland session has no XWayland", ErrNoScreen)
	case os.Getenv("DISPLAY") == "":
		return fmt.Errorf("%w: there is no display", ErrNoScreen)
	default:
		return fmt.Errorf("%w: the X11 display %s cannot be read", ErrNoScreen, strings.TrimSpace(os.Getenv("DISPLAY")))
	}
}

func findScreen(id string) (driver.Driver, error) {
	if _, err := Screens(); err != nil {
		return nil, err
	}
	for _, d := range screenDrivers() {
		if id == "" || d.Info().Label == id {
			return d, nil
		}
	}
	return nil, fmt.Errorf("%w: %s is not a screen of this display", ErrNoScreen, id)
}
