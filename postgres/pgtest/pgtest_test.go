package pgtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

// Each DSN is its own empty database on one running server.
func TestDatabasesAreSeparate(t *testing.T) {
	ctx := context.Background()
	a, b := DSN(t), DSN(t)
	if a == b {
		t.Fatal("two tests got the same database")
	}
	ca, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close(ctx)
	if _, err := ca.Exec(ctx, `CREATE TABLE only_in_a (x int)`); err != nil {
		t.Fatal(err)
	}
	cb, err := pgx.Connect(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close(ctx)
	var n int
	if err := cb.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("table leaked across databases: %d %v", n, err)
	}
	var fsync string
	if err := cb.QueryRow(ctx, `SHOW fsync`).Scan(&fsync); err != nil || fsync != "off" {
		t.Fatalf("fsync %q %v", fsync, err)
	}
}

// Host connections need the generated password: another local user cannot
// walk into the test server.
func TestPasswordRequired(t *testing.T) {
	DSN(t)
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(shared.srv.dsn("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Password = "wrong"
	if c, err := pgx.ConnectConfig(ctx, cfg); err == nil {
		c.Close(ctx)
		t.Fatal("connected with a wrong password")
	}
}

// The binaries come from one installation: the initdb on PATH (through its
// symlink) or the newest complete /usr/lib/postgresql/<v>/bin.
func TestFindBinaries(t *testing.T) {
	root := t.TempDir()
	mk := func(dir string, names ...string) string {
		d := filepath.Join(root, dir)
		os.MkdirAll(d, 0o755)
		for _, n := range names {
			os.WriteFile(filepath.Join(d, n), []byte("#!/bin/sh\n"), 0o755)
		}
		return d
	}
	v13 := mk("lib/13/bin", "initdb", "postgres")
	mk("lib/9/bin", "initdb", "postgres")
	mk("lib/16/bin", "initdb") // incomplete: no server
	glob := filepath.Join(root, "lib/*/bin")
	if d, err := findBinaries("", glob); err != nil || d != v13 {
		t.Fatalf("newest complete version: %q %v, want %q", d, err, v13)
	}
	// A symlinked initdb on PATH wins and brings its own postgres.
	v11 := mk("other/11/bin", "initdb", "postgres")
	link := filepath.Join(mk("usr/local/bin"), "initdb")
	if err := os.Symlink(filepath.Join(v11, "initdb"), link); err != nil {
		t.Fatal(err)
	}
	if d, err := findBinaries(link, glob); err != nil || d != v11 {
		t.Fatalf("initdb on PATH: %q %v, want %q", d, err, v11)
	}
	if _, err := findBinaries("", filepath.Join(root, "none/*/bin")); !errors.Is(err, ErrNoBinaries) {
		t.Fatalf("nothing installed: %v", err)
	}
}

// Absent binaries skip with the install command, except under CI; a
// server that is installed but fails never skips.
func TestUnavailable(t *testing.T) {
	for _, c := range []struct {
		err  error
		ci   string
		skip bool
	}{
		{ErrNoBinaries, "", true},
		{ErrNoBinaries, "false", true},
		{ErrNoBinaries, "true", false},
		{errors.New("pgtest: postgres exited"), "", false},
	} {
		skip, msg := unavailable(c.err, c.ci)
		if skip != c.skip || (errors.Is(c.err, ErrNoBinaries) && !strings.Contains(msg, "apt-get install postgresql")) {
			t.Errorf("%v CI=%q: skip %v %q", c.err, c.ci, skip, msg)
		}
	}
}

// Stop leaves nothing behind: the server process is gone and so is its
// directory (data, sockets, password file).
func TestStopCleansUp(t *testing.T) {
	if _, err := FindBinaries(); err != nil {
		t.Skipf("SKIPPING: %v", err)
	}
	s, err := Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir, "data", "PG_VERSION")); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.exited:
	default:
		t.Fatal("server process still running after Stop")
	}
	if _, err := os.Stat(s.Dir); !os.IsNotExist(err) {
		t.Fatalf("server directory left behind: %v", err)
	}
}
