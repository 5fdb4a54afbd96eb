package git

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Identity is who a commit is attributed to: "Name <email>".
type Identity struct{ Name, Email string }

// ParseIdentity reads "Name <email>".
func ParseIdentity(s string) (Identity, error) {
	i := strings.LastIndex(s, "<")
	j := strings.LastIndex(s, ">")
	if i <= 0 || j < i {
		return Identity{}, fmt.Errorf("identity %q: write it as \"Name <email>\"", s)
	}
	return Identity{Name: strings.TrimSpace(s[:i]), Email: s[i+1 : j]}, nil
}

// Env is the identity as git's author and committer environment variables.
func (id Identity) Env() []string {
	return []string{
		"GIT_AUTHOR_NAME=" + id.Name, "GIT_AUTHOR_EMAIL=" + id.Email,
		"GIT_COMMITTER_NAME=" + id.Name, "GIT_COMMITTER_EMAIL=" + id.Email,
	}
}

// CloneOrOpen returns a working clone of remote in dir, cloning it the first
// time. The clone is private to Slipway: every operation starts from the
// remote's state, so local leftovers of a crash never leak into a push.
func CloneOrOpen(ctx context.Context, remote, dir string) (*Repo, error) {
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		return Open(dir), nil
	}
	// git runs in the clone's parent, not in this process's working
	// directory: in a process whose directory was removed under it (a
	// service started from a directory deleted since, a test's) the clone
	// would fail at its checkout ("getcwd() failed"). Paths are made
	// absolute first, so they mean what they meant here.
	parent, err := filepath.Abs(filepath.Dir(dir))
	if err != nil {
		return nil, err
	}
	src := remote
	if localPath(remote) {
		if src, err = filepath.Abs(remote); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	// Clone beside dir under a unique name and rename last: a crash
	// mid-clone never leaves a half clone at dir, and two processes cloning
	// at once both end with the one clone that won the rename.
	tmp, err := os.MkdirTemp(parent, filepath.Base(dir)+".tmp-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if _, err := Open(parent).Run(ctx, "clone", "--quiet", "--", src, tmp); err != nil {
		return nil, fmt.Errorf("clone GitOps remote %s: %w", remote, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, ".git")); serr == nil {
			return Open(dir), nil // another process cloned first
		}
		return nil, err
	}
	return Open(dir), nil
}

// localPath reports whether git reads remote as a path on this machine:
// not a URL ("scheme://…") and not scp-like ("host:path", a colon before
// any slash).
func localPath(remote string) bool {
	if strings.Contains(remote, "://") {
		return false
	}
	i := strings.IndexByte(remote, ':')
	return i < 0 || strings.Contains(remote[:i], "/")
}

// Fetch updates the remote-tracking refs, pruning deleted branches.
func (r *Repo) Fetch(ctx context.Context) error {
	_, err := r.Run(ctx, "fetch", "--quiet", "--prune", "origin")
	return err
}

// StartFrom discards local state and detaches HEAD at ref (e.g. origin/main).
func (r *Repo) StartFrom(ctx context.Context, ref string) error {
	if _, err := r.Run(ctx, "checkout", "--quiet", "--force", "--detach", ref); err != nil {
		return err
	}
	_, err := r.Run(ctx, "clean", "--quiet", "-fdx")
	return err
}

// RemoteBranch returns the SHA of origin/<branch> after a fetch, or "" if the
// branch does not exist on the remote. It asks the repository's reader
// process when it can (no new process).
func (r *Repo) RemoteBranch(ctx context.Context, branch string) (string, error) {
	if sha, err := r.remoteBranchFast(ctx, branch); err == nil {
		return sha, nil
	}
	out, err := r.Run(ctx, "rev-parse", "--verify", "--quiet", "refs/remotes/origin/"+branch)
	var ge *Error
	if errors.As(err, &ge) && out == "" {
		return "", nil
	}
	return out, err
}

