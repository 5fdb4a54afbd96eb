package versioning

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/slipway/slipway/git"
)

// destination is where a release's `chore(release)` commit goes: the work
// tree's current branch, or (a hotfix release made while another branch
// is checked out) its maintenance branch, committed from git's object
// database without touching the work tree.
type destination struct {
	// branch is the maintenance branch ("" for the work tree's branch).
	branch string
	// workTree: commit in the work tree (on HEAD).
	workTree bool
	// clean: the work tree may be written (UpdateChangelog checked it).
	clean bool
	// parent is the commit the release commit goes on (object database
	// mode); ref the branch ref to move there, old its value ("" when the
	// local branch is created from the remote-tracking one).
	parent, ref, old string
	// remote: built on the remote-tracking branch; no ref is moved (the
	// caller pushes the commit).
	remote bool
}

// destinationOf decides where the release commit goes, and refuses a
// dirty work tree before anything is written.
func destinationOf(ctx context.Context, repo *git.Repo, req ReleaseRequest, res *Result) (*destination, error) {
	if req.OnRemote != "" {
		return remoteDestination(ctx, repo, req, res)
	}
	if m := res.Maintenance; m != nil {
		cur, err := repo.CurrentBranch(ctx)
		if err != nil {
			return nil, err
		}
		if cur != m.Branch {
			return branchDestination(ctx, repo, m.Branch, m.Ref)
		}
	} else if d, err := mainLineDestination(ctx, repo, req); d != nil || err != nil {
		return d, err
	}
	d := &destination{workTree: true}
	if req.UpdateChangelog {
		status, err := repo.Run(ctx, "status", "--porcelain", "--untracked-files=no")
		if err != nil {
			return nil, err
		}
		if status != "" {
			return nil, fmt.Errorf("release %s: the work tree of %s has uncommitted changes, so the changelog commit could include them: commit them first, or release without updating the changelog", res.Tag, req.Dir)
		}
		d.clean = true
	}
	return d, nil
}

// remoteDestination builds the release commit on the remote-tracking
// branch the release belongs to: the maintenance branch of a hotfix
// release, else the main line.
func remoteDestination(ctx context.Context, repo *git.Repo, req ReleaseRequest, res *Result) (*destination, error) {
	branch := "main"
	if req.Branches != nil && req.Branches.Release != "" {
		branch = req.Branches.Release
	}
	if m := res.Maintenance; m != nil {
		branch = m.Branch
	}
	d := &destination{branch: branch, remote: true}
	tip, err := repo.RefSHA(ctx, "refs/remotes/"+req.OnRemote+"/"+branch)
	if err != nil {
		return nil, err
	}
	if tip == "" {
		return nil, fmt.Errorf("release %s: branch %s is not on remote %s (no refs/remotes/%s/%s in %s): push it, or fetch it", res.Tag, branch, req.OnRemote, req.OnRemote, branch, repo.Dir)
	}
	// The release commit follows the released commit on the branch: on
	// the remote's tip when it holds the build's commit, on the build's
	// commit when the branch is behind it (the push then publishes it,
	// and nothing after it); a branch that went elsewhere is refused.
	d.parent = tip
	if in, err := repo.IsAncestor(ctx, req.Target, tip); err != nil || in {
		return d, err
	}
	if behind, err := repo.IsAncestor(ctx, tip, req.Target); err != nil {
		return nil, err
	} else if !behind {
		return nil, fmt.Errorf("release %s: the build's commit %s is not on %s/%s, which went elsewhere (at %s): push the commit to %s, or build from %s, then release again", res.Tag, short(req.Target), req.OnRemote, branch, short(tip), branch, branch)
	}
	d.parent = req.Target
	return d, nil
}

