package local

import (
	"context"
	"strings"
	"testing"

	"github.com/slipway/slipway"
)

// TestReleasePullRequestEditsAndReopens: a release pull request's title,
// body and labels change while it is open, its labels after it merged,
// and its branch carries a new pull request once the first merged.
func TestReleasePullRequestEditsAndReopens(t *testing.T) {
	f, _ := setup(t)
	ctx := context.Background()
	pr, err := f.Open(ctx, &slipway.PullRequest{Branch: "one", Base: "main", Title: "chore(main): release 1.1.0", Labels: []string{"autorelease: pending"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.EditPullRequest(ctx, pr.Number, "chore(main): release 1.2.0", "body 2"); err != nil {
		t.Fatal(err)
	}
	got, _ := f.Get(ctx, pr.Number)
	if got.Title != "chore(main): release 1.2.0" || got.Body != "body 2" {
		t.Fatalf("after the edit: %q %q", got.Title, got.Body)
	}
	merged, err := f.Merge(ctx, pr.Number, got.HeadSHA, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.EditPullRequest(ctx, pr.Number, "x", "y"); slipway.ErrorCode(err) != slipway.ECONFLICT {
		t.Fatalf("editing a merged pull request: %v, want ECONFLICT", err)
	}
	if err := f.Relabel(ctx, pr.Number, []string{"autorelease: tagged"}, []string{"Autorelease: Pending"}); err != nil {
		t.Fatal(err)
	}
	got, _ = f.Get(ctx, pr.Number)
	if strings.Join(got.Labels, ",") != "autorelease: tagged" || got.State != slipway.PRMerged || got.MergeSHA != merged.MergeSHA {
		t.Fatalf("after relabeling the merged pull request: %+v", got)
	}
	f.Repo.Run(ctx, "push", "-q", "origin", "refs/remotes/origin/two:refs/heads/one")
	again, err := f.Open(ctx, &slipway.PullRequest{Branch: "one", Base: "main", Title: "chore(main): release 1.3.0"})
	if err != nil || again.Number == pr.Number {
		t.Fatalf("a new release pull request on the branch: %+v %v", again, err)
	}
	if found, _ := f.Find(ctx, "one"); found.Number != again.Number {
		t.Fatalf("Find returns #%d, want the newest #%d", found.Number, again.Number)
	}
}
