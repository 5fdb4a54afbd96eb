package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/auth"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/git"
	"github.com/slipway/slipway/versioning"
)

// Releaser publishes releases beyond the local clone: the annotated tag
// and the changelog commit pushed to the app repository's remote
// (app.remote), a release page on the app repository's forge, and in
// release.mode pull-request the standing release pull requests. The
// wiring gives it the app forge (app.forge, or the local forge over the
// app repository).
type Releaser struct {
	*Engine
	// Forge holds the app repository's release pull requests (nil: none;
	// release.mode pull-request then refuses to run).
	Forge slipway.Forge
	// Pages publishes release pages (nil: none, as on the local forge,
	// where the annotated tag is the release's page).
	Pages slipway.ReleaseHost
	// crash, set by tests, fails the release right after the named step
	// (tagged, pushed, published), as a killed process would.
	crash func(step string) error
}

// ReleaseOutcome is what a release did, or in a dry run would do.
type ReleaseOutcome struct {
	Release *slipway.Release
	DryRun  bool
	// Remote is the app remote pushed to ("" when the app repository has
	// none: the tag and the changelog commit stay local).
	Remote string
	// Pushes are the refs pushed (or to push), in one atomic push.
	Pushes []RefPush
	// Files are the files the changelog commit writes.
	Files []string
	// Page is the release page, PageAction what became of it: created,
	// updated, unchanged (or "would create", "would update").
	Page       *slipway.ForgeRelease
	PageAction string
}

// RefPush is one ref of a release's push.
type RefPush struct {
	Ref  string // refs/heads/main, refs/tags/v1.2.0
	From string // the remote's value before ("" for a new ref)
	To   string // the value pushed ("" in a dry run for a commit not made yet)
	Note string // what it is, for people
}

// Release releases the build of r: in release.mode tag, the next version
// from the Conventional Commits up to its commit; in release.mode
// pull-request, the version of the merged release pull request whose
// merge commit the build is of. The tag and the changelog commit are
// pushed to the app remote (never forced; a main line that moved gets the
// changelog commit re-applied on its new tip), then the release page is
// made or brought up to date. Run again after a crash, it finishes.
func (r *Releaser) Release(ctx context.Context, req ReleaseRequest) (*ReleaseOutcome, error) {
	if err := r.authorize(ctx, auth.Release, auth.Scope{Service: req.Service}, nil); err != nil {
		return nil, err
	}
	svc, err := r.Cfg.Service(req.Service)
	if err != nil {
		return nil, invalid("%v", err)
	}
	b, err := r.Store.Builds.Build(ctx, req.BuildID)
	if err != nil {
		return nil, err
	}
	if b.Service != svc.Name {
		return nil, invalid("build %s belongs to service %s, not %s", b.ID, b.Service, svc.Name)
	}
	repo := r.appRepo()
	remote, err := r.appRemote(ctx)
	if err != nil {
		return nil, err
	}
	if remote != "" && !req.DryRun {
		if err := r.fetchApp(ctx, repo, remote); err != nil {
			return nil, err
		}
	}
	out := &ReleaseOutcome{DryRun: req.DryRun, Remote: remote}
	rel, err := r.Store.Releases.ReleaseOfBuild(ctx, b.ID)
	if err != nil {
		return nil, err
	}
	// The changelog commit is built on the remote's main line when it has
	// one; a remote without it (never pushed) gets the tag only.
	onRemote := ""
	if remote != "" {
		if sha, err := repo.RefSHA(ctx, "refs/remotes/"+remote+"/"+r.Cfg.App.Branch); err != nil {
			return nil, err
		} else if sha != "" {
			onRemote = remote
		}
	}
	var made *versioning.ReleaseResult
	if rel == nil {
		vreq, err := r.releaseRequest(ctx, svc, b, repo.Dir, onRemote)
		if err != nil {
			return nil, err
		}
		if rel, made, err = r.tagRelease(ctx, svc, b, vreq, req, remote, onRemote); err != nil {
			return nil, err
		}
		out.Files = sortedKeys(made.Files)
	}
	out.Release = rel
	if err := r.step("tagged"); err != nil {
		return out, err
	}
	if err := r.publishGit(ctx, repo, remote, onRemote, rel, made, out); err != nil {
		return out, err
	}
	if err := r.step("pushed"); err != nil {
		return out, err
	}
	if err := r.publishPage(ctx, svc, b, rel, out); err != nil {
		return out, err
	}
	if err := r.step("published"); err != nil || req.DryRun || made == nil {
		return out, err
	}
	// A build already green in an environment may now enter the next one.
	for _, env := range r.Cfg.Environments {
		if err := r.autoPromoteNext(ctx, b, env.Name); err != nil {
			return out, err
		}
	}
	return out, nil
}

