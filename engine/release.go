package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/git"
	"github.com/slipway/slipway/versioning"
)

// ReleaseRequest names the build to release.
type ReleaseRequest struct {
	Service string
	BuildID string
	// AllowEarlyRemoval is the reason to release a removal that is still
	// inside its deprecation window (policy.deprecationWindow); it is
	// recorded in the register, the tag annotation and the audit log.
	AllowEarlyRemoval string
	// User is who asks (recorded with an early removal).
	User string
	// DryRun computes the release and says what would be written and
	// pushed; it changes nothing (no commit, tag, push, page or row).
	DryRun bool
}

// Release computes the next SemVer of the service from the Conventional
// Commits up to the build's commit, writes the changelog section, creates
// an annotated tag on that commit whose message names the image digest,
// and pushes both to the app repository's remote. Nothing is built: the
// tag names the build that already exists. Releasing the same build again
// returns the existing release, finishing what a crash left undone. It
// publishes no forge page: Releaser.Release does, with the app forge.
func (e *Engine) Release(ctx context.Context, r ReleaseRequest) (*slipway.Release, error) {
	out, err := (&Releaser{Engine: e}).Release(ctx, r)
	if out == nil {
		return nil, err
	}
	return out.Release, err
}

// tagRelease computes the release of b and writes it in the app
// repository (the changelog commit and the annotated tag, or in a dry run
// nothing), then records it in the store. vreq is prepared by the caller
// (a release pull request's merge fixes the version and the notes).
func (r *Releaser) tagRelease(ctx context.Context, svc *config.Service, b *slipway.Build, vreq versioning.ReleaseRequest, req ReleaseRequest, remote, onRemote string) (*slipway.Release, *versioning.ReleaseResult, error) {
	vreq.GitEnv = r.identity().Env() // the CHANGELOG.md commit and the tag are Slipway's own acts
	vreq.TagLines = []string{"Digest: " + b.Digest, "Image: " + b.Ref(), "Build: " + b.ID}
	vreq.Date = r.Now()
	vreq.Deprecations = versioning.DeprecationPolicy{Window: r.Cfg.Policy.Window(), AllowEarlyRemoval: req.AllowEarlyRemoval}
	vreq.DryRun = req.DryRun
	if remote != "" {
		vreq.CheckTag = func(tag string) error { return r.remoteTagFree(ctx, remote, tag, b.Commit) }
	}
	if vreq.UpdateChangelog {
		vreq.OnRemote = onRemote
	}
	out, err := versioning.Release(ctx, vreq)
	if err != nil {
		switch {
		case errors.Is(err, versioning.ErrNothingToRelease):
			return nil, nil, slipway.Errorf(slipway.ECONFLICT, "%v: promote the build without a release, or land a feat: or fix:", err)
		case errors.Is(err, git.ErrTagElsewhere), errors.Is(err, versioning.ErrOutOfRange):
			return nil, nil, slipway.Errorf(slipway.ECONFLICT, "%v", err)
		case errors.Is(err, versioning.ErrDeprecationWindow):
			return nil, nil, slipway.Errorf(slipway.EFORBIDDEN, "%v", err)
		case slipway.ErrorCode(err) != slipway.EINTERNAL:
			return nil, nil, err // the remote's tag, refused by CheckTag
		}
		return nil, nil, fmt.Errorf("release %s at %s: %w", svc.Name, short(b.Commit), err)
	}
	var authors []string
	if out.Next != nil {
		for _, p := range out.Next.People() {
			authors = append(authors, strings.TrimSpace(fmt.Sprintf("%s <%s>", p.Name, p.Email)))
		}
	}
	rel := &slipway.Release{Service: svc.Name, Version: out.Version, Tag: out.Tag, BuildID: b.ID, Commit: b.Commit, Notes: out.Notes, Authors: authors, Created: r.Now()}
	if req.DryRun {
		return rel, out, nil
	}
	if err := r.Store.Releases.CreateRelease(ctx, rel); err != nil {
		return nil, nil, err
	}
	r.emit("release", out.Tag, "released %s %s on %s; the tag names %s", svc.Name, out.Tag, short(b.Commit), b.Ref())
	if out.ChangelogCommit != "" {
		where := ""
		if out.ChangelogBranch != "" {
			where = " for " + out.ChangelogBranch
		}
		r.emit("release", short(out.ChangelogCommit), "CHANGELOG.md updated in %s%s", short(out.ChangelogCommit), where)
	}
	if err := r.announceRelease(ctx, svc.Name, b, out, req.User); err != nil {
		return rel, out, err
	}
	return rel, out, nil
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
		if comp, i, err := rp.Pick(svc.Name); err == nil {
			plan, err := versioning.Plan(ctx, repo, rp, versioning.PlanOptions{Target: commit})
			if err != nil {
				return versioning.ReleaseRequest{}, fmt.Errorf("release-please plan at %s: %w", short(commit), err)
			}
			req := versioning.ReleaseRequest{Request: comp.Request(repo, commit), ChangelogPath: comp.ChangelogPath}
			req.Branches = e.branchPolicy(svc)
			if plan[i].Released {
				req.Rules.ReleaseAs = plan[i].Next
				req.Dependencies = plan[i].Dependencies
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
		Rules: versioning.Rules{Preset: preset}, Target: commit, Branches: e.branchPolicy(svc),
	}}, nil
}

