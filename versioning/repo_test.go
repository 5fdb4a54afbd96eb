package versioning

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fixture is a real git repository built by a test.
type fixture struct {
	t   *testing.T
	dir string
	n   int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: t.TempDir()}
	f.git("init", "-q", "-b", "main")
	return f
}

func (f *fixture) git(args ...string) string {
	f.t.Helper()
	cmd := exec.Command("git", append([]string{"-C", f.dir}, args...)...)
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=Ann", "GIT_AUTHOR_EMAIL=ann@example.com",
		"GIT_COMMITTER_NAME=Cid", "GIT_COMMITTER_EMAIL=cid@example.com",
		"GIT_AUTHOR_DATE=2026-03-04T05:06:07Z", "GIT_COMMITTER_DATE=2026-03-04T05:06:07Z",
		"GIT_CONFIG_NOSYSTEM=1", "HOME="+f.dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		f.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func (f *fixture) write(path, content string) {
	f.t.Helper()
	full := filepath.Join(f.dir, path)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// commit commits msg touching the given paths (a fresh line in each), or
// a file of its own when none are given, and returns the hash.
func (f *fixture) commit(msg string, paths ...string) string {
	f.t.Helper()
	f.n++
	if len(paths) == 0 {
		paths = []string{"file.txt"}
	}
	for _, p := range paths {
		old, _ := os.ReadFile(filepath.Join(f.dir, p))
		f.write(p, string(old)+strings.Repeat("x", f.n)+"\n")
	}
	f.git("add", "-A")
	f.git("commit", "-q", "--cleanup=verbatim", "-m", msg)
	return f.git("rev-parse", "HEAD")
}

func (f *fixture) tag(name string, ref ...string) {
	f.t.Helper()
	f.git(append([]string{"tag", name}, ref...)...)
}

// next runs Next twice, keeping the commits and streaming them
// (SummaryOnly), and fails the test unless both decide the same.
func (f *fixture) next(req Request) *Result {
	f.t.Helper()
	req.Dir = f.dir
	res, err := Next(context.Background(), req)
	if err != nil {
		f.t.Fatal(err)
	}
	req.SummaryOnly = true
	sum, err := Next(context.Background(), req)
	if err != nil {
		f.t.Fatal(err)
	}
	a, b := *res, *sum
	a.History, a.Entries = nil, nil
	if !reflect.DeepEqual(a, b) {
		f.t.Fatalf("streaming decision differs:\nkept      %+v\nstreaming %+v", a, b)
	}
	return res
}

// day0 is a fixed changelog date.
var day0 = time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
