package sqlite

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway"
)

// TestPullRequestsSurviveTheBranchReuseMigration: migration 0007 rebuilds
// pull_requests (SQLite cannot drop a UNIQUE); a store made before it keeps
// every pull request, its number and its fields, and new ones number on.
func TestPullRequestsSurviveTheBranchReuseMigration(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "slipway.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("migrations/000[1-4]_*.sql")
	for i, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		raw.Exec(`INSERT INTO schema_migrations VALUES (?, 'before')`, i+1)
	}
	for n, state := range []string{"merged", "open"} {
		if _, err := raw.Exec(`INSERT INTO pull_requests (number, url, branch, base, title, body, labels, reviewers, author, state, head_sha, merge_sha, merged_by, closed_by, conflict, created, updated)
			VALUES (?, '', ?, 'main', 'Promote', 'body', '["slipway"]', '[]', 'alice', ?, ?, '', '', '', 0, ?, ?)`,
			n+5, "slipway/prod/api/"+strings.Repeat("a", n+1), state, strings.Repeat("1", 40), ts(time.Unix(0, 0)), ts(time.Unix(0, 0))); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	db := open(t, dir)
	st := db.Store().PullRequests
	all, err := st.PRs(ctx, "")
	if err != nil || len(all) != 2 || all[0].Number != 5 || all[1].Number != 6 || all[1].State != slipway.PROpen || all[0].Labels[0] != "slipway" {
		t.Fatalf("after the migration: %+v %v", all, err)
	}
	next := &slipway.PullRequest{Branch: all[0].Branch, Base: "main", Title: "again", HeadSHA: strings.Repeat("2", 40)}
	if created, err := st.OpenPR(ctx, next); err != nil || !created || next.Number != 7 {
		t.Fatalf("a new pull request on a merged branch: %v #%d %v; want #7", created, next.Number, err)
	}
}
