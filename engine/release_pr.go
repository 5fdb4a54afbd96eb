package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/auth"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/git"
	"github.com/slipway/slipway/versioning"
)

// release.mode pull-request is release-please's workflow: one standing
// release pull request per component (or one for all, as a manifest
// config without separate-pull-requests asks), rebuilt on the main line's
// tip whenever it moves. It bumps CHANGELOG.md and the version files of
// the component's release-type. Merging it is the decision to release:
// the build of the merge commit is tagged and published, and the pull
// request is relabeled "autorelease: pending" → "autorelease: tagged".

// ReleasePROutcome is what ReleasePullRequests did, or would do.
type ReleasePROutcome struct {
	DryRun       bool
	PullRequests []ReleasePR
	// Released are the releases of merged release pull requests whose
	// merge commit's build was registered.
	Released []*ReleaseOutcome
	// Waiting are merged release pull requests whose merge commit has no
	// build yet: the tag waits for it.
	Waiting []WaitingRelease
	// Notes say what was left alone, and why.
	Notes []string
}

// ReleasePR is one release pull request.
type ReleasePR struct {
	Number int
	URL    string
	Branch string
	Title  string
	Body   string
	Head   string
	// Action is opened, updated or unchanged (would open, would update in
	// a dry run).
	Action   string
	Releases []versioning.PRRelease
	Files    []string
}

// WaitingRelease is a merged release pull request's release that waits
// for the build of its merge commit.
type WaitingRelease struct {
	Service  string
	Version  string
	PR       int
	MergeSHA string
}

func (w WaitingRelease) String() string {
	return fmt.Sprintf("%s %s (pull request #%d, merged as %s) waits for a build of %s: register it (slipway build register --service %s --commit %s --image …), then run slipway release --service %s",
		w.Service, w.Version, w.PR, short(w.MergeSHA), short(w.MergeSHA), w.Service, w.MergeSHA, w.Service)
}

// prGroup is one release pull request's components.
type prGroup struct {
	branch         string
	combined       bool
	header, footer string
	members        []*prMember
}

// prMember is one service of a release pull request.
type prMember struct {
	svc         *config.Service
	comp        *versioning.Component // nil without a release-please config
	changelog   string
	component   string // as release-please names it in titles ("" for none)
	releaseType string
	path        string
}

// mergedRelease is the release a merged release pull request made of one
// service, read from the content of its merge commit.
type mergedRelease struct {
	pr      *slipway.PullRequest
	version string
	notes   string
}

// prGroups sorts the release.mode pull-request services into release pull
// requests. With names, only the pull requests holding one of them (a
// combined pull request keeps every member).
func (r *Releaser) prGroups(names []string) ([]*prGroup, error) {
	for _, n := range names {
		svc, err := r.Cfg.Service(n)
		if err != nil {
			return nil, invalid("%v", err)
		}
		if r.Cfg.ReleaseOf(svc).Mode != config.ReleasePullRequest {
			return nil, invalid("service %s releases by tag (release.mode: tag): release a build with `slipway release --service %s --build ID`, or set release: {mode: pull-request} in %s", n, n, r.Cfg.Path())
		}
	}
	rp, err := versioning.LoadReleasePlease(r.Cfg.Resolve(r.Cfg.App.Repo))
	if err != nil {
		return nil, invalid("%v", err)
	}
	byBranch := map[string]*prGroup{}
	var groups []*prGroup
	for i := range r.Cfg.Services {
		svc := &r.Cfg.Services[i]
		if r.Cfg.ReleaseOf(svc).Mode != config.ReleasePullRequest {
			continue
		}
		m, combined := r.member(svc, rp)
		branch := versioning.PRBranch(svc.Name)
		if combined {
			branch = versioning.GroupPRBranch(r.Cfg.App.Branch)
		}
		g := byBranch[branch]
		if g == nil {
			g = &prGroup{branch: branch, combined: combined}
			if rp != nil {
				g.header, g.footer = rp.PullRequestHeader, rp.PullRequestFooter
			}
			byBranch[branch] = g
			groups = append(groups, g)
		}
		g.members = append(g.members, m)
	}
	if len(names) == 0 {
		return groups, nil
	}
	var picked []*prGroup
	for _, g := range groups {
		if slices.ContainsFunc(g.members, func(m *prMember) bool { return slices.Contains(names, m.svc.Name) }) {
			picked = append(picked, g)
		}
	}
	return picked, nil
}

