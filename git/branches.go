package git

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// The functions in this file read and move branches of an application
// repository: maintenance (hotfix) branches are found by name among the
// local and remote-tracking branches, created at a release tag and pushed
// without force.

// RefSHA returns the commit ref points at, or "" when ref does not exist.
func (r *Repo) RefSHA(ctx context.Context, ref string) (string, error) {
	if err := CheckArg("ref", ref); err != nil {
		return "", err
	}
	out, err := r.Run(ctx, "rev-parse", "--verify", "--quiet", "--end-of-options", ref+"^{commit}")
	var ge *Error
	if errors.As(err, &ge) && out == "" && strings.TrimSpace(ge.Stderr) == "" {
		return "", nil
	}
	return out, err
}

// CurrentBranch is the branch checked out in the work tree ("" when HEAD is
// detached or the repository is bare).
func (r *Repo) CurrentBranch(ctx context.Context) (string, error) {
	out, err := r.Run(ctx, "symbolic-ref", "--quiet", "--short", "HEAD")
	var ge *Error
	if errors.As(err, &ge) && strings.TrimSpace(ge.Stderr) == "" {
		return "", nil
	}
	return out, err
}

// Refs lists the full names of the refs under the given prefixes
// (e.g. "refs/heads", "refs/remotes/origin"), sorted by name.
func (r *Repo) Refs(ctx context.Context, prefixes ...string) ([]string, error) {
	for _, p := range prefixes {
		if err := CheckArg("ref prefix", p); err != nil {
			return nil, err
		}
	}
	out, err := r.Run(ctx, append([]string{"for-each-ref", "--format=%(refname)"}, prefixes...)...)
	if err != nil || out == "" {
		return nil, err
	}
	return strings.Split(out, "\n"), nil
}

// RefsContaining returns those of refs (full names) whose history contains
// commit: one history walk for all of them.
func (r *Repo) RefsContaining(ctx context.Context, commit string, refs []string) ([]string, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	if err := CheckArg("commit", commit); err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, ref := range refs {
		if err := CheckArg("ref", ref); err != nil {
			return nil, err
		}
		want[ref] = true
	}
	// Patterns match a ref exactly or as a prefix up to a slash; keep the
	// exact names only.
	out, err := r.Run(ctx, append([]string{"for-each-ref", "--format=%(refname)", "--contains=" + commit}, refs...)...)
	if err != nil || out == "" {
		return nil, err
	}
	var found []string
	for _, l := range strings.Split(out, "\n") {
		if want[l] {
			found = append(found, l)
		}
	}
	return found, nil
}

// TagsNotMerged lists the tags whose commit is not reachable from rev
// (`--no-merged`): releases made on other branches. One git process.
func (r *Repo) TagsNotMerged(ctx context.Context, rev string) ([]Tag, error) {
	if err := CheckArg("revision", rev); err != nil {
		return nil, err
	}
	all, err := r.Tags(ctx, "")
	if err != nil {
		return nil, err
	}
	out, err := r.Run(ctx, "for-each-ref", "--format=%(refname:strip=2)", "--no-merged="+rev, "refs/tags")
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for _, n := range strings.Split(out, "\n") {
		if n != "" {
			names[n] = true
		}
	}
	var tags []Tag
	for _, t := range all {
		if names[t.Name] {
			tags = append(tags, t)
		}
	}
	return tags, nil
}

// UpdateRef points ref at sha only if it is still at old ("" for a ref that
// must not exist yet): a compare-and-swap, so a branch someone moved
// meanwhile is never overwritten.
func (r *Repo) UpdateRef(ctx context.Context, ref, sha, old, reason string) error {
	for what, v := range map[string]string{"ref": ref, "commit": sha} {
		if err := CheckArg(what, v); err != nil {
			return err
		}
	}
	if old == "" {
		old = strings.Repeat("0", len(sha))
	}
	_, err := r.Run(ctx, "update-ref", "-m", oneLine(reason), ref, sha, old)
	return err
}

// HasRemote reports whether the repository has a remote of that name.
func (r *Repo) HasRemote(ctx context.Context, name string) (bool, error) {
	if err := CheckArg("remote", name); err != nil {
		return false, err
	}
	out, err := r.Run(ctx, "remote")
	if err != nil {
		return false, err
	}
	for _, n := range strings.Split(out, "\n") {
		if n == name {
			return true, nil
		}
	}
	return false, nil
}

// RemoteBranchSHA asks remote (not the remote-tracking refs, which may be
// stale) where branch points: "" when the remote has no such branch.
func (r *Repo) RemoteBranchSHA(ctx context.Context, remote, branch string) (string, error) {
	if err := CheckArg("remote", remote); err != nil {
		return "", err
	}
	if err := CheckBranch(branch); err != nil {
		return "", err
	}
	out, err := r.Run(ctx, "ls-remote", "--heads", "--", remote, "refs/heads/"+branch)
	if err != nil {
		return "", fmt.Errorf("ask remote %s about branch %s: %w", remote, branch, err)
	}
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) == 2 && f[1] == "refs/heads/"+branch {
			return f[0], nil
		}
	}
	return "", nil
}

// FetchBranch brings branch of remote into refs/remotes/<remote>/<branch>.
func (r *Repo) FetchBranch(ctx context.Context, remote, branch string) error {
	if err := CheckArg("remote", remote); err != nil {
		return err
	}
	if err := CheckBranch(branch); err != nil {
		return err
	}
	_, err := r.Run(ctx, "fetch", "--quiet", "--no-tags", "--", remote, "+refs/heads/"+branch+":refs/remotes/"+remote+"/"+branch)
	return err
}

// PushBranch creates or fast-forwards branch on remote to sha, never with
// force: a remote branch elsewhere refuses it (ErrRejected).
func (r *Repo) PushBranch(ctx context.Context, remote, sha, branch string) error {
	return r.pushRemote(ctx, remote, sha, branch)
}

// FilesOf lists the paths a commit changes against its first parent (every
// path for a root commit).
func (r *Repo) FilesOf(ctx context.Context, sha string) ([]string, error) {
	if err := CheckArg("commit", sha); err != nil {
		return nil, err
	}
	out, err := r.Run(ctx, "diff-tree", "-r", "--root", "--no-commit-id", "--name-only", "-z", "--no-renames", sha, "--")
	if err != nil {
		return nil, err
	}
	return strings.FieldsFunc(out, func(c rune) bool { return c == 0 }), nil
}

// Ident is the identity git would give a commit made now in this
// repository (user.name / user.email, or the GIT_* environment).
func (r *Repo) Ident(ctx context.Context) (Identity, error) {
	out, err := r.Run(ctx, "var", "GIT_COMMITTER_IDENT")
	if err != nil {
		return Identity{}, err
	}
	// "Name <email> 1700000000 +0000"
	j := strings.LastIndex(out, ">")
	if j < 0 {
		return Identity{}, fmt.Errorf("git var GIT_COMMITTER_IDENT: %q", out)
	}
	return ParseIdentity(out[:j+1])
}