func (r *Releaser) step(name string) error {
	if r.crash == nil {
		return nil
	}
	return r.crash(name)
}

// releaseRequest is how b's release is computed: by tag (the service's
// rules), or in release.mode pull-request from the merged release pull
// request the build's commit is the merge of.
func (r *Releaser) releaseRequest(ctx context.Context, svc *config.Service, b *slipway.Build, dir, remote string) (versioning.ReleaseRequest, error) {
	vreq, err := r.versionRequest(ctx, svc, dir, b.Commit)
	if err != nil {
		return vreq, err
	}
	if r.Cfg.ReleaseOf(svc).Mode != config.ReleasePullRequest {
		if remote != "" {
			vreq.UpdateChangelog = true // built on the remote's branch: the work tree is not touched
		} else {
			vreq.UpdateChangelog = clean(ctx, dir)
		}
		return vreq, nil
	}
	merged, err := r.mergedReleaseOf(ctx, svc, b)
	if err != nil {
		return vreq, err
	}
	if merged == nil { // not a release pull request's merge: a hotfix branch releases by tag
		if onMain, err := r.onMainLine(ctx, b.Commit, remote); err != nil || !onMain {
			vreq.UpdateChangelog = remote != "" || clean(ctx, dir)
			return vreq, err
		}
		return vreq, slipway.Errorf(slipway.ECONFLICT, "service %s releases through its release pull request (release.mode: pull-request), and build %s (commit %s) is not the merge of one: run `slipway release --service %s` to open or update it, merge it, then release the build of its merge commit", svc.Name, b.ID, short(b.Commit), svc.Name)
	}
	if err := versionAbove(ctx, vreq.Request, merged); err != nil {
		return vreq, err
	}
	vreq.Rules.ReleaseAs, vreq.Notes = merged.version, merged.notes
	vreq.UpdateChangelog = false // the pull request's commit wrote it
	return vreq, nil
}

// versionAbove refuses a merged release pull request whose changelog
// names a version not above the service's latest release: whoever can
// merge decides the version (release-please lets them edit it), but never
// one that goes back.
func versionAbove(ctx context.Context, req versioning.Request, merged *mergedRelease) error {
	v, err := semver.StrictNewVersion(merged.version)
	if err != nil {
		return slipway.Errorf(slipway.ECONFLICT, "release pull request #%d: its changelog's newest section names %q, not a SemVer version: nothing was tagged", merged.pr.Number, merged.version)
	}
	req.SummaryOnly = true
	res, err := versioning.Next(ctx, req)
	if err != nil {
		return err
	}
	if res.Current == "" {
		return nil
	}
	if cur, err := semver.NewVersion(res.Current); err == nil && !v.GreaterThan(cur) {
		return slipway.Errorf(slipway.ECONFLICT, "release pull request #%d releases %s, which is not above the latest release %s of %s: nothing was tagged; fix the changelog on main and release again", merged.pr.Number, merged.version, res.Current, orComponent(req.Component))
	}
	return nil
}

func orComponent(c string) string {
	if c == "" {
		return "the repository"
	}
	return c
}

// onMainLine reports whether commit is in the main line's history.
func (r *Releaser) onMainLine(ctx context.Context, commit, remote string) (bool, error) {
	ref := "refs/heads/" + r.Cfg.App.Branch
	if remote != "" {
		ref = "refs/remotes/" + remote + "/" + r.Cfg.App.Branch
	}
	repo := r.appRepo()
	if sha, err := repo.RefSHA(ctx, ref); err != nil || sha == "" {
		return false, err
	}
	return repo.IsAncestor(ctx, commit, ref)
}

// appRepo is the application repository, acting as Slipway.
func (r *Releaser) appRepo() *git.Repo {
	return &git.Repo{Dir: r.Cfg.Resolve(r.Cfg.App.Repo), Env: r.identity().Env()}
}