// member describes svc in a release pull request, and whether it shares
// the combined one.
func (r *Releaser) member(svc *config.Service, rp *versioning.Config) (*prMember, bool) {
	m := &prMember{svc: svc, changelog: "CHANGELOG.md", path: ".", releaseType: r.Cfg.ReleaseOf(svc).ReleaseType}
	if rp != nil {
		if comp, err := rp.Component(svc.Name); err == nil {
			m.comp, m.changelog, m.component, m.path, m.releaseType = comp, comp.ChangelogPath, comp.Name, comp.Path, comp.ReleaseType
			if m.releaseType == "" {
				m.releaseType = "node" // release-please's default
			}
			return m, !rp.SeparatePullRequests && !comp.SeparatePullRequest
		}
	}
	if m.releaseType == "" {
		m.releaseType = "simple"
	}
	m.component = r.componentName(svc)
	return m, false
}

// prTools checks what release pull requests need: the app forge with its
// editor, and the app remote.
func (r *Releaser) prTools(ctx context.Context) (slipway.PullRequestEditor, string, error) {
	if r.Forge == nil {
		return nil, "", invalid("release.mode pull-request needs the app repository's forge: configure app.forge in %s (the local forge is the default in the CLI)", r.Cfg.Path())
	}
	editor, ok := r.Forge.(slipway.PullRequestEditor)
	if !ok {
		return nil, "", invalid("the %s forge cannot edit pull requests: release pull requests need it", r.Forge.Name())
	}
	remote, err := r.appRemote(ctx)
	if err != nil {
		return nil, "", err
	}
	if remote == "" {
		return nil, "", invalid("release.mode pull-request needs the app repository's remote %s: add it (git remote add %s URL) or set app.remote", r.Cfg.App.Remote, r.Cfg.App.Remote)
	}
	return editor, remote, nil
}

// ReleasePullRequests keeps the release pull requests of the named
// services (every release.mode pull-request service when none is named):
// a merged one is released when the build of its merge commit is
// registered (else it waits, and no new one opens meanwhile, as
// release-please refuses to); then each is opened or brought up to date
// with the main line's tip.
func (r *Releaser) ReleasePullRequests(ctx context.Context, names []string, dryRun bool) (*ReleasePROutcome, error) {
	groups, err := r.prGroups(names)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		for _, m := range g.members {
			if err := r.authorize(ctx, auth.Release, auth.Scope{Service: m.svc.Name}, nil); err != nil {
				return nil, err
			}
		}
	}
	if len(groups) == 0 {
		return nil, invalid("no service releases through a release pull request: set release: {mode: pull-request} (globally or per service) in %s", r.Cfg.Path())
	}
	editor, remote, err := r.prTools(ctx)
	if err != nil {
		return nil, err
	}
	repo := r.appRepo()
	if !dryRun {
		if err := r.fetchApp(ctx, repo, remote); err != nil {
			return nil, err
		}
	}
	tip, err := repo.RefSHA(ctx, "refs/remotes/"+remote+"/"+r.Cfg.App.Branch)
	if err != nil || tip == "" {
		return nil, invalid("branch %s is not on the app remote %s (%v): push it", r.Cfg.App.Branch, remote, err)
	}
	out := &ReleasePROutcome{DryRun: dryRun}
	for _, g := range groups {
		if err := r.keepPR(ctx, g, repo, remote, tip, editor, out); err != nil {
			return out, err
		}
	}
	return out, nil
}

