package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/git"
	"github.com/slipway/slipway/gitops"
)

// pinFileLimit bounds what Slipway reads as a pin file: a planted huge file
// must not exhaust memory.
const pinFileLimit = 1 << 20

// Trailers written on Slipway's commits. They help people reading history;
// the engine never believes them: a step is done when Git's content shows it.
const (
	trailerPromotion = "Slipway-Promotion"
	trailerDigest    = "Slipway-Digest"
	trailerReverts   = "Slipway-Reverts"
)

// pinSet is what the engine needs of an environment's pins for one service.
type pinSet struct {
	env     *config.Environment
	service string
	pins    []gitops.Pin
}

func pinsFor(env *config.Environment, service string) pinSet {
	return pinSet{env: env, service: service, pins: []gitops.Pin{env.Pin}}
}

// files lists the distinct pin files, sorted.
func (s pinSet) files() ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, p := range s.pins {
		f, err := p.Render(s.service, s.env.Name)
		if err != nil {
			return nil, invalid("pin of environment %s: %v", s.env.Name, err)
		}
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out, nil
}

// read reads the pin files at commit. A missing file is a wrong input
// (EINVALID naming file, branch and fix); a symlink or an oversized file
// is refused.
func (s pinSet) read(ctx context.Context, repo *git.Repo, commit, branch string) (map[string][]byte, error) {
	files, err := s.files()
	if err != nil {
		return nil, err
	}
	out, err := repo.ReadFiles(ctx, commit, files, pinFileLimit)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, invalid("%v: the pin file does not exist on branch %s of the GitOps repo: add it with the field %s, or fix pin.file of %s in slipway.yaml", err, branch, s.pins[0].Path, s.env.Name)
	case errors.Is(err, git.ErrNotFile):
		return nil, invalid("%v", err)
	case err != nil && strings.Contains(err.Error(), "limit for a pin file"):
		return nil, invalid("%v", err)
	}
	return out, err
}

// digest returns the digest every pin holds in files ("" when none is
// pinned yet); pins that disagree are an error naming each.
func (s pinSet) digest(files map[string][]byte) (string, error) {
	got := ""
	for i, p := range s.pins {
		f, _ := p.Render(s.service, s.env.Name)
		d, err := p.Current(files[f])
		if err != nil {
			return "", invalid("%v (environment %s in slipway.yaml)", gitops.SetFile(err, f), s.env.Name)
		}
		if i > 0 && d != got {
			return "", invalid("the pins of %s in %s disagree: %s holds %s, the first pin %s", s.service, s.env.Name, f, orNone(d), orNone(got))
		}
		got = d
	}
	return got, nil
}

// apply writes b's digest into every pin and returns the files whose bytes
// change (none when the pins already hold it).
func (s pinSet) apply(files map[string][]byte, b *slipway.Build) (map[string][]byte, error) {
	work := make(map[string][]byte, len(files))
	for f, c := range files {
		work[f] = c
	}
	changed := map[string][]byte{}
	for _, p := range s.pins {
		f, _ := p.Render(s.service, s.env.Name)
		out, did, err := p.Apply(work[f], b.Digest, b.Image)
		if err != nil {
			return nil, invalid("%v", gitops.SetFile(err, f))
		}
		if did {
			work[f] = out
			changed[f] = out
		}
	}
	return changed, nil
}

// digestAt reads the digest the pins hold at commit ("" when a pin file is
// missing there: before the service was set up).
func (s pinSet) digestAt(ctx context.Context, repo *git.Repo, commit string) (string, error) {
	files, err := s.read(ctx, repo, commit, commit)
	if slipway.ErrorCode(err) == slipway.EINVALID {
		if _, ferr := s.files(); ferr == nil {
			return "", nil
		}
	}
	if err != nil {
		return "", err
	}
	return s.digest(files)
}

// setter finds the commit on tip's first-parent line that set the pins to
// digest: the newest commit touching a pin file whose first parent did not
// already hold digest. Git's content decides, never a message. "" when the
// pins at tip do not hold digest.
func (s pinSet) setter(ctx context.Context, repo *git.Repo, tip, digest string) (string, error) {
	if d, err := s.digestAt(ctx, repo, tip); err != nil || d != digest {
		return "", err
	}
	files, err := s.files()
	if err != nil {
		return "", err
	}
	commits, err := repo.CommitsTouching(ctx, tip, files, 1000)
	if err != nil {
		return "", err
	}
	for _, c := range commits {
		parents, err := repo.Parents(ctx, c)
		if err != nil {
			return "", err
		}
		if len(parents) == 0 {
			return c, nil
		}
		before, err := s.digestAt(ctx, repo, parents[0])
		if err != nil {
			return "", err
		}
		if before != digest {
			return c, nil
		}
	}
	return "", fmt.Errorf("pins of %s in %s hold %s, but no commit in the last 1000 that touched them set it", s.service, s.env.Name, digestShort(digest))
}

// revertFiles computes the files of a commit on tip that undoes target,
// as `git revert` does (for a merge, what it brought in over its first
// parent): a file unchanged since target gets its old bytes back; one that
// changed since gets target's change undone by a three-way merge, and a
// conflict is ECONFLICT.
func revertFiles(ctx context.Context, repo *git.Repo, tip, target string) (map[string][]byte, error) {
	parents, err := repo.Parents(ctx, target)
	if err != nil {
		return nil, err
	}
	if len(parents) == 0 {
		return nil, slipway.Errorf(slipway.ECONFLICT, "commit %s is the first of the GitOps repository: there is nothing to revert it to", short(target))
	}
	changed, err := repo.ChangedFiles(ctx, parents[0], target)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, f := range changed {
		before, err := repo.ReadFile(ctx, parents[0], f, pinFileLimit)
		if err != nil {
			return nil, slipway.Errorf(slipway.ECONFLICT, "commit %s added or replaced %s (%v): revert it by hand", short(target), f, err)
		}
		after, err := repo.ReadFile(ctx, target, f, pinFileLimit)
		if err != nil {
			return nil, slipway.Errorf(slipway.ECONFLICT, "commit %s removed %s: revert it by hand", short(target), f)
		}
		now, err := repo.ReadFile(ctx, tip, f, pinFileLimit)
		if err != nil {
			return nil, slipway.Errorf(slipway.ECONFLICT, "%s is gone from the branch since %s: revert by hand", f, short(target))
		}
		if bytes.Equal(now, after) {
			out[f] = before
			continue
		}
		merged, err := git.MergeFile(ctx, now, after, before)
		if errors.Is(err, git.ErrConflict) {
			return nil, slipway.Errorf(slipway.ECONFLICT, "reverting %s conflicts in %s: the file changed since in the same place; revert by hand", short(target), f)
		}
		if err != nil {
			return nil, err
		}
		out[f] = merged
	}
	return out, nil
}

func orNone(d string) string {
	if d == "" {
		return "nothing"
	}
	return digestShort(d)
}
