package git

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"
)

// The functions in this file publish a release to an application
// repository's remote: its annotated tag and its changelog commit, pushed
// together, never with force. A changelog commit whose branch moved
// meanwhile is re-applied on the new tip (a three-way merge of each file
// it changes, as cherry-pick does) and pushed again.

// RemoteTag asks remote where tag points (the commit, peeled): "" when the
// remote has no such tag.
func (r *Repo) RemoteTag(ctx context.Context, remote, tag string) (string, error) {
	if err := CheckArg("remote", remote); err != nil {
		return "", err
	}
	if err := CheckArg("tag", tag); err != nil {
		return "", err
	}
	ref := "refs/tags/" + tag
	out, err := r.Run(ctx, "ls-remote", "--tags", "--", remote, ref, ref+"^{}")
	if err != nil {
		return "", fmt.Errorf("ask remote %s about tag %s: %w", remote, tag, err)
	}
	direct, peeled := "", ""
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) != 2:
		case f[1] == ref:
			direct = f[0]
		case f[1] == ref+"^{}":
			peeled = f[0]
		}
	}
	if peeled != "" {
		return peeled, nil
	}
	return direct, nil
}

// PushAtomic pushes refspecs to remote in one atomic push (all or none),
// without force: a ref the remote has elsewhere refuses the whole push
// (ErrRejected).
func (r *Repo) PushAtomic(ctx context.Context, remote string, refspecs ...string) error {
	if err := CheckArg("remote", remote); err != nil {
		return err
	}
	for _, s := range refspecs {
		if err := CheckArg("refspec", s); err != nil || strings.HasPrefix(s, "+") {
			return fmt.Errorf("refspec %q: Slipway never force-pushes a release", s)
		}
	}
	_, err := r.Run(ctx, append([]string{"push", "--atomic", "--quiet", "--porcelain", "--", remote}, refspecs...)...)
	var ge *Error
	if errors.As(err, &ge) && (strings.Contains(ge.Stderr, "rejected") || strings.Contains(ge.Stderr, "failed to push") || strings.Contains(ge.Stderr, "atomic")) {
		return fmt.Errorf("%w: %s refused %s: %v", ErrRejected, remote, strings.Join(refspecs, " "), err)
	}
	return err
}

// Publish is a changelog commit (a single-parent commit) to push to
// Branch of Remote, with Extra refspecs (the release tag) in the same
// atomic push.
type Publish struct {
	Remote, Branch string
	Commit         string
	Extra          []string
	// Attempts bounds the re-applications when the branch keeps moving
	// (default 5).
	Attempts int
	// Rebased is told of each re-applied commit before it is pushed, so a
	// crash after the push still finds it (the caller records it).
	Rebased func(old, new string) error
}