// branchDestination commits on branch: its local ref, else created from
// fallback (its remote-tracking ref).
func branchDestination(ctx context.Context, repo *git.Repo, branch, fallback string) (*destination, error) {
	d := &destination{branch: branch, ref: "refs/heads/" + branch}
	var err error
	if d.old, err = repo.RefSHA(ctx, d.ref); err != nil {
		return nil, err
	}
	d.parent = d.old
	if d.parent == "" && fallback != "" {
		if d.parent, err = repo.RefSHA(ctx, fallback); err != nil {
			return nil, err
		}
	}
	if d.parent == "" {
		return nil, fmt.Errorf("branch %s is not in %s: fetch it", branch, repo.Dir)
	}
	return d, nil
}

// mainLineDestination keeps a main-line release's commit off a hotfix
// branch someone has checked out: it goes on the main line's local
// branch instead. Nil when the work tree's branch is the place.
func mainLineDestination(ctx context.Context, repo *git.Repo, req ReleaseRequest) (*destination, error) {
	p := req.Branches
	if p == nil {
		return nil, nil
	}
	cur, err := repo.CurrentBranch(ctx)
	if err != nil || cur == "" {
		return nil, err
	}
	pat, err := ParseBranchPattern(p.Pattern)
	if err != nil {
		return nil, err
	}
	if _, hotfix := pat.Line(cur, req.Component); !hotfix {
		return nil, nil
	}
	main := p.Release
	if main == "" {
		main = "main"
	}
	if sha, err := repo.RefSHA(ctx, "refs/heads/"+main); err != nil || sha == "" {
		return nil, err
	}
	return branchDestination(ctx, repo, main, "")
}

// read returns a file as the release commit will find it (nil when absent).
func (d *destination) read(ctx context.Context, repo *git.Repo, path string, limit int64) ([]byte, error) {
	if d.workTree && d.clean {
		b, err := os.ReadFile(filepath.Join(repo.Dir, filepath.FromSlash(path)))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err == nil && int64(len(b)) > limit {
			return nil, fmt.Errorf("%s is %d bytes, over the %d-byte limit", path, len(b), limit)
		}
		return b, err
	}
	rev := d.parent
	if d.workTree {
		rev = "HEAD"
	}
	b, err := repo.ReadFile(ctx, rev, path, limit)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// commit records files in one commit at the destination and returns it.
func (d *destination) commit(ctx context.Context, repo *git.Repo, req ReleaseRequest, files map[string][]byte, msg string, at time.Time) (string, error) {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	if d.workTree {
		for _, p := range paths {
			full := filepath.Join(repo.Dir, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				return "", err
			}
			if err := os.WriteFile(full, files[p], 0o644); err != nil {
				return "", err
			}
		}
		if _, err := repo.Run(ctx, append([]string{"add", "--"}, paths...)...); err != nil {
			return "", err
		}
		if _, err := repo.Run(ctx, append([]string{"commit", "-q", "-m", msg, "--"}, paths...)...); err != nil {
			return "", err
		}
		return repo.Run(ctx, "rev-parse", "HEAD")
	}
	id, err := identityOf(ctx, repo, req.GitEnv)
	if err != nil {
		return "", err
	}
	if d.remote {
		at = repo.AfterParent(ctx, d.parent, at)
	}
	sha, err := repo.CommitFiles(ctx, d.parent, files, id, at, msg+"\n")
	if err != nil || d.remote {
		return sha, err
	}
	if err := repo.UpdateRef(ctx, d.ref, sha, d.old, msg); err != nil {
		return "", fmt.Errorf("branch %s moved while releasing (it was at %s): release again: %w", d.branch, short(d.old), err)
	}
	return sha, nil
}

// identityOf is the committer the caller's environment names, else git's.
func identityOf(ctx context.Context, repo *git.Repo, env []string) (git.Identity, error) {
	var id git.Identity
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "GIT_COMMITTER_NAME":
			id.Name = v
		case "GIT_COMMITTER_EMAIL":
			id.Email = v
		}
	}
	if id.Name != "" && id.Email != "" {
		return id, nil
	}
	return repo.Ident(ctx)
}