// keepPR releases the group's merged pull request, then opens or updates
// its standing one.
func (r *Releaser) keepPR(ctx context.Context, g *prGroup, repo *git.Repo, remote, tip string, editor slipway.PullRequestEditor, out *ReleasePROutcome) error {
	pr, err := r.Forge.Find(ctx, g.branch)
	switch {
	case slipway.ErrorCode(err) == slipway.ENOTFOUND:
		pr = nil
	case err != nil:
		return forgeError(err)
	}
	if pr != nil && pr.State == slipway.PRMerged && hasLabel(pr.Labels, versioning.LabelPending) {
		waiting, err := r.finishMerged(ctx, g, pr, editor, out)
		if err != nil || waiting || out.DryRun {
			return err // a dry run released nothing: the next pull request would repeat it
		}
	}
	if pr != nil && pr.State != slipway.PROpen {
		pr = nil
	}
	releases, files, err := r.prContent(ctx, g, repo, remote, tip, out)
	if err != nil {
		return err
	}
	if len(releases) == 0 {
		if pr != nil {
			out.Notes = append(out.Notes, fmt.Sprintf("pull request #%d stays as it is: nothing on %s is releasable any more (close it if no release is due)", pr.Number, r.Cfg.App.Branch))
		}
		return nil
	}
	title := versioning.GroupPRTitle(r.Cfg.App.Branch)
	if !g.combined {
		title = versioning.PRTitle(r.Cfg.App.Branch, g.members[0].component, releases[0].Version)
	}
	body := versioning.PRBody(g.header, g.footer, releases, g.combined)
	state := ReleasePR{Branch: g.branch, Title: title, Body: body, Releases: releases, Files: sortedKeys(files)}
	if pr != nil {
		state.Number, state.URL = pr.Number, pr.URL
	}
	if out.DryRun {
		state.Action = "would open"
		if pr != nil {
			state.Action = "would update"
		}
		out.PullRequests = append(out.PullRequests, state)
		return nil
	}
	head, pushed, err := r.pushPRBranch(ctx, repo, remote, g.branch, tip, files, title)
	if err != nil {
		return err
	}
	state.Head = head
	if pr == nil {
		opened, err := r.Forge.Open(ctx, &slipway.PullRequest{Branch: g.branch, Base: r.Cfg.App.Branch, Title: title, Body: body,
			Labels: []string{versioning.LabelPending}, HeadSHA: head, Author: "slipway"})
		if err != nil {
			return forgeError(err)
		}
		state.Number, state.URL, state.Action = opened.Number, opened.URL, "opened"
		r.emit("release", fmt.Sprintf("PR #%d", opened.Number), "opened release pull request #%d %q (%s)", opened.Number, title, g.branch)
	} else {
		if err := editor.EditPullRequest(ctx, pr.Number, title, body); err != nil {
			return forgeError(err)
		}
		if err := editor.Relabel(ctx, pr.Number, []string{versioning.LabelPending}, nil); err != nil {
			return forgeError(err)
		}
		if _, err := r.Forge.Get(ctx, pr.Number); err != nil { // the local forge learns the new head on a read
			return forgeError(err)
		}
		state.Action = "unchanged"
		if pushed || pr.Title != title || pr.Body != body {
			state.Action = "updated"
			r.emit("release", fmt.Sprintf("PR #%d", pr.Number), "updated release pull request #%d %q to %s", pr.Number, title, short(tip))
		}
	}
	out.PullRequests = append(out.PullRequests, state)
	return nil
}

