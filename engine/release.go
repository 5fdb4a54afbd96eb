package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/auth"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/git"
	"github.com/slipway/slipway/versioning"
)

// ReleaseRequest names the build to release.
type ReleaseRequest struct {
	Service string
	BuildID string
}

// Release computes the next SemVer of the service from the Conventional
// Commits up to the build's commit, writes the changelog section, and creates
// an annotated tag on that commit whose message names the image digest.
// Nothing is built: the tag names the build that already exists. Releasing
// the same build again returns the existing release.
func (e *Engine) Release(ctx context.Context, r ReleaseRequest) (*slipway.Release, error) {
	if err := e.authorize(ctx, auth.Release, auth.Scope{Service: r.Service}, nil); err != nil {
		return nil, err
	}
	svc, err := e.Cfg.Service(r.Service)
	if err != nil {
		return nil, invalid("%v", err)
	}
	b, err := e.Store.Builds.Build(ctx, r.BuildID)
	if err != nil {
		return nil, err
	}
	if b.Service != svc.Name {
		return nil, invalid("build %s belongs to service %s, not %s", b.ID, b.Service, svc.Name)
	}
	if rel, err := e.Store.Releases.ReleaseOfBuild(ctx, b.ID); err != nil || rel != nil {
		return rel, err
	}
	repo := e.Cfg.Resolve(e.Cfg.App.Repo)
	vreq, err := e.versionRequest(ctx, svc, repo, b.Commit)
	if err != nil {
		return nil, err
	}
	vreq.UpdateChangelog = clean(ctx, repo)
	vreq.GitEnv = e.identity().Env() // the CHANGELOG.md commit and the tag are Slipway's own acts
	vreq.TagLines = []string{"Digest: " + b.Digest, "Image: " + b.Ref(), "Build: " + b.ID}
	vreq.Date = e.Now()
	out, err := versioning.Release(ctx, vreq)
	switch {
	case errors.Is(err, versioning.ErrNothingToRelease):
		return nil, slipway.Errorf(slipway.ECONFLICT, "%v: promote the build without a release, or land a feat: or fix:", err)
	case errors.Is(err, git.ErrTagElsewhere):
		return nil, slipway.Errorf(slipway.ECONFLICT, "%v", err)
	case err != nil:
		return nil, fmt.Errorf("release %s at %s: %w", svc.Name, short(b.Commit), err)
	}
	var authors []string
	if out.Next != nil {
		for _, p := range out.Next.People() {
			authors = append(authors, strings.TrimSpace(fmt.Sprintf("%s <%s>", p.Name, p.Email)))
		}
	}
	rel := &slipway.Release{Service: svc.Name, Version: out.Version, Tag: out.Tag, BuildID: b.ID, Commit: b.Commit, Notes: out.Notes, Authors: authors, Created: e.Now()}
	if err := e.Store.Releases.CreateRelease(ctx, rel); err != nil {
		return nil, err
	}
	e.emit("release", out.Tag, "released %s %s on %s; the tag names %s", svc.Name, out.Tag, short(b.Commit), b.Ref())
	if out.ChangelogCommit != "" {
		e.emit("release", short(out.ChangelogCommit), "CHANGELOG.md updated in %s", short(out.ChangelogCommit))
	}
	// A build already green in an environment may now enter the next one.
	for _, env := range e.Cfg.Environments {
		if err := e.autoPromoteNext(ctx, b, env.Name); err != nil {
			return rel, err
		}
	}
	return rel, nil
}

// clean reports whether the app repository's work tree has no changes, so a
// CHANGELOG.md commit cannot sweep up someone's unrelated edits.
func clean(ctx context.Context, dir string) bool {
	out, err := git.Open(dir).Run(ctx, "status", "--porcelain")
	return err == nil && out == ""
}

// versionRequest is how the service's next version is computed. A
// release-please configuration in the app repository is the configuration
// when it names the service as a component (so switching to Slipway changes
// no version number): the whole plan, with node-workspace and
// linked-versions, decides the version, which the release then pins with
// release-as. Otherwise slipway.yaml's service settings apply.
func (e *Engine) versionRequest(ctx context.Context, svc *config.Service, repo, commit string) (versioning.ReleaseRequest, error) {
	rp, err := versioning.LoadReleasePlease(repo)
	if err != nil {
		return versioning.ReleaseRequest{}, invalid("%v", err)
	}
	if rp != nil {
		if comp, err := rp.Component(svc.Name); err == nil {
			plan, err := versioning.Plan(ctx, repo, rp, versioning.PlanOptions{Target: commit})
			if err != nil {
				return versioning.ReleaseRequest{}, fmt.Errorf("release-please plan at %s: %w", short(commit), err)
			}
			req := versioning.ReleaseRequest{Request: comp.Request(repo, commit), ChangelogPath: comp.ChangelogPath}
			for i := range rp.Components {
				if &rp.Components[i] == comp && plan[i].Released {
					req.Rules.ReleaseAs = plan[i].Next
					req.Dependencies = plan[i].Dependencies
				}
			}
			return req, nil
		}
	}
	preset, err := versioning.ParsePreset(svc.Preset)
	if err != nil {
		return versioning.ReleaseRequest{}, invalid("%v", err)
	}
	return versioning.ReleaseRequest{Request: versioning.Request{
		Dir: repo, Component: svc.Name, Paths: svc.Paths, TagFormat: svc.TagFormat,
		Rules: versioning.Rules{Preset: preset}, Target: commit,
	}}, nil
}
