// Package pgtest starts a private PostgreSQL server for tests, from the
// Debian packages (`make deps` installs postgresql), in a temporary
// directory on a free loopback port.
//
// initdb and postgres refuse to run as root, so when the tests run as root
// (CI does) the server runs as the postgres user the package created. The
// server trusts every local connection and keeps nothing durable (fsync off):
// it holds test data only.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

const (
	startTimeout = 30 * time.Second
	stopTimeout  = 10 * time.Second
	superuser    = "duet"
)

// ErrNotInstalled is returned by Start on a machine without PostgreSQL.
var ErrNotInstalled = errors.New("PostgreSQL is not installed (Debian: postgresql; `make deps` installs it)")

// Server is one running PostgreSQL. Its methods are not safe for concurrent
// use, except URL and CreateSchema.
type Server struct {
	dir    string
	bin    string
	port   int
	cred   *syscall.Credential // nil: run as ourselves
	cmd    *exec.Cmd
	exited chan struct{}
	admin  *sql.DB
}

// Start initialises a cluster in a new temporary directory and starts it.
func Start() (*Server, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "duet-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		if s.cred, err = postgresUser(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		if err := os.Chown(dir, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	out, err := s.command("initdb", "-D", s.data(), "-U", superuser, "--auth=trust", "--no-sync",
		"--encoding=UTF8", "--locale=C").CombinedOutput()
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	if err := s.start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// findBin finds the newest installed server's bin directory: Debian keeps
// initdb and postgres out of PATH.
func findBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d, nil
		}
	}
	return "", ErrNotInstalled
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs the postgres user (created by Debian's postgresql package): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (s *Server) data() string { return filepath.Join(s.dir, "data") }

func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.dir
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	return cmd
}

// start runs postgres on a free port (the same port again after Stop) and
// waits until it answers.
func (s *Server) start() error {
	if s.port == 0 {
		port, err := freePort()
		if err != nil {
			return err
		}
		s.port = port
	}
	log, err := os.OpenFile(filepath.Join(s.dir, "postgres.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o666)
	if err != nil {
		return err
	}
	defer log.Close()
	s.cmd = s.command("postgres", "-D", s.data(), "-p", strconv.Itoa(s.port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+s.dir,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=400", "-c", "shared_buffers=32MB")
	s.cmd.Stdout, s.cmd.Stderr = log, log
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	s.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) { cmd.Wait(); close(exited) }(s.cmd, s.exited)
	if s.admin == nil {
		s.admin, err = sql.Open("pgx", s.URL("postgres", ""))
		if err != nil {
			return err
		}
		// No connection kept between uses: after a write the machine was
		// too busy to finish at once, pgx leaves a reader goroutine on the
		// connection until it is used again or closed, and a test's leak
		// check would take that for its own.
		s.admin.SetMaxIdleConns(0)
	}
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := s.admin.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("postgres exited at start; see %s", filepath.Join(s.dir, "postgres.log"))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not answer within %v: %w", startTimeout, err)
		}
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// URL is the address of database db, with search_path set to schema when
// schema is not empty.
func (s *Server) URL(db, schema string) string {
	u := fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", superuser, s.port, db)
	if schema != "" {
		u += "&search_path=" + schema
	}
	return u
}

// CreateSchema makes an empty schema in the postgres database and returns
// a URL whose tables live in it: one isolated store per test, much cheaper
// than a database each.
func (s *Server) CreateSchema(ctx context.Context, name string) (string, error) {
	if _, err := s.admin.ExecContext(ctx, `CREATE SCHEMA "`+name+`"`); err != nil {
		return "", fmt.Errorf("create schema %s: %w", name, err)
	}
	return s.URL("postgres", name), nil
}

// Stop shuts the server down as an operator would (fast shutdown: clients
// are disconnected) and waits for it to exit.
func (s *Server) Stop() error { return s.signal(syscall.SIGINT) }

// Kill ends the server abruptly, as a crash or SIGKILL would.
func (s *Server) Kill() error { return s.signal(syscall.SIGKILL) }

func (s *Server) signal(sig syscall.Signal) error {
	if s.cmd == nil {
		return nil
	}
	// The postmaster's children go with it on SIGINT; after SIGKILL they
	// notice the postmaster is gone and exit on their own.
	s.cmd.Process.Signal(sig)
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
		s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
	return nil
}

// Restart starts a stopped server again on the same port and data.
func (s *Server) Restart() error {
	if s.cmd != nil {
		return errors.New("postgres is running")
	}
	return s.start()
}

// Close stops the server and removes its directory.
func (s *Server) Close() error {
	if s.admin != nil {
		s.admin.Close()
	}
	s.Stop()
	return os.RemoveAll(s.dir)
}