// appRemote is app.remote when the app repository has it, else "" (the
// release then stays in the local clone, as before remotes were pushed).
func (r *Releaser) appRemote(ctx context.Context) (string, error) {
	ok, err := r.appRepo().HasRemote(ctx, r.Cfg.App.Remote)
	if err != nil {
		return "", fmt.Errorf("app repository %s: %w", r.Cfg.Resolve(r.Cfg.App.Repo), err)
	}
	if !ok {
		return "", nil
	}
	return r.Cfg.App.Remote, nil
}

// fetchApp brings the remote's branches into its remote-tracking refs, so
// the release is computed on what the remote holds.
func (r *Releaser) fetchApp(ctx context.Context, repo *git.Repo, remote string) error {
	if _, err := repo.Run(ctx, "fetch", "--quiet", "--no-tags", "--", remote, "+refs/heads/*:refs/remotes/"+remote+"/*"); err != nil {
		return unreachable("app remote "+remote, err)
	}
	return nil
}

// remoteTagFree refuses a tag the remote has on another commit than
// commit: nothing is written, and the message names both commits.
func (r *Releaser) remoteTagFree(ctx context.Context, remote, tag, commit string) error {
	at, err := r.appRepo().RemoteTag(ctx, remote, tag)
	if err != nil {
		return unreachable("app remote "+remote, err)
	}
	if at != "" && at != commit {
		return slipway.Errorf(slipway.ECONFLICT, "tag %s is on the app remote %s at %s, and this release would tag %s: a version is released once; nothing was written or pushed (fetch the tag and find out who released it; delete it on the remote only if that release was never published)", tag, remote, short(at), short(commit))
	}
	return nil
}

// publishGit pushes the tag and the changelog commit to the remote in one
// atomic push, or says what it would push.
func (r *Releaser) publishGit(ctx context.Context, repo *git.Repo, remote, onRemote string, rel *slipway.Release, made *versioning.ReleaseResult, out *ReleaseOutcome) error {
	if remote == "" {
		if made != nil && !out.DryRun {
			r.emit("release", rel.Tag, "the app repository has no remote %s: %s and its changelog commit stay in %s (add the remote, app.remote, to publish them)", r.Cfg.App.Remote, rel.Tag, repo.Dir)
		}
		return nil
	}
	if made != nil && made.ChangelogCommit != "" && onRemote == "" && !out.DryRun {
		r.emit("release", rel.Tag, "%s has no branch %s: the changelog commit %s stays on the local branch (push it); the tag is pushed", remote, r.Cfg.App.Branch, short(made.ChangelogCommit))
		made = &versioning.ReleaseResult{Tag: made.Tag, ChangelogBranch: made.ChangelogBranch}
	}
	tagAt, err := repo.RemoteTag(ctx, remote, rel.Tag)
	if err != nil {
		return unreachable("app remote "+remote, err)
	}
	if tagAt != "" && tagAt != rel.Commit {
		return r.remoteTagFree(ctx, remote, rel.Tag, rel.Commit)
	}
	var extra []string
	if tagAt == "" {
		extra = []string{"refs/tags/" + rel.Tag + ":refs/tags/" + rel.Tag}
		out.Pushes = append(out.Pushes, RefPush{Ref: "refs/tags/" + rel.Tag, To: rel.Commit, Note: "annotated tag naming " + rel.BuildID})
	}
	commit, branch, err := r.changelogCommit(ctx, repo, rel, made)
	if err != nil {
		return err
	}
	if out.DryRun {
		if made == nil && commit != "" {
			if landed, _ := repo.IsAncestor(ctx, commit, "refs/remotes/"+remote+"/"+branch); !landed {
				out.Pushes = append([]RefPush{{Ref: "refs/heads/" + branch, To: commit, Note: "the changelog commit made before (re-applied if " + branch + " moved)"}}, out.Pushes...)
			}
		}
		return r.describeChangelogPush(ctx, repo, remote, rel, made, out)
	}
	if commit == "" {
		if len(extra) == 0 {
			return nil
		}
		if err := repo.PushAtomic(ctx, remote, extra...); err != nil {
			return unreachable("app remote "+remote, err)
		}
		r.emit("release", rel.Tag, "pushed %s to %s", rel.Tag, remote)
		return nil
	}
	from, _ := repo.RefSHA(ctx, "refs/remotes/"+remote+"/"+branch)
	landed, err := repo.PublishCommit(ctx, git.Publish{
		Remote: remote, Branch: branch, Commit: commit, Extra: extra,
		Rebased: func(old, new string) error {
			r.emit("release", short(new), "%s moved on %s: the changelog commit of %s is re-applied on it as %s", branch, remote, rel.Tag, short(new))
			return repo.UpdateRef(ctx, versioning.ChangelogRef(rel.Tag), new, old, "slipway: changelog commit re-applied")
		},
	})
	switch {
	case errors.Is(err, git.ErrConflict):
		return slipway.Errorf(slipway.ECONFLICT, "%s moved on %s and its changes conflict with the changelog commit of %s (%v): resolve by hand (the commit is %s), or release again", branch, remote, rel.Tag, err, versioning.ChangelogRef(rel.Tag))
	case errors.Is(err, git.ErrRejected):
		return slipway.Errorf(slipway.ECONFLICT, "%s refused the release push of %s (%v): a protected branch or a tag elsewhere; nothing was forced", remote, rel.Tag, err)
	case err != nil:
		return unreachable("app remote "+remote, err)
	}
	if landed != from {
		out.Pushes = append(out.Pushes, RefPush{Ref: "refs/heads/" + branch, From: from, To: landed, Note: "chore(release): " + rel.Tag})
	}
	r.emit("release", rel.Tag, "pushed %s and the changelog commit %s to %s/%s", rel.Tag, short(landed), remote, branch)
	if moved, err := repo.FastForwardBranch(ctx, branch, landed); err == nil && moved {
		r.emit("release", short(landed), "the local %s follows it", branch)
	}
	return nil
}