// HeadSHA returns the commit HEAD points at.
func (r *Repo) HeadSHA(ctx context.Context) (string, error) {
	return r.Run(ctx, "rev-parse", "HEAD")
}

// CommitAll stages every change in the work tree and commits it as id.
// It returns "" without committing when nothing changed.
func (r *Repo) CommitAll(ctx context.Context, id Identity, message string) (string, error) {
	if _, err := r.Run(ctx, "add", "--all"); err != nil {
		return "", err
	}
	if out, err := r.Run(ctx, "status", "--porcelain"); err != nil || out == "" {
		return "", err
	}
	c := *r
	c.Env = append(append([]string(nil), r.Env...), id.Env()...)
	if _, err := c.RunBytes(ctx, []byte(message), "commit", "--quiet", "--no-verify", "-F", "-"); err != nil {
		return "", err
	}
	return r.HeadSHA(ctx)
}

// ErrRejected is returned when the remote refuses a push (it moved on, or the
// branch is protected): Slipway never force-pushes.
var ErrRejected = errors.New("push rejected")

// Push pushes HEAD to branch on origin without force.
func (r *Repo) Push(ctx context.Context, branch string) error {
	_, err := r.Run(ctx, "push", "--quiet", "--porcelain", "origin", "HEAD:refs/heads/"+branch)
	var ge *Error
	if errors.As(err, &ge) && (strings.Contains(ge.Stderr, "rejected") || strings.Contains(ge.Stderr, "non-fast-forward") || strings.Contains(ge.Stderr, "fetch first")) {
		return fmt.Errorf("%w: origin refused HEAD -> %s: %v", ErrRejected, branch, err)
	}
	return err
}

// Revert makes a commit on HEAD that undoes sha (the first-parent side of a
// merge commit), with the given message.
func (r *Repo) Revert(ctx context.Context, id Identity, sha, message string) (string, error) {
	args := []string{"revert", "--no-commit"}
	parents, err := r.Run(ctx, "rev-list", "--parents", "-n", "1", sha)
	if err != nil {
		return "", err
	}
	if len(strings.Fields(parents)) > 2 {
		args = append(args, "-m", "1") // a merged pull request: undo what it brought in
	}
	if _, err := r.Run(ctx, append(args, sha)...); err != nil {
		r.Run(ctx, "revert", "--abort")
		return "", fmt.Errorf("revert %s: %w", sha, err)
	}
	return r.CommitAll(ctx, id, message)
}

// MergeNoFF merges ref into HEAD with a merge commit (as a forge does).
// On a conflict the merge is aborted and an error returned.
func (r *Repo) MergeNoFF(ctx context.Context, id Identity, ref, message string) (string, error) {
	c := *r
	c.Env = append(append([]string(nil), r.Env...), id.Env()...)
	if _, err := c.Run(ctx, "merge", "--quiet", "--no-ff", "--no-edit", "-m", message, ref); err != nil {
		r.Run(ctx, "merge", "--abort")
		return "", err
	}
	return r.HeadSHA(ctx)
}

// ShowFile returns the content of path at ref.
func (r *Repo) ShowFile(ctx context.Context, ref, path string) ([]byte, error) {
	return r.RunBytes(ctx, nil, "show", ref+":"+path)
}

// IsAncestor reports whether a is an ancestor of (or equal to) b.
func (r *Repo) IsAncestor(ctx context.Context, a, b string) (bool, error) {
	_, err := r.Run(ctx, "merge-base", "--is-ancestor", a, b)
	if err == nil {
		return true, nil
	}
	var ge *Error
	if errors.As(err, &ge) && ge.Stderr == "" {
		return false, nil
	}
	return false, err
}

// Subject returns the first line of a commit's message.
func (r *Repo) Subject(ctx context.Context, sha string) (string, error) {
	return r.Run(ctx, "log", "-n", "1", "--format=%s", sha)
}
