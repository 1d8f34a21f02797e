package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// runMainEnv makes the test binary run duet with the arguments in it
// instead of the tests: a fresh process, whose packages initialise under
// the environment the test gives it.
const runMainEnv = "DUET_TEST_RUN_MAIN"

// runMainArgv in runMainEnv takes the arguments from the command line: a
// test whose code starts duet through os.Executable (loadtest's servers).
const runMainArgv = "argv"

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(runMainEnv); ok {
		argv := strings.Fields(args)
		if args == runMainArgv {
			argv = os.Args[1:]
		}
		if err := run(context.Background(), argv, os.Stdout, os.Stderr); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// Under LANG=C.UTF-8, the default of Debian's containers, duet prints what
// it was asked for and nothing from Fyne about the locale.
func TestQuietUnderTheCLocale(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = []string{runMainEnv + "=--version", "LANG=C.UTF-8", "HOME=" + t.TempDir()}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("duet --version: %v\n%s", err, errb.String())
	}
	if !strings.HasPrefix(out.String(), "duet ") || errb.Len() != 0 {
		t.Fatalf("duet --version printed %q and, on stderr, %q", out.String(), errb.String())
	}
}