// changelogCommit is the release's changelog commit waiting to be pushed
// and the branch it belongs on ("" when there is none: no changelog
// commit was made, or it was pushed and the ref is gone).
func (r *Releaser) changelogCommit(ctx context.Context, repo *git.Repo, rel *slipway.Release, made *versioning.ReleaseResult) (string, string, error) {
	branch := r.Cfg.App.Branch
	if made != nil && made.ChangelogBranch != "" {
		branch = made.ChangelogBranch
	} else if msg, err := repo.TagMessage(ctx, rel.Tag); err == nil {
		// The annotation Slipway wrote says which maintenance branch.
		for _, l := range strings.Split(msg, "\n") {
			if b, ok := strings.CutPrefix(l, "Maintenance-Branch: "); ok {
				branch, _, _ = strings.Cut(b, " ")
			}
		}
	}
	if made != nil && made.ChangelogCommit != "" {
		return made.ChangelogCommit, branch, nil
	}
	sha, err := repo.RefSHA(ctx, versioning.ChangelogRef(rel.Tag))
	return sha, branch, err
}

// describeChangelogPush fills a dry run's pushes: the changelog commit
// that would be made on the remote's branch.
func (r *Releaser) describeChangelogPush(ctx context.Context, repo *git.Repo, remote string, rel *slipway.Release, made *versioning.ReleaseResult, out *ReleaseOutcome) error {
	branch := r.Cfg.App.Branch
	if made != nil && made.ChangelogBranch != "" {
		branch = made.ChangelogBranch
	}
	if made == nil || len(made.Files) == 0 {
		return nil
	}
	tip, err := repo.RemoteBranchSHA(ctx, remote, branch)
	if err != nil {
		return unreachable("app remote "+remote, err)
	}
	note := fmt.Sprintf("a new commit \"chore(release): %s\" on %s writing %s", rel.Tag, short(tip), strings.Join(sortedKeys(made.Files), ", "))
	if tip != made.ChangelogParent {
		note += fmt.Sprintf(" (the local %s/%s is at %s: fetched first, the commit goes on the remote's tip)", remote, branch, short(made.ChangelogParent))
	}
	out.Pushes = append([]RefPush{{Ref: "refs/heads/" + branch, From: tip, Note: note}}, out.Pushes...)
	return nil
}

