// Package pulsetest starts a private PulseAudio sound server for a test,
// with null sinks whose monitors serve as microphones, so the real capture
// and playback paths (malgo's PulseAudio backend) run on a machine without
// a sound card.
//
// The server lives in a temporary directory, reads no configuration of the
// user's or the system's (-n: only the modules it is given), never exits
// on its own and is stopped when the test ends. Start points this process's
// sound clients at it through the environment (t.Setenv), so tests that
// use it must not be parallel.
package pulsetest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Rate and Channels are the null sinks' format: what calls play and
// record, so the server neither resamples nor remixes.
const (
	Rate     = 48000
	Channels = 1
)

// startTimeout bounds how long the server may take to accept connections,
// and stopTimeout how long it may take to exit when asked.
const (
	startTimeout = 10 * time.Second
	stopTimeout  = 5 * time.Second
)

// Server is a running PulseAudio daemon of one test. Its methods must be
// called from the test's goroutine.
type Server struct {
	t      testing.TB
	dir    string
	socket string
	cmd    *exec.Cmd
	exited chan struct{} // closed when the daemon has exited
	log    string
	awake  []*exec.Cmd // see keepAwake
}

// Start starts a server with sinks, waits until it accepts connections and
// sets PULSE_SERVER (and the runtime directories) for the rest of the test.
// Without pulseaudio installed the test fails when CI is set (make deps
// installs it) and is skipped otherwise.
func Start(t testing.TB, sinks ...Sink) *Server {
	t.Helper()
	bin, err := exec.LookPath("pulseaudio")
	if err == nil {
		_, err = exec.LookPath("pactl")
	}
	if err != nil {
		msg := "PulseAudio is not installed (Debian: pulseaudio and pulseaudio-utils; `make deps` installs them): " + err.Error()
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	// Not t.TempDir: a unix socket's path must stay short.
	dir, err := os.MkdirTemp("", "duet-pulse-")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, dir: dir, socket: filepath.Join(dir, "native"), exited: make(chan struct{}),
		log: filepath.Join(dir, "pulseaudio.log")}
	env := map[string]string{
		"HOME":               dir,
		"XDG_RUNTIME_DIR":    dir,
		"XDG_CONFIG_HOME":    filepath.Join(dir, "config"),
		"PULSE_RUNTIME_PATH": dir,
		"PULSE_STATE_PATH":   filepath.Join(dir, "state"),
		"PULSE_SERVER":       "unix:" + s.socket,
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	args := []string{
		"-n", // no default.pa: exactly the modules below
		"--daemonize=no", "--use-pid-file=no", "--system=no",
		"--exit-idle-time=-1", "--realtime=no", "--high-priority=no", "--disable-shm=yes",
		"--log-target=stderr", "--log-level=notice",
	}
	// The sinks load before the protocol, so a server that accepts
	// connections has them all.
	for _, sk := range sinks {
		args = append(args, "-L", "module-null-sink "+sk.args())
	}
	args = append(args, "-L", "module-native-protocol-unix auth-anonymous=1 socket="+s.socket)
	logf, err := os.Create(s.log)
	if err != nil {
		os.RemoveAll(dir)
		t.Fatal(err)
	}
	s.cmd = exec.Command(bin, args...)
	// The variables set above, and a session bus that is not there: the
	// daemon asks for one at start-up and would otherwise try to launch one.
	s.cmd.Env = append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(dir, "no-bus"))
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	// Its own process group, so stop can end all of it; and a test binary
	// that dies without its cleanups (a timeout, a kill) takes it along.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	err = s.cmd.Start()
	logf.Close()
	if err != nil {
		os.RemoveAll(dir)
		t.Fatalf("start pulseaudio: %v", err)
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(s.stop)
	if err := s.waitReady(); err != nil {
		t.Fatalf("pulseaudio %s: %v\n%s", strings.Join(args, " "), err, s.Log())
	}
	if len(sinks) > 0 {
		s.keepAwake(sinks...)
	}
	return s
}

// waitReady polls the socket until the server accepts a connection.
func (s *Server) waitReady() error {
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-s.exited:
			return fmt.Errorf("exited during start-up (%v)", s.cmd.ProcessState)
		default:
		}
		if c, err := net.Dial("unix", s.socket); err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not accepting connections on %s after %s", s.socket, startTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop ends the daemon (SIGTERM, then SIGKILL) and removes its directory.
func (s *Server) stop() {
	for _, c := range s.awake {
		_ = c.Process.Kill()
		_ = c.Wait()
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exited
	}
	os.RemoveAll(s.dir)
}

// Log returns what the daemon has logged so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.log)
	return string(b)
}
