// Package pgtest starts a throwaway PostgreSQL server for tests: initdb on a
// temporary data directory, the server on 127.0.0.1 and a free port (unix
// sockets in the same directory), and one fresh database per test so tests
// stay isolated and can run in parallel.
//
// One server serves a whole test binary:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestX(t *testing.T) { dsn := pgtest.DSN(t); ... }
//
// When the PostgreSQL binaries are absent, DSN skips the test loudly (it
// says how to install them); with CI=true in the environment it fails
// instead, so a CI machine that lost its server cannot pass by skipping.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoBinaries is returned by Start when initdb or postgres cannot be found.
var ErrNoBinaries = errors.New("PostgreSQL server binaries (initdb, postgres) not found on PATH or under /usr/lib/postgresql/*/bin: install them with `apt-get install postgresql`")

// Server is a running throwaway PostgreSQL cluster.
type Server struct {
	Dir      string // temporary directory: data/, sockets, server.log
	Port     int
	password string // of the superuser "postgres"; host connections need it
	cmd      *exec.Cmd
	exited   chan struct{} // closed when the server process has exited
	dbs      atomic.Int64
	stopping atomic.Bool
}

// FindBinaries returns the directory holding initdb and postgres: the one
// of the initdb on PATH (symlinks resolved, so both come from the same
// installation), else the newest /usr/lib/postgresql/<version>/bin.
func FindBinaries() (string, error) {
	onPath, _ := exec.LookPath("initdb")
	return findBinaries(onPath, "/usr/lib/postgresql/*/bin")
}

func findBinaries(initdbOnPath, versionedBins string) (string, error) {
	var dirs []string
	if initdbOnPath != "" {
		if r, err := filepath.EvalSymlinks(initdbOnPath); err == nil {
			initdbOnPath = r
		}
		dirs = append(dirs, filepath.Dir(initdbOnPath))
	}
	found, _ := filepath.Glob(versionedBins)
	sort.Slice(found, func(i, j int) bool { return pgVersion(found[i]) > pgVersion(found[j]) })
	dirs = append(dirs, found...)
	for _, d := range dirs {
		if executable(filepath.Join(d, "initdb")) && executable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", ErrNoBinaries
}

// pgVersion is the major version in /usr/lib/postgresql/<v>/bin (0 if none).
func pgVersion(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func executable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// Start initializes and starts a server. The caller must Stop it.
func Start(ctx context.Context) (*Server, error) {
	bin, err := FindBinaries()
	if err != nil {
		return nil, err
	}
	cred, err := serverUser()
	if err != nil {
		return nil, err
	}
	dir, err := tempDir()
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir, password: randomHex(16)}
	if err := s.start(ctx, bin, cred); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// serverUser is who runs initdb and postgres: this process's user, or,
// when that is root (which PostgreSQL refuses), the "postgres" system user
// the Debian package creates, else "nobody".
func serverUser() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		// Groups empty: the server keeps none of root's supplementary groups.
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
	}
	return nil, errors.New("pgtest: running as root and neither a `postgres` nor a `nobody` user exists to run the server (PostgreSQL refuses root): create one with `useradd --system postgres`")
}

// tempDir makes the server's directory. Unix socket paths are limited to
// 107 bytes, so a long TMPDIR falls back to /tmp.
func tempDir() (string, error) {
	base := os.TempDir()
	if len(base) > 60 {
		base = "/tmp"
	}
	return os.MkdirTemp(base, "pgtest-")
}

func (s *Server) start(ctx context.Context, bin string, cred *syscall.Credential) error {
	pwfile := filepath.Join(s.Dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(s.password+"\n"), 0o600); err != nil {
		return err
	}
	if cred != nil {
		// The server user owns the directory; it stays 0700, so only that
		// user and root can reach the sockets and data.
		for _, p := range []string{s.Dir, pwfile} {
			if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
				return fmt.Errorf("pgtest: hand %s to the server user: %w", p, err)
			}
		}
	}
	data := filepath.Join(s.Dir, "data")
	initdb := s.command(ctx, cred, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres",
		"--auth=scram-sha-256", "--pwfile="+pwfile, "-E", "UTF8", "--locale=C", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: initdb in %s: %w\n%s", data, err, out)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // a free port can be taken before the server binds it
		port, err := freePort()
		if err != nil {
			return err
		}
		s.Port = port
		if lastErr = s.run(ctx, bin, cred, data); !errors.Is(lastErr, errPortTaken) {
			return lastErr
		}
	}
	return lastErr
}