// prContent computes each member's release at tip and the files its
// commit writes: the changelog, the deprecation register, the version
// files of its release-type, the release-please manifest.
func (r *Releaser) prContent(ctx context.Context, g *prGroup, repo *git.Repo, remote, tip string, out *ReleasePROutcome) ([]versioning.PRRelease, map[string][]byte, error) {
	files := map[string][]byte{}
	var releases []versioning.PRRelease
	tree := gitTree{repo: repo, rev: tip}
	for _, m := range g.members {
		vreq, err := r.versionRequest(ctx, m.svc, repo.Dir, tip)
		if err != nil {
			return nil, nil, err
		}
		vreq.UpdateChangelog, vreq.DryRun, vreq.OnRemote = true, true, remote
		vreq.Date, vreq.GitEnv = r.Now(), r.identity().Env()
		vreq.Deprecations = versioning.DeprecationPolicy{Window: r.Cfg.Policy.Window()}
		res, err := versioning.Release(ctx, vreq)
		if errors.Is(err, versioning.ErrNothingToRelease) {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("release pull request of %s at %s: %w", m.svc.Name, short(tip), err)
		}
		if !res.Created {
			continue // the tip is released already
		}
		for p, c := range res.Files {
			files[p] = c
		}
		bump := versioning.VersionBump{ReleaseType: m.releaseType, Path: m.path, Version: res.Version, Component: m.component}
		if m.comp != nil {
			bump.PackageName, bump.VersionFile = m.comp.PackageName, m.comp.VersionFile
		}
		vf, warnings, err := versioning.VersionFiles(tree, bump)
		if err != nil {
			return nil, nil, invalid("release pull request of %s: %v", m.svc.Name, err)
		}
		for p, c := range vf {
			files[p] = c
		}
		for _, w := range warnings {
			out.Notes = append(out.Notes, m.svc.Name+": "+w)
		}
		if m.comp != nil {
			manifest, ok := files[versioning.ReleasePleaseManifestFile]
			if !ok {
				if manifest, err = tree.Read(versioning.ReleasePleaseManifestFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return nil, nil, err
				}
			}
			if manifest, err = versioning.SetManifestVersion(manifest, m.comp.Path, res.Version); err != nil {
				return nil, nil, invalid("%s: %v", versioning.ReleasePleaseManifestFile, err)
			}
			files[versioning.ReleasePleaseManifestFile] = manifest
		}
		releases = append(releases, versioning.PRRelease{Component: m.component, Version: res.Version, Notes: res.Notes})
	}
	return releases, files, nil
}

// pushPRBranch makes the release pull request's commit on tip and points
// its branch at it, unless the branch already holds the same change on
// the same tip. The branch is Slipway's own: it is rebuilt on every new
// tip with a compare-and-swap on what Slipway saw (release-please rebuilds
// its branch the same way), never on the main line.
func (r *Releaser) pushPRBranch(ctx context.Context, repo *git.Repo, remote, branch, tip string, files map[string][]byte, title string) (string, bool, error) {
	old, err := repo.RemoteBranchSHA(ctx, remote, branch)
	if err != nil {
		return "", false, unreachable("app remote "+remote, err)
	}
	sha, err := repo.CommitFiles(ctx, tip, files, r.identity(), repo.AfterParent(ctx, tip, r.Now()), title+"\n")
	if err != nil {
		return "", false, err
	}
	if old != "" {
		if same, err := sameChange(ctx, repo, old, sha); err != nil || same {
			return old, false, err
		}
	}
	if err := repo.PushLease(ctx, remote, sha, branch, old); err != nil {
		if errors.Is(err, git.ErrRejected) {
			return "", false, slipway.Errorf(slipway.ECONFLICT, "branch %s changed on %s while Slipway rebuilt it: run slipway release again", branch, remote)
		}
		return "", false, unreachable("app remote "+remote, err)
	}
	return sha, true, nil
}

// sameChange reports whether two commits have one parent, the same, and
// the same tree (the branch is up to date; only the commit date differs).
func sameChange(ctx context.Context, repo *git.Repo, a, b string) (bool, error) {
	out, err := repo.Run(ctx, "rev-parse", a+"^{tree}", b+"^{tree}", a+"^@", b+"^@")
	if err != nil {
		return false, nil // a is not here (not fetched): rebuild
	}
	f := strings.Fields(out)
	return len(f) == 4 && f[0] == f[1] && f[2] == f[3], nil
}

