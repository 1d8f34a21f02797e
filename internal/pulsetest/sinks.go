package pulsetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Sink names a null sink: Name is the server's name for it, Description
// the label sound clients show (no spaces). Its monitor source is
// Name+".monitor", shown as "Monitor of "+Description.
type Sink struct {
	Name, Description string
}

// MonitorLabel is how sound clients label the sink's monitor source.
func (s Sink) MonitorLabel() string { return "Monitor of " + s.Description }

func (s Sink) args() string {
	return fmt.Sprintf("sink_name=%s rate=%d channels=%d format=s16le sink_properties=device.description=%s",
		s.Name, Rate, Channels, s.Description)
}

// keepAwake makes the sinks deliver to their monitors at once and in
// 10 ms steps, as a sound card's sink would. A null sink that nobody asks
// for low latency renders 2 s at a time, and does so as it is loaded; a
// microphone opened on its monitor would hear nothing for up to 2 s. So a
// recorder asks 10 ms of each monitor for as long as the server runs, and
// a suspend and resume drops the 2 s already rendered.
func (s *Server) keepAwake(sinks ...Sink) {
	s.t.Helper()
	var names []string
	for _, sk := range sinks {
		name := "pulsetest-keep-awake-" + sk.Name
		cmd := exec.Command("parec", "--server=unix:"+s.socket, "--device="+sk.Name+".monitor",
			"--latency-msec=10", "--raw", "--client-name="+name)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			s.t.Fatalf("keep %s awake: %v", sk.Name, err)
		}
		s.awake = append(s.awake, cmd)
		names = append(names, name)
	}
	deadline := time.Now().Add(startTimeout)
	for {
		clients := s.Pactl("list", "clients")
		if !slices.ContainsFunc(names, func(n string) bool { return !strings.Contains(clients, n) }) {
			break
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("keep sinks awake: the recorders did not connect within %s:\n%s", startTimeout, clients)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, sk := range sinks {
		s.Pactl("suspend-sink", sk.Name, "1")
		s.Pactl("suspend-sink", sk.Name, "0")
	}
}

// Pactl runs pactl against the server and returns its output; a failure
// fails the test.
func (s *Server) Pactl(args ...string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "pactl", append([]string{"--server=unix:" + s.socket}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = time.Second
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
		}
		s.t.Fatalf("pactl %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

// AddSink loads another null sink while the server runs (a device plugged
// in) and returns its module index for RemoveSink.
func (s *Server) AddSink(sk Sink) int {
	s.t.Helper()
	out := s.Pactl(append([]string{"load-module", "module-null-sink"}, strings.Fields(sk.args())...)...)
	idx, err := strconv.Atoi(out)
	if err != nil {
		s.t.Fatalf("load-module module-null-sink %s: module index %q: %v", sk.Name, out, err)
	}
	s.keepAwake(sk)
	return idx
}

// RemoveSink unloads a sink AddSink loaded (the device unplugged).
func (s *Server) RemoveSink(module int) {
	s.t.Helper()
	s.Pactl("unload-module", strconv.Itoa(module))
}
