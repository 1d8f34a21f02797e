package main

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"duet/call/leaktest"
	"duet/gui"
)

// packageLibraries are the shared libraries the packaged binary may load:
// glibc, OpenGL and X11, and what those load in turn. The direct ones map
// to the Debian package the .deb's Depends must name.
var packageLibraries = map[string]string{
	"linux-vdso.so.1":      "",
	"ld-linux-x86-64.so.2": "libc6",
	"libc.so.6":            "libc6",
	"libm.so.6":            "libc6",
	"libpthread.so.0":      "libc6",
	"libdl.so.2":           "libc6",
	"librt.so.1":           "libc6",
	"libresolv.so.2":       "libc6",
	"libGL.so.1":           "libgl1",
	"libGLX.so.0":          "",
	"libGLdispatch.so.0":   "",
	"libX11.so.6":          "libx11-6",
	"libxcb.so.1":          "",
	"libXau.so.6":          "",
	"libXdmcp.so.6":        "",
	"libbsd.so.0":          "",
	"libmd.so.0":           "",
}

// TestPackageNeedsOnlyGlibcGLAndX11 builds the packages as `make package`
// does and checks the binary in them: it loads nothing but glibc, OpenGL
// and X11 (libvpx, libopus and the audio processing module are inside),
// the .deb depends on exactly what it loads, and it runs: --version, and
// under Xvfb a video call to a bot whose audio goes through echo
// cancellation and noise suppression, all from the packaged binary.
func TestPackageNeedsOnlyGlibcGLAndX11(t *testing.T) {
	for _, tool := range []string{"sh", "pkg-config", "tar", "xz", "dpkg-deb", "ldd", "xvfb-run"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("packaging needs %s, which is not installed (make deps installs it)", tool)
		}
	}
	leaktest.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	dir := t.TempDir()
	const version = "package-test"
	build := exec.CommandContext(ctx, "sh", "packaging/build.sh", dir)
	build.Env = append(os.Environ(), "VERSION="+version)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("packaging/build.sh: %v\n%s", err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(dir, "duet_*.deb"))
	if len(debs) != 1 {
		t.Fatalf("want one .deb beside Duet.tar.xz, found %v", debs)
	}
	if out, err := exec.CommandContext(ctx, "tar", "xJf", filepath.Join(dir, "Duet.tar.xz"), "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("unpack Duet.tar.xz: %v\n%s", err, out)
	}
	bin := filepath.Join(dir, "duet", "usr", "local", "bin", "duet")

	ldd, err := exec.CommandContext(ctx, "ldd", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("ldd %s: %v\n%s", bin, err, ldd)
	}
	t.Logf("ldd of the packaged binary:\n%s", ldd)
	for _, line := range strings.Split(strings.TrimSpace(string(ldd)), "\n") {
		soname := filepath.Base(strings.Fields(line)[0])
		if _, ok := packageLibraries[soname]; !ok || strings.Contains(line, "not found") {
			t.Errorf("the packaged binary loads %s: want only glibc, OpenGL and X11", strings.TrimSpace(line))
		}
	}
	checkDepends(t, bin, debs[0])

	out, err := exec.CommandContext(ctx, bin, "--version").Output()
	if err != nil || strings.TrimSpace(string(out)) != "duet "+version {
		t.Fatalf("packaged duet --version: %q, %v; want \"duet %s\"", out, err, version)
	}
	callUnderXvfb(ctx, t, bin, dir)
}

// checkDepends: every library the binary needs itself comes from a
// package the .deb depends on, and glibc is new enough for its symbols.
func checkDepends(t *testing.T, bin, deb string) {
	t.Helper()
	out, err := exec.Command("dpkg-deb", "-f", deb, "Depends").Output()
	if err != nil {
		t.Fatalf("dpkg-deb -f %s Depends: %v", deb, err)
	}
	depends := map[string]string{} // package → version constraint
	for _, d := range strings.Split(strings.TrimSpace(string(out)), ",") {
		name, constraint, _ := strings.Cut(strings.TrimSpace(d), " ")
		depends[name] = constraint
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	needed, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	for _, lib := range needed {
		if pkg := packageLibraries[lib]; pkg == "" {
			t.Errorf("the binary needs %s itself, which no Depends entry covers", lib)
		} else if _, ok := depends[pkg]; !ok {
			t.Errorf("the binary needs %s, from %s, but the .deb depends on %s only", lib, pkg, out)
		}
	}
	syms, err := f.ImportedSymbols()
	if err != nil {
		t.Fatal(err)
	}
	newest := "2.0"
	for _, s := range syms {
		if v, ok := strings.CutPrefix(s.Version, "GLIBC_"); ok && versionLess(newest, v) {
			newest = v
		}
	}
	m := regexp.MustCompile(`^\(>= ([0-9.]+)\)$`).FindStringSubmatch(depends["libc6"])
	if m == nil || versionLess(m[1], newest) {
		t.Errorf("the binary uses glibc %s symbols; the .deb depends on libc6 %s", newest, depends["libc6"])
	}
}

// versionLess compares dotted numbers such as glibc's 2.34.
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}

// callUnderXvfb runs a server, a bot with echo cancellation and noise
// suppression, and the app's window placing a video call to the bot under
// Xvfb, every one of them the packaged binary, and wants the call's video
// decoded and drawn.
func callUnderXvfb(ctx context.Context, t *testing.T, bin, dir string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	url := "ws://" + addr + "/ws"
	start := func(name string, args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
		log, err := os.Create(filepath.Join(dir, name+".log"))
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		t.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
			log.Close()
		})
		return cmd
	}
	start("serve", "serve", "--open", "--addr", addr, "--db", filepath.Join(dir, "server.db"))
	for deadline := time.Now().Add(time.Minute); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the packaged server did not listen on %s within a minute", addr)
		}
		time.Sleep(50 * time.Millisecond) // polling the port, bounded by the deadline
	}
	start("bot", "bot", "--server", url, "--account", "pkgbot", "--aec", "--ns")

	shot := filepath.Join(dir, "call.png")
	app := exec.CommandContext(ctx, "xvfb-run", "-a", "-s", "-screen 0 1280x800x24",
		bin, "--server", url, "--account", "tester", "--synthetic", "--call", "pkgbot",
		"--screenshot", shot, "--measure", "3s")
	app.Env = append(os.Environ(), "HOME="+t.TempDir())
	var appLog bytes.Buffer
	app.Stdout, app.Stderr = &appLog, &appLog
	if err := app.Run(); err != nil {
		t.Fatalf("the packaged app under Xvfb: %v\n%s", err, appLog.String())
	}
	raw, err := os.ReadFile(strings.TrimSuffix(shot, ".png") + ".json")
	if err != nil {
		t.Fatalf("the app wrote no call report: %v\n%s", err, appLog.String())
	}
	var rep gui.SmokeReport
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	t.Logf("packaged app's call under Xvfb: %d frames decoded, %d drawn, %dx%d", rep.FramesDecoded, rep.FramesDrawn, rep.VideoWidth, rep.VideoHeight)
	if rep.Error != "" || rep.FramesDecoded == 0 || rep.FramesDrawn == 0 {
		t.Fatalf("the packaged app's call: error %q, %d frames decoded, %d drawn", rep.Error, rep.FramesDecoded, rep.FramesDrawn)
	}
}
