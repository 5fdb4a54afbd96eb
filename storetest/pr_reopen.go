package storetest

import (
	"strings"
	"testing"

	"github.com/slipway/slipway"
)

// testPRBranchReopens: a branch carries one open pull request at a time
// and a new one once the previous merged — a release pull request reopens
// on slipway/release/<component> after every release — while a branch
// whose pull request is being merged refuses a second. Title and labels
// are stored with the body, in every state (a merged release pull request
// is relabeled "autorelease: tagged").
func testPRBranchReopens(t *testing.T, st slipway.Store) {
	branch := "slipway/release/api"
	first := &slipway.PullRequest{Branch: branch, Base: "main", Title: "chore(main): release api 1.1.0", Labels: []string{"autorelease: pending"}, HeadSHA: strings.Repeat("1", 40), Created: T0}
	if _, err := st.PullRequests.OpenPR(ctx, first); err != nil {
		t.Fatal(err)
	}
	first.Title, first.Labels = "chore(main): release api 1.2.0", []string{"autorelease: pending", "extra"}
	if err := st.PullRequests.UpdatePR(ctx, first); err != nil {
		t.Fatal(err)
	}
	first.State = "merging"
	if err := st.PullRequests.SetPRState(ctx, first, slipway.PROpen); err != nil {
		t.Fatal(err)
	}
	code(t, func() error {
		_, err := st.PullRequests.OpenPR(ctx, &slipway.PullRequest{Branch: branch, Base: "main", Title: "x", Created: T0})
		return err
	}(), slipway.ECONFLICT)
	first.State, first.MergeSHA, first.Labels = slipway.PRMerged, strings.Repeat("3", 40), []string{"autorelease: tagged"}
	if err := st.PullRequests.SetPRState(ctx, first, "merging"); err != nil {
		t.Fatal(err)
	}
	got, err := st.PullRequests.PR(ctx, first.Number)
	if err != nil || got.Title != "chore(main): release api 1.2.0" || strings.Join(got.Labels, ",") != "autorelease: tagged" {
		t.Fatalf("merged: %+v %v; want the new title and the tagged label", got, err)
	}
	second := &slipway.PullRequest{Branch: branch, Base: "main", Title: "chore(main): release api 1.3.0", HeadSHA: strings.Repeat("4", 40), Created: T0}
	created, err := st.PullRequests.OpenPR(ctx, second)
	if err != nil || !created || second.Number == first.Number {
		t.Fatalf("a new pull request on the merged branch: created %v, #%d, %v", created, second.Number, err)
	}
	newest, err := st.PullRequests.PRByBranch(ctx, branch)
	if err != nil || newest.Number != second.Number {
		t.Fatalf("PRByBranch = %+v, %v; want the newest, #%d", newest, err, second.Number)
	}
	again := &slipway.PullRequest{Branch: branch, Base: "main", Title: "other", Created: T0}
	if created, err := st.PullRequests.OpenPR(ctx, again); err != nil || created || again.Number != second.Number {
		t.Fatalf("opening the branch again must return the open one: %+v %v", again, err)
	}
}
