package local

import (
	"context"
	"strings"

	"github.com/slipway/slipway"
)

// The local forge has no release pages: a release is its annotated tag
// (the notes, the digest and the build are in its message) and its row in
// the store (`slipway releases`). It edits pull requests like the hosted
// forges do, for the standing release pull request of the app repository.
var _ slipway.PullRequestEditor = (*Forge)(nil)

// EditPullRequest replaces the title and description of an open pull
// request.
func (f *Forge) EditPullRequest(ctx context.Context, number int, title, body string) error {
	pr, err := f.Store.PR(ctx, number)
	if err != nil {
		return err
	}
	if pr.State != slipway.PROpen {
		return slipway.Errorf(slipway.ECONFLICT, "pull request #%d is %s: it cannot be edited", number, pr.State)
	}
	if pr.Title == title && pr.Body == body {
		return nil
	}
	pr.Title, pr.Body, pr.Updated = title, body, f.Now()
	return f.Store.UpdatePR(ctx, pr)
}

// Relabel adds and removes labels, in any state (a merged release pull
// request is relabeled once tagged).
func (f *Forge) Relabel(ctx context.Context, number int, add, remove []string) error {
	pr, err := f.Store.PR(ctx, number)
	if err != nil {
		return err
	}
	labels, changed := relabeled(pr.Labels, add, remove)
	if !changed {
		return nil
	}
	pr.Labels, pr.Updated = labels, f.Now()
	if pr.State == slipway.PROpen {
		return f.Store.UpdatePR(ctx, pr)
	}
	return f.Store.SetPRState(ctx, pr, pr.State)
}

// relabeled is have with add appended (when missing) and remove taken out,
// compared case-insensitively as the hosted forges do.
func relabeled(have, add, remove []string) ([]string, bool) {
	has := func(list []string, s string) bool {
		for _, x := range list {
			if strings.EqualFold(x, s) {
				return true
			}
		}
		return false
	}
	var out []string
	changed := false
	for _, l := range have {
		if has(remove, l) {
			changed = true
			continue
		}
		out = append(out, l)
	}
	for _, l := range add {
		if !has(out, l) {
			out, changed = append(out, l), true
		}
	}
	return out, changed
}