// finishMerged releases what a merged release pull request released: for
// each of its services, the build of the merge commit (waiting when there
// is none yet). Once every one is released the pull request is relabeled
// "autorelease: tagged". It reports whether a release still waits.
func (r *Releaser) finishMerged(ctx context.Context, g *prGroup, pr *slipway.PullRequest, editor slipway.PullRequestEditor, out *ReleasePROutcome) (bool, error) {
	if pr.MergeSHA == "" {
		return true, fmt.Errorf("release pull request #%d is merged but its forge names no merge commit", pr.Number)
	}
	waiting := false
	for _, m := range g.members {
		mr, err := r.mergedSection(ctx, m, pr)
		if err != nil {
			return true, err
		}
		if mr == nil {
			continue // not released by this pull request
		}
		builds, err := r.buildsAt(ctx, m.svc.Name, pr.MergeSHA)
		if err != nil {
			return true, err
		}
		if len(builds) == 0 {
			w := WaitingRelease{Service: m.svc.Name, Version: mr.version, PR: pr.Number, MergeSHA: pr.MergeSHA}
			out.Waiting = append(out.Waiting, w)
			r.emit("release", short(pr.MergeSHA), "%s", w)
			waiting = true
			continue
		}
		if len(builds) > 1 {
			return true, slipway.Errorf(slipway.ECONFLICT, "%d builds of %s were registered for the merge commit %s of release pull request #%d: release one with slipway release --service %s --build ID", len(builds), m.svc.Name, short(pr.MergeSHA), pr.Number, m.svc.Name)
		}
		o, err := r.Release(ctx, ReleaseRequest{Service: m.svc.Name, BuildID: builds[0].ID, DryRun: out.DryRun})
		if err != nil {
			return true, err
		}
		out.Released = append(out.Released, o)
	}
	if waiting || out.DryRun {
		return waiting, nil
	}
	if err := editor.Relabel(ctx, pr.Number, []string{versioning.LabelTagged}, []string{versioning.LabelPending}); err != nil {
		return false, forgeError(err)
	}
	r.emit("release", fmt.Sprintf("PR #%d", pr.Number), "release pull request #%d is released: labeled %q", pr.Number, versioning.LabelTagged)
	return false, nil
}

// buildsAt lists the service's builds of commit.
func (r *Releaser) buildsAt(ctx context.Context, service, commit string) ([]*slipway.Build, error) {
	all, err := r.Store.Builds.Builds(ctx, service)
	if err != nil {
		return nil, err
	}
	var out []*slipway.Build
	for _, b := range all {
		if b.Commit == commit {
			out = append(out, b)
		}
	}
	return out, nil
}

// mergedSection is the release a merged release pull request made of m,
// proven by the merge commit's content: its changelog's newest section is
// one its first parent did not have. Nil when it released nothing of m.
func (r *Releaser) mergedSection(ctx context.Context, m *prMember, pr *slipway.PullRequest) (*mergedRelease, error) {
	repo := r.appRepo()
	read := func(rev string) ([]byte, error) {
		b, err := repo.ReadFile(ctx, rev, m.changelog, 64<<20)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return b, err
	}
	after, err := read(pr.MergeSHA)
	if err != nil {
		return nil, fmt.Errorf("release pull request #%d: read %s at its merge commit %s (fetch the app remote): %w", pr.Number, m.changelog, short(pr.MergeSHA), err)
	}
	version, notes, err := versioning.NewestSection(after)
	if errors.Is(err, versioning.ErrNoSection) {
		return nil, nil
	}
	parents, err := repo.Parents(ctx, pr.MergeSHA)
	if err != nil || len(parents) == 0 {
		return nil, err
	}
	before, err := read(parents[0])
	if err != nil || versioning.HasSection(before, version) {
		return nil, err
	}
	return &mergedRelease{pr: pr, version: version, notes: notes}, nil
}