// branchPolicy is how the app repository's branches release the service:
// its main line, its remote, and its hotfix branches' names (with the
// service filled in, so a release-please component named otherwise still
// finds the branches `slipway hotfix start` made).
func (e *Engine) branchPolicy(svc *config.Service) *versioning.BranchPolicy {
	pattern := strings.NewReplacer("{service}", svc.Name, "{component}", svc.Name).Replace(e.Cfg.App.HotfixBranch)
	return &versioning.BranchPolicy{Release: e.Cfg.App.Branch, Remote: e.Cfg.App.Remote, Pattern: pattern}
}

// announceRelease puts what the release did beyond its tag on the
// timeline, and audits a removal inside its deprecation window.
func (e *Engine) announceRelease(ctx context.Context, service string, b *slipway.Build, out *versioning.ReleaseResult, user string) error {
	if m := out.Maintenance; m != nil {
		e.emit("release", m.Branch, "%s is a hotfix release from %s (it may release %s; no prerelease channels there)", out.Tag, m.Branch, m.Range)
	}
	if len(out.Supersedes) > 0 {
		e.emit("release", out.Tag, "%s includes fixes first released in %s: their changelog entries are not repeated", out.Tag, strings.Join(out.Supersedes, ", "))
	}
	for _, d := range out.Deprecated {
		promise := ""
		if d.RemoveAfter != "" {
			promise = "; to be removed after " + d.RemoveAfter
		}
		e.emit("release", d.ID, "%s deprecates %q (registered as %s in deprecations.yaml%s)", out.Tag, d.What, d.ID, promise)
	}
	for _, w := range out.Warnings {
		e.notify(ctx, "release", slipway.Notice{Event: slipway.NoticeRelease, Service: service, Release: out.Tag}, "%s: %s", out.Tag, w)
	}
	for _, d := range out.Removed {
		if d.EarlyRemoval == "" {
			e.emit("release", d.ID, "%s removes %q (deprecated in %s)", out.Tag, d.What, d.Since)
			continue
		}
		verdict := fmt.Sprintf("%s removes %q (id %s, deprecated in %s on %s) inside its deprecation window (%s), allowed by %s: %s", out.Tag, d.What, d.ID, d.Since, d.Date, e.Cfg.Policy.DeprecationWindow, orSomeone(user), d.EarlyRemoval)
		entry := &slipway.AuditEntry{At: e.Now(), Kind: "early-removal", Service: service, Digest: b.Digest, KeyID: b.KeyID, Approvers: []string{orSomeone(user)}, Verdict: verdict}
		if err := e.Store.Audit.AppendAudit(ctx, entry); err != nil {
			return fmt.Errorf("audit the early removal in %s: %w", out.Tag, err)
		}
		e.notify(ctx, "release", slipway.Notice{Event: slipway.NoticeRelease, Service: service, Release: out.Tag, Digest: b.Digest, Actor: orSomeone(user)}, "EARLY REMOVAL: %s", verdict)
	}
	return nil
}

func orSomeone(user string) string {
	if user == "" {
		return "an unnamed user"
	}
	return user
}
