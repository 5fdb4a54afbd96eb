package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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

// pinSet is one service's pins in one environment (gitops decides how each
// kind of pin reads and writes), bound to what is being promoted.
type pinSet struct {
	env    *config.Environment
	set    gitops.PinSet
	target gitops.Target
}

// pinsFor returns the pins of service in env, targeting b (nil to read only).
func (e *Engine) pinsFor(env *config.Environment, service string, b *slipway.Build, release string) (pinSet, error) {
	set, err := e.Cfg.PinSet(service, env.Name)
	if err != nil {
		return pinSet{}, invalid("%v", err)
	}
	t := gitops.Target{Service: service, Env: env.Name}
	if svc, err := e.Cfg.Service(service); err == nil {
		t.Image = svc.Image
	}
	if b != nil {
		t.Image, t.Digest, t.Commit = b.Image, b.Digest, b.Commit
	}
	if release != "" {
		t.Version = versionOf(release)
	}
	return pinSet{env: env, set: set, target: t}, nil
}

// pinsOf returns the pins a promotion writes.
func (r *run) pins() (pinSet, error) {
	version := ""
	if r.p.Release != "" {
		version = r.p.Release
	}
	return r.e.pinsFor(r.env, r.p.Service, r.build, version)
}

// versionOf is the SemVer of a release tag (v1.2.3, api/v1.2.3, api-v1.2.3).
func versionOf(tag string) string {
	if i := strings.LastIndexAny(tag, "/-"); i >= 0 && strings.HasPrefix(tag[i+1:], "v") {
		tag = tag[i+1:]
	}
	return strings.TrimPrefix(tag, "v")
}

func (s pinSet) service() string { return s.target.Service }

// files lists the distinct pin files, sorted.
func (s pinSet) files() ([]string, error) {
	files, err := s.set.Files(s.target.Service, s.target.Env)
	if err != nil {
		return nil, invalid("pins of %s in %s: %v", s.target.Service, s.target.Env, err)
	}
	return files, nil
}

// read reads the pin files that exist at commit; a symlink or an oversized
// file is refused (EINVALID naming it). A missing file is left out: the
// pins then say which pin needs it.
func (s pinSet) read(ctx context.Context, repo GitOpsRepo, commit string) (map[string][]byte, error) {
	files, err := s.files()
	if err != nil {
		return nil, err
	}
	out, err := repo.ReadFiles(ctx, commit, files, pinFileLimit)
	switch {
	case errors.Is(err, git.ErrNotFile):
		return nil, invalid("%v", err)
	case err != nil && strings.Contains(err.Error(), "limit for a pin file"):
		return nil, invalid("%v", err)
	}
	return out, err
}

// digest returns the digest every pin holds in files ("" when none is
// pinned yet); pins that disagree, a missing file or field are EINVALID
// naming each.
func (s pinSet) digest(files map[string][]byte) (string, error) {
	d, err := s.set.Current(files, s.target)
	if err != nil {
		return "", invalid("%v (environment %s in slipway.yaml)", err, s.target.Env)
	}
	return d, nil
}

// apply writes the target into every pin and returns the files whose bytes
// change (none when the pins already hold it).
func (s pinSet) apply(files map[string][]byte) (map[string][]byte, error) {
	changed, err := s.set.Apply(files, s.target)
	if err != nil {
		return nil, invalid("%v", err)
	}
	return changed, nil
}

// digestAt reads the digest the pins hold at commit ("" when a pin file is
// missing there: before the service was set up).
func (s pinSet) digestAt(ctx context.Context, repo GitOpsRepo, commit string) (string, error) {
	files, err := s.read(ctx, repo, commit)
	if err != nil {
		return "", err
	}
	want, _ := s.files()
	if len(files) < len(want) {
		return "", nil
	}
	return s.digest(files)
}

// setter finds the commit on tip's first-parent line that set the pins to
// digest: the newest commit touching a pin file whose first parent did not
// already hold digest. Git's content decides, never a message. "" when the
// pins at tip do not hold digest.
func (s pinSet) setter(ctx context.Context, repo GitOpsRepo, tip, digest string) (string, error) {
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
	return "", fmt.Errorf("pins of %s in %s hold %s, but no commit in the last 1000 that touched them set it", s.service(), s.target.Env, digestShort(digest))
}

// revertFiles computes the files of a commit on tip that undoes target,
// as `git revert` does (for a merge, what it brought in over its first
// parent): a file unchanged since target gets its old bytes back; one that
// changed since gets target's change undone by a three-way merge, and a
// conflict is ECONFLICT.
func revertFiles(ctx context.Context, repo GitOpsRepo, tip, target string) (map[string][]byte, error) {
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
