package forge

import (
	"context"
	"fmt"

	"github.com/slipway/slipway"
)

// The checks and messages every adapter shares, so a force-push reads the
// same on GitHub, GitLab and Gitea. Each message says what happened and
// what to do; each is ECONFLICT: the request contradicts the forge's state.

// Ref names a pull request the way its forge does: "pull request #3",
// GitLab's "merge request !3".
func Ref(forgeName string, n int) string {
	if forgeName == GitLab {
		return fmt.Sprintf("merge request !%d", n)
	}
	return fmt.Sprintf("pull request #%d", n)
}

// CheckOpen validates an Open request against the branch's tip on the
// forge ("" when the branch is not there).
func CheckOpen(forgeName, repo string, in *slipway.PullRequest, tip string) error {
	switch {
	case in.Branch == "" || in.Base == "" || in.Title == "":
		return slipway.Errorf(slipway.EINVALID, "%s: a %s needs a branch, a base and a title", forgeName, noun(forgeName))
	case tip == "":
		return slipway.Errorf(slipway.EINVALID, "%s: branch %s is not in %s: push it before opening a %s", forgeName, in.Branch, repo, noun(forgeName))
	case in.HeadSHA != "" && tip != in.HeadSHA:
		return slipway.Errorf(slipway.ECONFLICT, "%s: branch %s of %s is at %s, not at %s that Slipway pushed and checked: someone pushed to it; promote again", forgeName, in.Branch, repo, Short(tip), Short(in.HeadSHA))
	}
	return nil
}

// Mergeable says why pr cannot be merged at head, given its branch's tip
// on the forge ("" when the branch was deleted), or nil.
func Mergeable(forgeName, repo string, pr *slipway.PullRequest, head, tip string) error {
	switch {
	case pr.State == slipway.PRClosed:
		why := ""
		if tip == "" {
			// GitHub and Gitea close a pull request whose branch is deleted.
			why = fmt.Sprintf(" and its branch %s was deleted from %s", pr.Branch, repo)
		}
		return ErrClosed(forgeName, pr, why)
	case tip == "":
		return slipway.Errorf(slipway.ECONFLICT, "%s: its branch %s was deleted from %s: promote again to push it anew", Ref(forgeName, pr.Number), pr.Branch, repo)
	case pr.HeadSHA != head || tip != head:
		moved := *pr
		if moved.HeadSHA == head {
			moved.HeadSHA = tip // the forge has not processed the push yet
		}
		return ErrMoved(forgeName, &moved, head)
	case pr.Conflict:
		return ErrConflict(forgeName, pr)
	}
	return nil
}

// ErrMoved: the branch's head is not the one Slipway checked.
func ErrMoved(forgeName string, pr *slipway.PullRequest, head string) error {
	return slipway.Errorf(slipway.ECONFLICT, "%s: branch %s moved to %s, but Slipway checked %s (someone pushed to it): Slipway merges only the head it checked; promote again to check the new head", Ref(forgeName, pr.Number), pr.Branch, Short(pr.HeadSHA), Short(head))
}

// ErrConflict: the head does not merge cleanly into the base.
func ErrConflict(forgeName string, pr *slipway.PullRequest) error {
	return slipway.Errorf(slipway.ECONFLICT, "%s does not merge cleanly into %s (merge conflict): %s changed since the pin was written; promote again from the current %s", Ref(forgeName, pr.Number), pr.Base, pr.Base, pr.Base)
}

// ErrClosed: closed without merging, by pr.ClosedBy; why adds a cause.
func ErrClosed(forgeName string, pr *slipway.PullRequest, why string) error {
	by := pr.ClosedBy
	if by == "" {
		by = "someone"
	}
	return slipway.Errorf(slipway.ECONFLICT, "%s was closed by %s without merging%s: Slipway does not reopen it; promote again to open a new one", Ref(forgeName, pr.Number), by, why)
}

// ErrRefused: the forge would not merge for a reason of its own (branch
// protection, required checks, draft), in its words.
func ErrRefused(forgeName string, pr *slipway.PullRequest, reason string) error {
	return slipway.Errorf(slipway.ECONFLICT, "%s refused to merge %s into %s: %s; resolve that on %s or merge it by hand", forgeName, Ref(forgeName, pr.Number), pr.Base, reason, forgeName)
}

// Short abbreviates a commit SHA for messages.
func Short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func noun(forgeName string) string {
	if forgeName == GitLab {
		return "merge request"
	}
	return "pull request"
}

// Closing is how an adapter closes a superseded pull request, in the steps
// its forge's API offers; Run makes them one idempotent Close.
type Closing struct {
	Get     func(ctx context.Context, number int) (*slipway.PullRequest, error)
	Comment func(ctx context.Context, number int, body string) error // adds body unless it is there already
	Close   func(ctx context.Context, number int) error
	Head    func(ctx context.Context, branch string) (string, error) // "" when the branch is gone
	Delete  func(ctx context.Context, branch string) error           // a branch already gone is no error
}

// Run comments (once, even when retried after a crash), closes an open
// pull request and deletes its branch if the branch still points at the
// pull request's head — never someone's later commits. A closed pull
// request only loses its branch; a merged one is left alone.
func (c Closing) Run(ctx context.Context, number int, comment string) error {
	pr, err := c.Get(ctx, number)
	if err != nil {
		return err
	}
	switch pr.State {
	case slipway.PRMerged:
		return nil
	case slipway.PROpen:
		if comment != "" {
			if err := c.Comment(ctx, number, comment); err != nil {
				return err
			}
		}
		if err := c.Close(ctx, number); err != nil {
			return err
		}
	}
	if pr.Branch == pr.Base {
		return nil
	}
	tip, err := c.Head(ctx, pr.Branch)
	if err != nil || tip == "" || tip != pr.HeadSHA {
		return err
	}
	return c.Delete(ctx, pr.Branch)
}
