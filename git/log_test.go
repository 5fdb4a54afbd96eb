package git

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// testRepo is a real repository on disk with a fixed identity.
type testRepo struct {
	t *testing.T
	*Repo
}

func newTestRepo(t *testing.T) *testRepo {
	t.Helper()
	dir := t.TempDir()
	r := &testRepo{t: t, Repo: &Repo{Dir: dir, Env: []string{
		"GIT_AUTHOR_NAME=Ann", "GIT_AUTHOR_EMAIL=ann@example.com",
		"GIT_COMMITTER_NAME=Cid", "GIT_COMMITTER_EMAIL=cid@example.com",
		"GIT_AUTHOR_DATE=2026-01-02T03:04:05Z", "GIT_COMMITTER_DATE=2026-01-02T03:04:05Z",
	}}}
	r.git("init", "-q", "-b", "main")
	return r
}

func (r *testRepo) git(args ...string) string {
	r.t.Helper()
	out, err := r.Run(context.Background(), args...)
	if err != nil {
		r.t.Fatal(err)
	}
	return out
}

// commit writes files (path → content) and commits them with msg.
func (r *testRepo) commit(msg string, files map[string]string) string {
	r.t.Helper()
	for p, c := range files {
		full := filepath.Join(r.Dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	r.git("add", "-A")
	r.git("commit", "-q", "--allow-empty", "--cleanup=verbatim", "-m", msg)
	return r.git("rev-parse", "HEAD")
}

func TestLogReadsEveryField(t *testing.T) {
	r := newTestRepo(t)
	first := r.commit("chore: init", map[string]string{"README": "x"})
	second := r.commit("feat(api): add\n\nbody line\n\nCo-authored-by: Bo <bo@example.com>", map[string]string{"svc/a b.go": "1", "lib/x.go": "2"})
	var got []LogEntry
	n, err := r.Log(context.Background(), LogOptions{Files: true}, func(e *LogEntry) error {
		got = append(got, *e)
		return nil
	})
	if err != nil || n != 2 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	e := got[0]
	if e.SHA != second || !reflect.DeepEqual(e.Parents, []string{first}) {
		t.Errorf("sha/parents = %s %v", e.SHA, e.Parents)
	}
	if e.AuthorEmail != "ann@example.com" || e.CommitterEmail != "cid@example.com" || e.AuthorName != "Ann" || e.CommitterName != "Cid" {
		t.Errorf("identities = %+v", e)
	}
	if e.Time != 1767323045 {
		t.Errorf("time = %d", e.Time)
	}
	if !strings.HasPrefix(e.Message, "feat(api): add\n\nbody line\n\nCo-authored-by") {
		t.Errorf("message = %q", e.Message)
	}
	if !reflect.DeepEqual(e.Files, []string{"lib/x.go", "svc/a b.go"}) {
		t.Errorf("files = %q", e.Files)
	}
	if got[1].SHA != first || got[1].Parents != nil || !reflect.DeepEqual(got[1].Files, []string{"README"}) {
		t.Errorf("root = %+v", got[1])
	}
}

func TestLogRange(t *testing.T) {
	r := newTestRepo(t)
	r.commit("a", nil)
	base := r.commit("b", nil)
	r.commit("c", nil)
	r.commit("d", nil)
	var msgs []string
	n, err := r.Log(context.Background(), LogOptions{Revs: []string{base + "..HEAD"}}, func(e *LogEntry) error {
		msgs = append(msgs, strings.TrimSpace(e.Message))
		return nil
	})
	if err != nil || n != 2 || !reflect.DeepEqual(msgs, []string{"d", "c"}) {
		t.Fatalf("n=%d err=%v msgs=%q", n, err, msgs)
	}
}

// A path that looks like the start of a record is still a path: both
// commits are read, with their files.
func TestLogFileNameWithRecordByte(t *testing.T) {
	r := newTestRepo(t)
	// "\x01" sorts first, so "\x1eevil" is a later file token that starts
	// with the record byte.
	r.commit("feat: one", map[string]string{"\x01first": "x", "\x1eevil": "x"})
	r.commit("fix: two", map[string]string{"ok": "y"})
	var files [][]string
	n, err := r.Log(context.Background(), LogOptions{Files: true}, func(e *LogEntry) error { files = append(files, e.Files); return nil })
	if err != nil || n != 2 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	want := [][]string{{"ok"}, {"\x01first", "\x1eevil"}}
	if !reflect.DeepEqual(files, want) {
		t.Fatalf("files = %q", files)
	}
}

// The guard proves the read is the whole range: a reader that loses a
// commit is caught (here git itself is told to skip one).
func TestLogCountGuard(t *testing.T) {
	r := newTestRepo(t)
	r.commit("feat: one", nil)
	r.commit("fix: two", nil)
	r.commit("fix: three", nil)
	// (--max-count would not do: git marks the commit after the limit as a
	// boundary, and the proof trusts boundary marks, which otherwise only
	// the range's own negative revisions produce.)
	for _, skip := range []string{"--skip=1", "--skip=2"} {
		var mismatch *CountMismatchError
		_, err := r.Log(context.Background(), LogOptions{extraArgs: []string{skip}}, func(*LogEntry) error { return nil })
		if !errors.As(err, &mismatch) || mismatch.Count != -1 || mismatch.Missing == "" {
			t.Fatalf("%s: err = %v", skip, err)
		}
	}
}

// On a history with merges, ranges and a side branch, what Log reads is
// exactly what `git rev-list --count` counts (CrossCheck compares them).
func TestLogCountEqualsRevList(t *testing.T) {
	r := newTestRepo(t)
	base := r.commit("a", nil)
	r.git("tag", "v1")
	r.git("checkout", "-q", "-b", "side")
	r.commit("b", map[string]string{"s": "1"})
	r.commit("c", map[string]string{"s": "2"})
	r.git("checkout", "-q", "main")
	r.commit("d", map[string]string{"m": "1"})
	r.git("merge", "-q", "--no-ff", "-m", "merge side", "side")
	r.commit("e", nil)
	for _, revs := range [][]string{{"HEAD"}, {"v1..HEAD"}, {"HEAD", "^side"}, {"side", "^" + base}, {"HEAD~1..HEAD"}} {
		n, err := r.Log(context.Background(), LogOptions{Revs: revs, CrossCheck: true, TopoOrder: true}, func(*LogEntry) error { return nil })
		if err != nil {
			t.Fatalf("%v: %v", revs, err)
		}
		want, _ := r.CountCommits(context.Background(), revs)
		if n != want {
			t.Fatalf("%v: %d, rev-list %d", revs, n, want)
		}
	}
}

func TestCountMismatchMessage(t *testing.T) {
	err := &CountMismatchError{Revs: []string{"v1.0.0..HEAD"}, Parsed: 9, Count: 10}
	for _, want := range []string{"v1.0.0..HEAD", "parsed 9", "says 10", "unshallow"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err.Error(), want)
		}
	}
}

