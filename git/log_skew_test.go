package git

import (
	"context"
	"testing"
	"time"
)

// TestLogReadsAParentShownBeforeItsLastChild: a release pull request's
// commit dated before its parent (a skewed clock, or the same second),
// merged: git log's default order shows the parent before that child.
// Every commit of the range is read, and the read is accepted: the
// frontier proof cannot hold in that order, so the range is counted.
func TestLogReadsAParentShownBeforeItsLastChild(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t)
	base := r.commit("feat: first", map[string]string{"a": "1"})
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	id := Identity{Name: "Cid", Email: "cid@example.com"}
	tree := r.git("rev-parse", base+"^{tree}")
	feat, err := r.CommitTree(ctx, tree, []string{base}, id, t0.Add(5*time.Second), "feat: orders\n")
	if err != nil {
		t.Fatal(err)
	}
	release, err := r.CommitTree(ctx, tree, []string{feat}, id, t0, "chore(main): release 1.1.0\n")
	if err != nil {
		t.Fatal(err)
	}
	merge, err := r.CommitTree(ctx, tree, []string{feat, release}, id, t0.Add(10*time.Second), "Merge pull request #1\n")
	if err != nil {
		t.Fatal(err)
	}
	order := r.git("log", "--format=%H", merge, "^"+base)
	if want := merge + "\n" + feat + "\n" + release; order != want {
		t.Logf("git showed %q; the test wants the parent (feat) before its child (release)", order)
	}
	for _, cross := range []bool{false, true} {
		var read []string
		n, err := r.Log(ctx, LogOptions{Revs: []string{merge, "^" + base}, CrossCheck: cross}, func(e *LogEntry) error {
			read = append(read, e.SHA)
			return nil
		})
		if err != nil || n != 3 {
			t.Fatalf("Log (cross-check %v) = %d %v (read %v); want the 3 commits of the range", cross, n, err, read)
		}
	}
}
