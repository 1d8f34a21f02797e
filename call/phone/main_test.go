package phone_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"

	"duet/call/server"
)

// serverProcessEnv makes the test binary act as a server process serving
// the database and address it names ("db|addr"), so a test can kill it.
const serverProcessEnv = "DUET_TEST_SERVE"

func TestMain(m *testing.M) {
	if v := os.Getenv(serverProcessEnv); v != "" {
		os.Exit(serve(v))
	}
	os.Exit(m.Run())
}

func serve(v string) int {
	db, addr, _ := strings.Cut(v, "|")
	srv, err := server.New(server.Config{DB: db, Open: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("ADDR %s\n", ln.Addr())
	srv.Serve(ln) // until killed
	return 0
}

// startServerProcess runs a server in a child process and returns its
// address; the test kills it with the returned function (SIGKILL: no
// shutdown code runs, as in a crash).
func startServerProcess(t testing.TB, db, addr string) (string, func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serverProcessEnv+"="+db+"|"+addr)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ADDR ") {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("server process did not start: %q %v", line, err)
	}
	killed := false
	kill := func() {
		if !killed {
			killed = true
			cmd.Process.Kill()
			cmd.Wait()
		}
	}
	t.Cleanup(kill)
	return strings.TrimSpace(strings.TrimPrefix(line, "ADDR ")), kill
}