// PublishCommit pushes p.Commit to p.Branch of p.Remote with p.Extra,
// atomically and fast-forward only. When the branch moved, the commit is
// re-applied on the new tip and pushed again, at most p.Attempts times;
// nothing is ever overwritten. A commit already in the branch's history
// (pushed before a crash) is not pushed again; the extras still are. It
// returns the commit that landed.
func (r *Repo) PublishCommit(ctx context.Context, p Publish) (string, error) {
	if p.Attempts <= 0 {
		p.Attempts = 5
	}
	tracking := "refs/remotes/" + p.Remote + "/" + p.Branch
	commit := p.Commit
	for attempt := 1; ; attempt++ {
		if err := r.FetchBranch(ctx, p.Remote, p.Branch); err != nil {
			return "", err
		}
		tip, err := r.RefSHA(ctx, tracking)
		if err != nil {
			return "", err
		}
		if tip == "" {
			return "", fmt.Errorf("branch %s is not on remote %s: push it first", p.Branch, p.Remote)
		}
		landed, err := r.IsAncestor(ctx, commit, tip)
		if err != nil {
			return "", err
		}
		if landed {
			if len(p.Extra) > 0 {
				if err := r.PushAtomic(ctx, p.Remote, p.Extra...); err != nil {
					return "", err
				}
			}
			return commit, nil
		}
		parents, err := r.Parents(ctx, commit)
		if err != nil {
			return "", err
		}
		if len(parents) != 1 {
			return "", fmt.Errorf("commit %.12s has %d parents: only a single-parent commit is re-applied", commit, len(parents))
		}
		behind, err := r.IsAncestor(ctx, tip, parents[0]) // a fast-forward as it is
		if err != nil {
			return "", err
		}
		if !behind {
			// Re-applied only on a branch that kept what the commit was
			// built on: a branch rewritten (forced), or one that went
			// another way than the released commit, is not published over.
			if kept, err := r.IsAncestor(ctx, parents[0], tip); err != nil {
				return "", err
			} else if !kept {
				return "", fmt.Errorf("%s of %s is at %.12s, which does not hold %.12s the release commit was built on (the branch was rewritten, or the released commit was never pushed): push it, then release again: %w", p.Branch, p.Remote, tip, parents[0], ErrRejected)
			}
			moved := commit
			if commit, err = r.ReapplyCommit(ctx, commit, tip); err != nil {
				return "", fmt.Errorf("%s moved to %.12s: re-apply %.12s on it: %w", p.Branch, tip, moved, err)
			}
			if p.Rebased != nil {
				if err := p.Rebased(moved, commit); err != nil {
					return "", err
				}
			}
		}
		err = r.PushAtomic(ctx, p.Remote, append([]string{commit + ":refs/heads/" + p.Branch}, p.Extra...)...)
		if err == nil {
			r.Run(ctx, "update-ref", tracking, commit)
			return commit, nil
		}
		if !errors.Is(err, ErrRejected) {
			return "", err
		}
		now, lerr := r.RemoteBranchSHA(ctx, p.Remote, p.Branch)
		if lerr != nil {
			return "", lerr
		}
		if now == tip {
			// The branch did not move: something else refused the push
			// (a protected branch, a tag elsewhere). Retrying cannot help.
			return "", err
		}
		if attempt >= p.Attempts {
			return "", fmt.Errorf("%s of %s moved %d times while Slipway pushed: %w; run the release again", p.Branch, p.Remote, attempt, err)
		}
	}
}

// ReapplyCommit makes commit's change again on onto: each file the commit
// changes is merged three ways (its parent's content as the base, the
// commit's as theirs, onto's as ours), as cherry-pick does, and committed
// with the commit's message, author and date. A conflict is ErrConflict.
func (r *Repo) ReapplyCommit(ctx context.Context, commit, onto string) (string, error) {
	parents, err := r.Parents(ctx, commit)
	if err != nil {
		return "", err
	}
	if len(parents) != 1 {
		return "", fmt.Errorf("commit %.12s has %d parents: only a single-parent commit is re-applied", commit, len(parents))
	}
	paths, err := r.ChangedFiles(ctx, parents[0], commit)
	if err != nil {
		return "", err
	}
	const limit = 64 << 20
	read := func(rev string) (map[string][]byte, error) { return r.ReadFiles(ctx, rev, paths, limit) }
	base, err := read(parents[0])
	if err != nil {
		return "", err
	}
	theirs, err := read(commit)
	if err != nil {
		return "", err
	}
	ours, err := read(onto)
	if err != nil {
		return "", err
	}
	files := map[string][]byte{}
	for _, p := range paths {
		t, ok := theirs[p]
		if !ok {
			return "", fmt.Errorf("commit %.12s deletes %s: only changes and additions are re-applied: %w", commit, p, fs.ErrInvalid)
		}
		merged, err := MergeFile(ctx, ours[p], base[p], t)
		if err != nil {
			return "", fmt.Errorf("%s: %w", p, err)
		}
		files[p] = merged
	}
	meta, err := r.Run(ctx, "log", "-1", "--format=%an%x00%ae%x00%at", commit)
	if err != nil {
		return "", err
	}
	f := strings.Split(meta, "\x00")
	if len(f) != 3 {
		return "", fmt.Errorf("read commit %.12s: %q", commit, meta)
	}
	var secs int64
	fmt.Sscan(f[2], &secs)
	msg, err := r.RunBytes(ctx, nil, "log", "-1", "--format=%B", commit)
	if err != nil {
		return "", err
	}
	at := r.AfterParent(ctx, onto, time.Unix(secs, 0))
	return r.CommitFiles(ctx, onto, files, Identity{Name: f[0], Email: f[1]}, at, strings.TrimRight(string(msg), "\n")+"\n")
}

