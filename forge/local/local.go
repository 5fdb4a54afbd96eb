// Package local is the built-in forge: pull requests are rows in Slipway's
// store, over a real git remote; merging is a real `git merge --no-ff` pushed
// to the base branch, as a hosted forge would do it.
package local

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/git"
)

// Store is the part of the store the local forge needs.
type Store interface {
	OpenPR(ctx context.Context, p *slipway.PullRequest) (bool, error)
	PR(ctx context.Context, number int) (*slipway.PullRequest, error)
	PRs(ctx context.Context, state string) ([]*slipway.PullRequest, error)
	SetPRState(ctx context.Context, p *slipway.PullRequest) error
}

// Forge is the local forge over a working clone of the GitOps remote.
type Forge struct {
	Store Store
	Repo  *git.Repo // Slipway's private working clone of the remote
	Now   func() time.Time
}

var _ slipway.Forge = (*Forge)(nil)

// prTrailer marks a merge commit with its pull request, so a merge retried
// after a crash finds the merge it already pushed.
const prTrailer = "Slipway-Pull-Request"

// Open records a pull request for an already pushed branch (idempotent by branch).
func (f *Forge) Open(ctx context.Context, pr *slipway.PullRequest) (*slipway.PullRequest, error) {
	if err := f.Repo.Fetch(ctx); err != nil {
		return nil, err
	}
	head, err := f.Repo.RemoteBranch(ctx, pr.Branch)
	if err != nil {
		return nil, err
	}
	if head == "" {
		return nil, slipway.Errorf(slipway.EINVALID, "branch %s is not on the GitOps remote: push it before opening a pull request", pr.Branch)
	}
	p := *pr
	p.HeadSHA, p.Created = head, f.Now()
	if _, err := f.Store.OpenPR(ctx, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Get returns a pull request.
func (f *Forge) Get(ctx context.Context, number int) (*slipway.PullRequest, error) {
	return f.Store.PR(ctx, number)
}

// List lists pull requests.
func (f *Forge) List(ctx context.Context, state string) ([]*slipway.PullRequest, error) {
	return f.Store.PRs(ctx, state)
}

// Merge merges the pull request's branch into its base with a merge commit
// and pushes the base. Merging a merged pull request returns it unchanged.
func (f *Forge) Merge(ctx context.Context, number int, user string) (*slipway.PullRequest, error) {
	pr, err := f.Store.PR(ctx, number)
	if err != nil {
		return nil, err
	}
	switch pr.State {
	case "merged":
		return pr, nil
	case "closed":
		return nil, slipway.Errorf(slipway.ECONFLICT, "pull request #%d is closed; open a new promotion instead", number)
	}
	if err := f.Repo.Fetch(ctx); err != nil {
		return nil, err
	}
	base := "origin/" + pr.Base
	mergeSHA, err := f.Repo.FindTrailer(ctx, base, prTrailer, strconv.Itoa(number))
	if err != nil {
		return nil, err
	}
	if mergeSHA == "" {
		head, err := f.Repo.RemoteBranch(ctx, pr.Branch)
		if err != nil {
			return nil, err
		}
		if head == "" {
			return nil, slipway.Errorf(slipway.ECONFLICT, "pull request #%d: branch %s is gone from the GitOps remote; close it and promote again", number, pr.Branch)
		}
		if err := f.Repo.StartFrom(ctx, base); err != nil {
			return nil, err
		}
		id := git.Identity{Name: user, Email: user}
		if parsed, err := git.ParseIdentity(user); err == nil {
			id = parsed
		}
		msg := fmt.Sprintf("Merge pull request #%d from %s\n\n%s\n\n%s: %d\n", number, pr.Branch, pr.Title, prTrailer, number)
		mergeSHA, err = f.Repo.MergeNoFF(ctx, id, "origin/"+pr.Branch, msg)
		if err != nil {
			return nil, slipway.Errorf(slipway.ECONFLICT, "pull request #%d does not merge cleanly into %s: %v; promote again from the current %s", number, pr.Base, err, pr.Base)
		}
		if err := f.Repo.Push(ctx, pr.Base); err != nil {
			return nil, fmt.Errorf("merge pull request #%d: %w", number, err)
		}
		pr.HeadSHA = head
	}
	pr.State, pr.MergeSHA, pr.MergedBy, pr.Updated = "merged", mergeSHA, user, f.Now()
	if err := f.Store.SetPRState(ctx, pr); err != nil {
		return nil, err
	}
	return pr, nil
}