func TestReadLogTruncated(t *testing.T) {
	stream := "\x1e>abc\x00\x00a\x00a@x\x00c\x00c@x\x001\x00feat: x\n"
	_, err := readLog(strings.NewReader(stream), func(*LogEntry) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("err = %v", err)
	}
}

func TestTagsAndCreateTag(t *testing.T) {
	r := newTestRepo(t)
	c1 := r.commit("feat: a", nil)
	r.git("tag", "v1.0.0")
	c2 := r.commit("fix: b", nil)
	ctx := context.Background()
	if err := r.CreateTag(ctx, "v1.0.1", c2, "v1.0.1\n\nDigest: sha256:abc\n"); err != nil {
		t.Fatal(err)
	}
	// Idempotent on the same commit, refused on another.
	if err := r.CreateTag(ctx, "v1.0.1", c2, "other"); err != nil {
		t.Fatalf("same commit: %v", err)
	}
	if err := r.CreateTag(ctx, "v1.0.1", c1, "x"); !errors.Is(err, ErrTagElsewhere) {
		t.Fatalf("other commit: %v", err)
	}
	msg, _ := r.TagMessage(ctx, "v1.0.1")
	if !strings.Contains(msg, "Digest: sha256:abc") {
		t.Errorf("tag message = %q", msg)
	}
	r.git("checkout", "-q", "-b", "side", c1)
	r.commit("feat: side", nil)
	r.git("tag", "side-tag")
	tags, err := r.Tags(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Tag{}
	for _, tg := range tags {
		got[tg.Name] = tg
	}
	if len(got) != 2 || got["v1.0.0"].Commit != c1 || got["v1.0.1"].Commit != c2 || !got["v1.0.1"].Annotated || got["v1.0.0"].Annotated {
		t.Errorf("tags = %+v", tags)
	}
}

func TestResolveCommitNamesTheRef(t *testing.T) {
	r := newTestRepo(t)
	r.commit("a", nil)
	if _, err := r.ResolveCommit(context.Background(), "nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("err = %v", err)
	}
}

func init() {
	if _, err := exec.LookPath("git"); err != nil {
		panic("these tests need git on PATH")
	}
}

func FuzzReadLog(f *testing.F) {
	f.Add("\x1e>" + strings.Repeat("a", 40) + "\x00\x00a\x00a@x\x00c\x00c@x\x001\x00feat: x\n\x00\x00\nf\x00")
	f.Add("\x1e\x00\x00")
	f.Fuzz(func(t *testing.T, s string) {
		n, err := readLog(strings.NewReader(s), func(e *LogEntry) error {
			if e.SHA == "" && e.Message != "" && !strings.HasPrefix(s, "\x1e") {
				t.Fatalf("a record without a start: %+v", e)
			}
			return nil
		})
		if err == nil && n > 0 && !strings.HasPrefix(s, "\x1e") {
			t.Fatalf("%d records from a stream that does not start with one", n)
		}
	})
}

func TestLogReportsBoundary(t *testing.T) {
	r := newTestRepo(t)
	base := r.commit("a", nil)
	r.commit("b", nil)
	r.git("checkout", "-q", "-b", "side", base)
	side := r.commit("c", nil)
	r.git("checkout", "-q", "main")
	var seen []string
	_, err := r.Log(context.Background(), LogOptions{Revs: []string{"main", "^" + base}, OnBoundary: func(s string) { seen = append(seen, s) }}, func(*LogEntry) error { return nil })
	if err != nil || !reflect.DeepEqual(seen, []string{base}) {
		t.Fatalf("ancestor: %v %v", seen, err)
	}
	seen = nil
	// side is not an ancestor of main: it is not a boundary (their merge
	// base is).
	_, err = r.Log(context.Background(), LogOptions{Revs: []string{"main", "^" + side}, OnBoundary: func(s string) { seen = append(seen, s) }}, func(*LogEntry) error { return nil })
	if err != nil || len(seen) != 1 || seen[0] == side {
		t.Fatalf("not an ancestor: %v %v", seen, err)
	}
}