// FastForwardBranch moves the local branch to sha when it is behind it:
// the ref alone when another branch is checked out, the work tree too
// (git merge --ff-only) when it is checked out and clean. It reports
// whether the branch moved; a branch that diverged, or a dirty checkout,
// is left alone.
func (r *Repo) FastForwardBranch(ctx context.Context, branch, sha string) (bool, error) {
	if err := CheckBranch(branch); err != nil {
		return false, err
	}
	old, err := r.RefSHA(ctx, "refs/heads/"+branch)
	if err != nil || old == "" || old == sha {
		return false, err
	}
	if ok, err := r.IsAncestor(ctx, old, sha); err != nil || !ok {
		return false, err
	}
	cur, err := r.CurrentBranch(ctx)
	if err != nil {
		return false, err
	}
	if cur != branch {
		return true, r.UpdateRef(ctx, "refs/heads/"+branch, sha, old, "slipway: fast-forward to the published release")
	}
	if status, err := r.Run(ctx, "status", "--porcelain", "--untracked-files=no"); err != nil || status != "" {
		return false, err
	}
	if _, err := r.Run(ctx, "merge", "--quiet", "--ff-only", sha); err != nil {
		return false, err
	}
	return true, nil
}

// PushLease points branch of remote at sha only if it is still at old (""
// for a branch that must not exist yet): a compare-and-swap for Slipway's
// own branches (release pull requests), which it rebuilds; a branch
// someone moved meanwhile refuses it (ErrRejected).
func (r *Repo) PushLease(ctx context.Context, remote, sha, branch, old string) error {
	return r.pushRemote(ctx, remote, sha, branch, "--force-with-lease=refs/heads/"+branch+":"+old)
}

// pushRemote pushes sha to branch of remote with opts (a lease at most,
// never a plain force): a refusal is ErrRejected; after a push the
// remote-tracking ref follows.
func (r *Repo) pushRemote(ctx context.Context, remote, sha, branch string, opts ...string) error {
	if err := CheckArg("remote", remote); err != nil {
		return err
	}
	if err := CheckBranch(branch); err != nil {
		return err
	}
	if err := CheckArg("commit", sha); err != nil {
		return err
	}
	args := append(append([]string{"push", "--quiet", "--porcelain"}, opts...), "--", remote, sha+":refs/heads/"+branch)
	_, err := r.Run(ctx, args...)
	var ge *Error
	if errors.As(err, &ge) && (strings.Contains(ge.Stderr, "rejected") || strings.Contains(ge.Stderr, "non-fast-forward") ||
		strings.Contains(ge.Stderr, "fetch first") || strings.Contains(ge.Stderr, "stale info") || strings.Contains(ge.Stderr, "failed to push")) {
		return fmt.Errorf("%w: %s refused %s: %v", ErrRejected, remote, branch, err)
	}
	if err == nil {
		r.Run(ctx, "update-ref", "refs/remotes/"+remote+"/"+branch, sha)
	}
	return err
}

// AfterParent returns at, or a second after parent's commit time when at
// is not later: a commit Slipway makes is never dated at or before its
// parent, so history walks in date order meet every child before its
// parent (git log's default order shows a parent first when their dates
// tie, which Log's completeness proof does not expect).
func (r *Repo) AfterParent(ctx context.Context, parent string, at time.Time) time.Time {
	out, err := r.Run(ctx, "log", "-1", "--format=%ct", parent, "--")
	if err != nil {
		return at
	}
	var secs int64
	if _, err := fmt.Sscan(out, &secs); err != nil {
		return at
	}
	if p := time.Unix(secs, 0); !at.Truncate(time.Second).After(p) { // commit dates have whole seconds
		return p.Add(time.Second)
	}
	return at
}