// mergedReleaseOf finds the merged release pull request whose merge
// commit b is a build of, and what it released of b's service (nil when
// b's commit is not such a merge).
func (r *Releaser) mergedReleaseOf(ctx context.Context, svc *config.Service, b *slipway.Build) (*mergedRelease, error) {
	groups, err := r.prGroups([]string{svc.Name})
	if err != nil {
		return nil, err
	}
	if r.Forge == nil {
		return nil, invalid("service %s releases through a release pull request (release.mode: pull-request), which needs the app forge: configure app.forge", svc.Name)
	}
	for _, g := range groups {
		pr, err := r.Forge.Find(ctx, g.branch)
		if slipway.ErrorCode(err) == slipway.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, forgeError(err)
		}
		if pr.State != slipway.PRMerged || pr.MergeSHA != b.Commit {
			continue
		}
		for _, m := range g.members {
			if m.svc.Name == svc.Name {
				return r.mergedSection(ctx, m, pr)
			}
		}
	}
	return nil, nil
}

// MergeReleasePR merges a release pull request as user (on the local
// forge: `slipway pr merge`) and releases what it can: the tag waits for
// the build of the merge commit.
func (r *Releaser) MergeReleasePR(ctx context.Context, number int, user string) (*ReleasePROutcome, error) {
	if err := r.authorize(ctx, auth.Merge, auth.Scope{}, &user); err != nil {
		return nil, err
	}
	pr, err := r.ReleasePR(ctx, number)
	if err != nil {
		return nil, err
	}
	if pr.State == slipway.PROpen {
		merged, err := r.Forge.Merge(ctx, number, pr.HeadSHA, user)
		if err != nil {
			return nil, forgeError(err)
		}
		r.emit("forge", fmt.Sprintf("PR #%d", number), "%s merged release pull request #%d into %s (%s)", user, number, merged.Base, short(merged.MergeSHA))
	}
	groups, err := r.prGroups(nil)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, g := range groups {
		if g.branch == pr.Branch {
			for _, m := range g.members {
				names = append(names, m.svc.Name)
			}
		}
	}
	return r.ReleasePullRequests(ctx, names, false)
}

// ReleasePR returns pull request number when it is a release pull request
// of the app forge (its branch and its release-please label say so), else
// ENOTFOUND.
func (r *Releaser) ReleasePR(ctx context.Context, number int) (*slipway.PullRequest, error) {
	if r.Forge == nil {
		return nil, slipway.Errorf(slipway.ENOTFOUND, "no app forge: pull request #%d is not a release pull request", number)
	}
	pr, err := r.Forge.Get(ctx, number)
	if err != nil {
		return nil, err
	}
	if !versioning.IsPRBranch(pr.Branch) || pr.Base != r.Cfg.App.Branch || !hasLabel(pr.Labels, versioning.LabelPending) && !hasLabel(pr.Labels, versioning.LabelTagged) {
		return nil, slipway.Errorf(slipway.ENOTFOUND, "pull request #%d is not a release pull request", number)
	}
	return pr, nil
}

func hasLabel(labels []string, name string) bool {
	return slices.ContainsFunc(labels, func(l string) bool { return strings.EqualFold(l, name) })
}

// gitTree reads a commit's files for versioning.VersionFiles.
type gitTree struct {
	repo *git.Repo
	rev  string
}

func (t gitTree) Read(p string) ([]byte, error) {
	return t.repo.ReadFile(context.Background(), t.rev, p, 16<<20)
}

func (t gitTree) Find(dir, name string) ([]string, error) {
	out, err := t.repo.Run(context.Background(), "ls-tree", "-r", "-z", "--name-only", "--full-tree", t.rev, "--", dir)
	if err != nil {
		return nil, err
	}
	var found []string
	for _, p := range strings.Split(out, "\x00") {
		if p != "" && path.Base(p) == name {
			found = append(found, p)
		}
	}
	return found, nil
}
