// Package xvfbtest starts a private X server (Xvfb) for a test: a display
// whose screen can be drawn on with xsetroot and read back by screen
// capture, on a machine without one.
//
// Start points this process's X clients at it through DISPLAY (t.Setenv),
// so tests that use it must not be parallel. The server is stopped when the
// test ends.
package xvfbtest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds how long Xvfb may take to name its display.
const startTimeout = 10 * time.Second

// Start runs Xvfb with one screen of width×height, waits until it serves
// and sets DISPLAY for the rest of the test. Without Xvfb installed the test
// fails when CI is set (make deps installs it) and is skipped otherwise.
func Start(t testing.TB, width, height int) string {
	t.Helper()
	bin, err := exec.LookPath("Xvfb")
	if err != nil {
		msg := "Xvfb is not installed (Debian: xvfb; `make deps` installs it): " + err.Error()
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// -displayfd: Xvfb picks a free display and writes its number once it
	// accepts connections.
	cmd := exec.Command(bin, "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", width, height),
		"-nolisten", "tcp", "-noreset")
	cmd.ExtraFiles = []*os.File{w}
	var log strings.Builder
	cmd.Stderr = &log
	// A test binary that dies without its cleanups takes the server along.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err = cmd.Start()
	w.Close()
	if err != nil {
		t.Fatalf("start Xvfb: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	number := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		number <- strings.TrimSpace(line)
	}()
	select {
	case n := <-number:
		if n == "" {
			<-exited
			t.Fatalf("Xvfb named no display: %s", log.String())
		}
		display := ":" + n
		t.Setenv("DISPLAY", display)
		return display
	case <-time.After(startTimeout):
		_ = cmd.Process.Kill()
		t.Fatalf("Xvfb named no display within %v", startTimeout)
	}
	return ""
}

// Fill paints the display's root window a solid colour (a name or #rrggbb)
// with xsetroot, so a capture of it can be checked.
func Fill(t testing.TB, colour string) {
	t.Helper()
	if out, err := exec.Command("xsetroot", "-solid", colour).CombinedOutput(); err != nil {
		t.Fatalf("xsetroot -solid %s: %v: %s", colour, err, out)
	}
}

// Grid paints the root window a grid of fg lines on bg, a picture with
// detail in it, as a desktop has.
func Grid(t testing.TB, fg, bg string) {
	t.Helper()
	if out, err := exec.Command("xsetroot", "-mod", "16", "16", "-fg", fg, "-bg", bg).CombinedOutput(); err != nil {
		t.Fatalf("xsetroot -mod: %v: %s", err, out)
	}
}