// run starts the server on s.Port and waits until it accepts connections.
func (s *Server) run(ctx context.Context, bin string, cred *syscall.Credential, data string) error {
	logPath := filepath.Join(s.Dir, "server.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := s.command(context.Background(), cred, filepath.Join(bin, "postgres"), "-D", data,
		"-p", strconv.Itoa(s.Port), "-k", s.Dir,
		"-c", "listen_addresses=127.0.0.1",
		// Throwaway data: durability off for speed.
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200", "-c", "shared_buffers=32MB")
	cmd.Stdout, cmd.Stderr = logf, logf
	// If the test binary dies without stopping it, the server goes too.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGINT
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: start postgres: %w", err)
	}
	s.cmd, s.exited = cmd, make(chan struct{})
	go func() { cmd.Wait(); close(s.exited) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := pgx.Connect(ctx, s.dsn("postgres"))
		if err == nil {
			c.Close(ctx)
			return nil
		}
		select {
		case <-s.exited:
			log, _ := os.ReadFile(logPath)
			if strings.Contains(string(log), "could not bind") {
				return fmt.Errorf("%w: port %d:\n%s", errPortTaken, s.Port, log)
			}
			return fmt.Errorf("pgtest: postgres exited:\n%s", log)
		case <-ctx.Done():
			err = ctx.Err()
		case <-time.After(50 * time.Millisecond):
			if time.Now().Before(deadline) {
				continue
			}
		}
		s.cmd.Process.Kill() // not ready: never leave it running
		<-s.exited
		log, _ := os.ReadFile(logPath)
		return fmt.Errorf("pgtest: postgres not ready: %v\n%s", err, log)
	}
}

// errPortTaken: another process bound the free port first; try another.
var errPortTaken = errors.New("pgtest: port taken")

func (s *Server) command(ctx context.Context, cred *syscall.Credential, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = s.Dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "TZ=UTC", "HOME=" + s.Dir}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	return cmd
}

func (s *Server) running() bool {
	if s.stopping.Load() {
		return false
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// Stop shuts the server down (fast shutdown) and removes its directory.
func (s *Server) Stop() error {
	s.stopping.Store(true)
	if s.cmd != nil && s.cmd.Process != nil {
		select {
		case <-s.exited:
		default:
			s.cmd.Process.Signal(syscall.SIGINT)
			select {
			case <-s.exited:
			case <-time.After(20 * time.Second):
				s.cmd.Process.Kill()
				<-s.exited
			}
		}
	}
	return os.RemoveAll(s.Dir)
}

func (s *Server) dsn(db string) string {
	return fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/%s?sslmode=disable", s.password, s.Port, db)
}

// CreateDatabase creates an empty database (from template0) and returns its DSN.
func (s *Server) CreateDatabase(ctx context.Context) (name, dsn string, err error) {
	name = fmt.Sprintf("slipway_test_%d", s.dbs.Add(1))
	c, err := pgx.Connect(ctx, s.dsn("postgres"))
	if err != nil {
		return "", "", err
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE template0"); err != nil {
		return "", "", fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	return name, s.dsn(name), nil
}

// DropDatabase drops a database, closing whatever still uses it.
func (s *Server) DropDatabase(ctx context.Context, name string) error {
	c, err := pgx.Connect(ctx, s.dsn("postgres"))
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	return err
}

// The package's shared server, started by the first DSN call.
var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// DSN returns the DSN of a fresh database on the shared server, dropped when
// the test ends. It skips (or, with CI=true, fails) when PostgreSQL is not
// installed, and fails when it is installed but does not start.
func DSN(tb testing.TB) string {
	tb.Helper()
	shared.once.Do(func() { shared.srv, shared.err = Start(context.Background()) })
	if shared.err != nil {
		if skip, msg := unavailable(shared.err, os.Getenv("CI")); skip {
			tb.Skip(msg)
		} else {
			tb.Fatal(msg)
		}
	}
	name, dsn, err := shared.srv.CreateDatabase(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	// Dropped in the background: the next test need not wait for it, and
	// Main's Stop ends whatever is still running.
	tb.Cleanup(func() {
		go func() {
			if err := shared.srv.DropDatabase(context.Background(), name); err != nil && shared.srv.running() {
				fmt.Fprintf(os.Stderr, "pgtest: drop %s: %v\n", name, err)
			}
		}()
	})
	return dsn
}

// unavailable decides what a test does when the server did not start: skip
// loudly when PostgreSQL is not installed, unless ci is "true"; fail on
// anything else (installed but broken must never pass as skipped).
func unavailable(err error, ci string) (skip bool, msg string) {
	if errors.Is(err, ErrNoBinaries) {
		if ci == "true" {
			return false, "CI=true and " + err.Error()
		}
		return true, "SKIPPING PostgreSQL test: " + err.Error()
	}
	return false, err.Error()
}

// Main runs the tests and stops the shared server, if one was started, then
// exits with the tests' code. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if shared.srv != nil {
		if err := shared.srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest: stop:", err)
		}
	}
	os.Exit(code)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b)
}
