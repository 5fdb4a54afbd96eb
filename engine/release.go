package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/changelog"
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
	svc, err := e.Cfg.Service(r.Service)
	if err != nil {
		return nil, invalid("%v", err)
	}
	b, err := e.Store.Build(ctx, r.BuildID)
	if err != nil {
		return nil, err
	}
	if b.Service != svc.Name {
		return nil, invalid("build %s belongs to service %s, not %s", b.ID, b.Service, svc.Name)
	}
	if rel, err := e.Store.ReleaseOfBuild(ctx, b.ID); err != nil || rel != nil {
		return rel, err
	}
	preset, err := versioning.ParsePreset(svc.Preset)
	if err != nil {
		return nil, invalid("%v", err)
	}
	repo := e.Cfg.Resolve(e.Cfg.App.Repo)
	next, err := versioning.Next(ctx, versioning.Request{
		Dir: repo, Component: svc.Name, Paths: svc.Paths, TagFormat: svc.TagFormat,
		Rules: versioning.Rules{Preset: preset}, Target: b.Commit,
	})
	if err != nil {
		return nil, fmt.Errorf("next version of %s at %s: %w", svc.Name, short(b.Commit), err)
	}
	if !next.Released {
		return nil, slipway.Errorf(slipway.ECONFLICT, "nothing releasable in %s since %s (only non-releasing commits such as chore: or docs:); promote the build without a release, or land a feat:/fix:", svc.Name, next.PreviousTag)
	}
	notes := changelog.Markdown(changelog.Release{Version: next.Next, Tag: next.Tag, PreviousTag: next.PreviousTag, Date: e.Now(), Entries: next.Entries}, changelog.Options{})
	msg := fmt.Sprintf("%s %s\n\nDigest: %s\nImage: %s\nBuild: %s\n\n%s", svc.Name, next.Tag, b.Digest, b.Ref(), b.ID, notes)
	app := git.Open(repo)
	if err := app.CreateTag(ctx, next.Tag, b.Commit, msg); err != nil {
		if errors.Is(err, git.ErrTagElsewhere) {
			return nil, slipway.Errorf(slipway.ECONFLICT, "%v", err)
		}
		return nil, err
	}
	var authors []string
	for _, p := range next.People() {
		authors = append(authors, strings.TrimSpace(fmt.Sprintf("%s <%s>", p.Name, p.Email)))
	}
	rel := &slipway.Release{Service: svc.Name, Version: next.Next, Tag: next.Tag, BuildID: b.ID, Commit: b.Commit, Notes: notes, Authors: authors, Created: e.Now()}
	if err := e.Store.CreateRelease(ctx, rel); err != nil {
		return nil, err
	}
	e.emit("release", next.Tag, "released %s %s (%s bump, %d commits) on %s; tag names %s", svc.Name, next.Tag, next.Bump, next.Commits, short(b.Commit), b.Ref())
	// A build already green in an environment may now enter the next one.
	for _, env := range e.Cfg.Environments {
		if err := e.autoPromoteNext(ctx, b, env.Name); err != nil {
			return rel, err
		}
	}
	return rel, nil
}