// publishPage makes or updates the release page on the app forge.
func (r *Releaser) publishPage(ctx context.Context, svc *config.Service, b *slipway.Build, rel *slipway.Release, out *ReleaseOutcome) error {
	if r.Pages == nil {
		return nil
	}
	want := r.page(svc, b, rel)
	out.Page = want
	have, err := r.Pages.FindRelease(ctx, rel.Tag)
	switch {
	case slipway.ErrorCode(err) == slipway.ENOTFOUND:
		if out.DryRun {
			out.PageAction = "would create"
			return nil
		}
		made, err := r.Pages.CreateRelease(ctx, want)
		if slipway.ErrorCode(err) == slipway.ECONFLICT { // made by an attempt that timed out
			return r.publishPage(ctx, svc, b, rel, out)
		}
		if err != nil {
			return forgeError(err)
		}
		out.Page, out.PageAction = made, "created"
		r.emit("release", rel.Tag, "release page of %s created: %s", rel.Tag, made.URL)
		return nil
	case err != nil:
		return forgeError(err)
	}
	if have.Name == want.Name && strings.TrimSpace(have.Notes) == strings.TrimSpace(want.Notes) && (have.Prerelease == want.Prerelease || !want.Prerelease && !have.Prerelease) {
		out.Page, out.PageAction = have, "unchanged"
		return nil
	}
	if out.DryRun {
		out.PageAction = "would update"
		return nil
	}
	want.ID = have.ID
	updated, err := r.Pages.UpdateRelease(ctx, want)
	if err != nil {
		return forgeError(err)
	}
	out.Page, out.PageAction = updated, "updated"
	r.emit("release", rel.Tag, "release page of %s updated: %s", rel.Tag, updated.URL)
	return nil
}

// page is the release page of rel: release-please's name, the changelog
// section, then what Slipway adds: the image digest, its platforms, the
// build and the signature.
func (r *Releaser) page(svc *config.Service, b *slipway.Build, rel *slipway.Release) *slipway.ForgeRelease {
	name := "v" + rel.Version
	if c := r.componentName(svc); c != "" {
		name = c + ": " + name
	}
	pre := false
	if v, err := semver.NewVersion(rel.Version); err == nil {
		pre = v.Prerelease() != ""
	}
	return &slipway.ForgeRelease{Tag: rel.Tag, Commit: rel.Commit, Name: name, Notes: pageNotes(r.Cfg.ReleaseOf(svc), b, rel), Prerelease: pre}
}

// pageNotes renders the notes of a release page.
func pageNotes(cfg config.Release, b *slipway.Build, rel *slipway.Release) string {
	var s strings.Builder
	s.WriteString(strings.TrimSpace(rel.Notes))
	s.WriteString("\n\n### Image\n\n")
	fmt.Fprintf(&s, "- **Image:** `%s`\n", b.Ref())
	fmt.Fprintf(&s, "- **Digest:** `%s`\n", b.Digest)
	platforms := "single-platform image"
	if len(b.Platforms) > 0 {
		platforms = strings.Join(b.Platforms, ", ")
	}
	fmt.Fprintf(&s, "- **Platforms:** %s\n", platforms)
	fill := strings.NewReplacer("{service}", b.Service, "{build}", b.ID, "{commit}", b.Commit, "{digest}", b.Digest, "{image}", b.Image,
		"{signature}", b.SignatureDigest, "{tlog}", b.RekorEntry)
	build := fmt.Sprintf("`%s`", b.ID)
	if cfg.BuildURL != "" {
		build = fmt.Sprintf("[%s](%s)", b.ID, fill.Replace(cfg.BuildURL))
	}
	fmt.Fprintf(&s, "- **Build:** %s from commit %s\n", build, b.Commit)
	if b.SignatureDigest != "" {
		sig := fmt.Sprintf("`%s@%s`", b.Image, b.SignatureDigest)
		if cfg.SignatureURL != "" {
			sig = fmt.Sprintf("[%s](%s)", sig, fill.Replace(cfg.SignatureURL))
		}
		fmt.Fprintf(&s, "- **Signature:** %s", sig)
		if b.KeyID != "" {
			fmt.Fprintf(&s, ", signed by `%s`", b.KeyID)
		}
		if b.RekorEntry != "" {
			fmt.Fprintf(&s, ", transparency-log entry %s", b.RekorEntry)
		}
		s.WriteString("\n")
	}
	if b.SBOMDigest != "" {
		fmt.Fprintf(&s, "- **SBOM:** `%s`\n", b.SBOMDigest)
	}
	s.WriteString("\nThe tag names this digest; nothing was rebuilt. Verify the signature with `cosign verify` before you run it.\n")
	return s.String()
}

// componentName is the component as release-please names it in titles
// and release names: a release-please component's name, else the service
// when its tags carry it ({component} in tagFormat), else "".
func (r *Releaser) componentName(svc *config.Service) string {
	if rp, err := versioning.LoadReleasePlease(r.Cfg.Resolve(r.Cfg.App.Repo)); err == nil && rp != nil {
		if c, err := rp.Component(svc.Name); err == nil {
			return c.Name
		}
	}
	if strings.Contains(svc.TagFormat, "{component}") {
		return svc.Name
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
