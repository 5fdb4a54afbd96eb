// Package local is the built-in forge: pull requests are rows in Slipway's
// store, over a real git remote; merging is a real merge commit pushed to the
// base branch, as a hosted forge would make it. It works on the object
// database only (no work tree), so many actors can use one clone at once.
package local

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/git"
)

// Forge is the local forge over a clone of the GitOps remote.
type Forge struct {
	Store slipway.PullRequestStore
	Repo  *git.Repo // Slipway's clone of the remote
	Now   func() time.Time
}

var _ slipway.Forge = (*Forge)(nil)

// merging is the state of a pull request whose merge commit is being pushed:
// a close cannot slip in between, and a retried merge knows to finish it.
const merging = "merging"

// Name is the registered name.
func (f *Forge) Name() string { return "local" }

// Open records a pull request for an already pushed branch (idempotent by branch).
func (f *Forge) Open(ctx context.Context, pr *slipway.PullRequest) (*slipway.PullRequest, error) {
	if err := f.Repo.FetchShared(ctx); err != nil {
		return nil, err
	}
	head, err := f.Repo.RemoteBranch(ctx, pr.Branch)
	if err != nil {
		return nil, err
	}
	if head == "" {
		return nil, slipway.Errorf(slipway.EINVALID, "branch %s is not on the GitOps remote: push it before opening a pull request", pr.Branch)
	}
	if pr.HeadSHA != "" && head != pr.HeadSHA {
		return nil, slipway.Errorf(slipway.ECONFLICT, "branch %s is at %.12s, not at the head %.12s the pull request is for: someone pushed to it", pr.Branch, head, pr.HeadSHA)
	}
	p := *pr
	p.HeadSHA, p.Created = head, f.Now()
	if _, err := f.Store.OpenPR(ctx, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Find returns the newest pull request of a branch.
func (f *Forge) Find(ctx context.Context, branch string) (*slipway.PullRequest, error) {
	return f.Store.PRByBranch(ctx, branch)
}

// Get returns a pull request (a merge being pushed reads as open). The head
// of an open one is its branch's tip as the clone last saw it, as a hosted
// forge reports it: a push to the branch shows.
func (f *Forge) Get(ctx context.Context, number int) (*slipway.PullRequest, error) {
	pr, err := f.Store.PR(ctx, number)
	if err != nil {
		return nil, err
	}
	if pr.State == merging {
		pr.State = slipway.PROpen
	} else if pr.State == slipway.PROpen {
		if tip, err := f.Repo.RemoteBranch(ctx, pr.Branch); err == nil && tip != "" && tip != pr.HeadSHA {
			pr.HeadSHA, pr.Updated = tip, f.Now()
			f.Store.UpdatePR(ctx, pr)
		}
	}
	return pr, nil
}

// List lists pull requests.
func (f *Forge) List(ctx context.Context, state string) ([]*slipway.PullRequest, error) {
	return f.Store.PRs(ctx, state)
}

// UpdateBody replaces the description of an open pull request.
func (f *Forge) UpdateBody(ctx context.Context, number int, body string) error {
	pr, err := f.Store.PR(ctx, number)
	if err != nil {
		return err
	}
	if pr.Body == body {
		return nil
	}
	pr.Body, pr.Updated = body, f.Now()
	return f.Store.UpdatePR(ctx, pr)
}

// Reviews: the local forge has none; approvals are Slipway's own.
func (f *Forge) Reviews(ctx context.Context, number int) ([]slipway.Review, error) { return nil, nil }

// Merge merges the pull request's head into its base with a merge commit
// and pushes the base (fast-forward only, retried when the base moved).
// Only head merges: a branch that moved since is refused.
func (f *Forge) Merge(ctx context.Context, number int, head, user string) (*slipway.PullRequest, error) {
	pr, err := f.Store.PR(ctx, number)
	if err != nil {
		return nil, err
	}
	switch pr.State {
	case slipway.PRMerged:
		return pr, nil
	case slipway.PRClosed:
		return nil, slipway.Errorf(slipway.ECONFLICT, "pull request #%d was closed by %s: it cannot be merged; promote again", number, orSomeone(pr.ClosedBy))
	}
	if err := f.Repo.FetchShared(ctx); err != nil {
		return nil, err
	}
	if head == "" {
		head = pr.HeadSHA
	}
	if pr.State == slipway.PROpen {
		tip, err := f.Repo.RemoteBranch(ctx, pr.Branch)
		if err != nil {
			return nil, err
		}
		switch {
		case tip == "":
			return nil, slipway.Errorf(slipway.ECONFLICT, "pull request #%d: branch %s was deleted from the GitOps remote; close it and promote again", number, pr.Branch)
		case tip != head:
			return nil, slipway.Errorf(slipway.ECONFLICT, "pull request #%d: branch %s is at %.12s, not at the head %.12s that was checked: someone pushed to it; nothing was merged", number, pr.Branch, tip, head)
		}
		pr.State, pr.HeadSHA, pr.Updated = merging, head, f.Now()
		if err := f.Store.SetPRState(ctx, pr, slipway.PROpen); err != nil {
			return nil, err
		}
	}
	mergeSHA, err := f.mergeAndPush(ctx, pr, user)
	if err != nil {
		if errors.Is(err, git.ErrConflict) {
			pr.State, pr.Conflict, pr.Updated = slipway.PROpen, true, f.Now()
			if serr := f.Store.SetPRState(ctx, pr, merging); serr != nil {
				return nil, serr
			}
			return nil, slipway.Errorf(slipway.ECONFLICT, "pull request #%d does not merge cleanly into %s (%v): rebuild its branch on the current %s", number, pr.Base, err, pr.Base)
		}
		return nil, err // the row stays "merging": a retry finishes the merge
	}
	pr.State, pr.MergeSHA, pr.MergedBy, pr.Conflict, pr.Updated = slipway.PRMerged, mergeSHA, user, false, f.Now()
	if err := f.Store.SetPRState(ctx, pr, merging); err != nil {
		return nil, err
	}
	f.Repo.PushCAS(ctx, "", pr.Branch, pr.HeadSHA) // merged branches are deleted, as forges offer
	return pr, nil
}

// mergeAndPush makes the merge commit on the base's tip and pushes it; a
// merge already on the base (pushed before a crash) is found by its parents.
func (f *Forge) mergeAndPush(ctx context.Context, pr *slipway.PullRequest, user string) (string, error) {
	id := git.Identity{Name: user, Email: user}
	if parsed, err := git.ParseIdentity(user); err == nil {
		id = parsed
	}
	msg := git.CommitMessage(fmt.Sprintf("Merge pull request #%d from %s", pr.Number, pr.Branch), []string{pr.Title}, nil)
	for attempt := 1; ; attempt++ {
		base, err := f.Repo.RemoteBranch(ctx, pr.Base)
		if err != nil {
			return "", err
		}
		if m, err := f.findMerge(ctx, base, pr.HeadSHA); err != nil || m != "" {
			return m, err
		}
		tree, err := f.Repo.MergeTree(ctx, base, pr.HeadSHA)
		if err != nil {
			return "", err
		}
		m, err := f.Repo.CommitTree(ctx, tree, []string{base, pr.HeadSHA}, id, f.Now(), msg)
		if err != nil {
			return "", err
		}
		err = f.Repo.PushCommit(ctx, m, pr.Base)
		if errors.Is(err, git.ErrRejected) && attempt < 8 {
			if err := f.Repo.FetchShared(ctx); err != nil {
				return "", err
			}
			continue
		}
		return m, err
	}
}

// findMerge returns the merge commit on base's first-parent line whose
// second parent is head: the commit graph proves it, no message text.
func (f *Forge) findMerge(ctx context.Context, base, head string) (string, error) {
	out, err := f.Repo.Run(ctx, "rev-list", "--first-parent", "--merges", "--parents", "-n", "200", base, "--")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(out, "\n") {
		if p := strings.Fields(line); len(p) >= 3 && p[2] == head {
			return p[0], nil
		}
	}
	return "", nil
}

// Close closes an open pull request with a comment and deletes its branch.
func (f *Forge) Close(ctx context.Context, number int, comment string) error {
	pr, err := f.Store.PR(ctx, number)
	if err != nil {
		return err
	}
	if pr.State != slipway.PROpen {
		return nil
	}
	pr.State, pr.ClosedBy, pr.Updated = slipway.PRClosed, "slipway", f.Now()
	if comment != "" {
		pr.Body += "\n\n---\nClosed: " + comment + "\n"
	}
	if err := f.Store.SetPRState(ctx, pr, slipway.PROpen); err != nil {
		return err
	}
	f.Repo.PushCAS(ctx, "", pr.Branch, pr.HeadSHA)
	return nil
}

// CloseBy closes a pull request as a person (`slipway pr close`).
func (f *Forge) CloseBy(ctx context.Context, number int, user, comment string) error {
	pr, err := f.Store.PR(ctx, number)
	if err != nil {
		return err
	}
	if pr.State != slipway.PROpen {
		return slipway.Errorf(slipway.ECONFLICT, "pull request #%d is %s", number, pr.State)
	}
	pr.State, pr.ClosedBy, pr.Updated = slipway.PRClosed, user, f.Now()
	if comment != "" {
		pr.Body += "\n\n---\nClosed by " + user + ": " + comment + "\n"
	}
	return f.Store.SetPRState(ctx, pr, slipway.PROpen)
}

func orSomeone(s string) string {
	if s == "" {
		return "someone"
	}
	return s
}
