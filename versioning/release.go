package versioning

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/slipway/slipway/changelog"
	"github.com/slipway/slipway/git"
	"github.com/slipway/slipway/versioning/deprecation"
)

// ErrNothingToRelease is returned by Release when the range has nothing
// releasable under the component's rules.
var ErrNothingToRelease = errors.New("nothing to release")

// ReleaseRequest asks to release one component at a given commit.
type ReleaseRequest struct {
	// Request selects the component and rules; Target is REQUIRED here:
	// the build's source commit, which need not be HEAD.
	Request
	// UpdateChangelog prepends the section to ChangelogPath, and writes
	// the deprecation register, in one `chore(release): <tag>` commit: on
	// the current branch (it needs a clean work tree: Release fails,
	// changing nothing, otherwise), or for a hotfix release on its
	// maintenance branch (without touching the work tree when another
	// branch is checked out).
	UpdateChangelog bool
	// ChangelogPath relative to the repository root (default CHANGELOG.md).
	ChangelogPath string
	// Dependencies are workspace dependency updates released along (from
	// Plan's result for this component): the section gets a "Dependencies"
	// part, as release-please's node-workspace plugin writes it.
	Dependencies []changelog.DependencyUpdate
	// TagLines are added to the tag annotation, one per line, e.g.
	// "Digest: sha256:…", "Image: repo@sha256:…".
	TagLines []string
	// Date of the section (default now, UTC).
	Date time.Time
	// Changelog options; Sections default to Rules.Sections.
	Changelog changelog.Options
	// GitEnv is added to the environment of the git commands that write
	// (the release commit's and the tag's identity, e.g.
	// GIT_COMMITTER_NAME=slipway).
	GitEnv []string
	// Deprecations keeps the register and enforces the window.
	Deprecations DeprecationPolicy
	// OnRemote, when set, names the remote whose remote-tracking branch
	// the changelog commit is built on (refs/remotes/<OnRemote>/<branch>,
	// the main line's or the maintenance branch's), from git's object
	// database: no work tree and no local branch is touched, and the work
	// tree may be dirty. The commit is kept under ChangelogRef(tag) until
	// it is pushed; the caller pushes it (git.Repo.PublishCommit) and
	// fetches the branch first.
	OnRemote string
	// DryRun computes the release and the files its changelog commit would
	// write (ReleaseResult.Files) and writes nothing: no commit, no tag.
	DryRun bool
	// CheckTag, when set, is asked about the computed tag before anything
	// is written (e.g. whether the remote has it on another commit); its
	// error refuses the release.
	CheckTag func(tag string) error
	// Notes, when set, are the release's notes as given (a merged release
	// pull request's changelog section) instead of ones computed anew.
	Notes string
}

// ChangelogRef is where a release's changelog commit built OnRemote is
// kept until it is pushed, so a release run again after a crash pushes
// the commit it made instead of making another.
func ChangelogRef(tag string) string { return "refs/slipway/changelog/" + tag }

// ReleaseResult is a created (or found) release.
type ReleaseResult struct {
	Version string
	Tag     string
	// Commit is the tagged commit.
	Commit string
	// Notes is the Markdown changelog section.
	Notes string
	// ChangelogCommit is the `chore(release)` commit, "" when none was made.
	ChangelogCommit string
	// ChangelogBranch is the branch that commit is on ("" for the work
	// tree's current branch). A hotfix release commits on its maintenance
	// branch; push it with the tag.
	ChangelogBranch string
	// Created is false when the tag already existed on Commit (the call was
	// a repeat); Next and Notes then come from the existing tag.
	Created bool
	// Next is the full computation (nil for a repeat).
	Next *Result
	// Maintenance is the branch a hotfix release was cut from (nil on the
	// main line).
	Maintenance *Maintenance
	// Supersedes are the hotfix releases that first released some of this
	// release's changes (their entries are left out of its notes).
	Supersedes []string
	// Deprecated are the register entries this release added; Removed the
	// ones it removed (EarlyRemoval set for those inside their window).
	Deprecated []deprecation.Entry
	Removed    []deprecation.Entry
	// Warnings are problems that did not stop the release: a malformed
	// Deprecated: footer, a Removes: footer naming nothing.
	Warnings []string
	// Files are what the changelog commit writes (CHANGELOG.md, the
	// deprecation register), set when UpdateChangelog is (also for a dry
	// run); empty when the changelog already had the section.
	Files map[string][]byte
	// ChangelogParent is the commit the changelog commit is built on.
	ChangelogParent string
}

// DeprecationPolicy is how a release keeps the deprecation register.
type DeprecationPolicy struct {
	// File is the register's path in the repository (default
	// deprecation.File, deprecations.yaml).
	File string
	// Window refuses a release that removes a deprecated thing inside it
	// (ErrDeprecationWindow); zero enforces nothing.
	Window deprecation.Window
	// AllowEarlyRemoval is the reason to remove inside the window anyway;
	// it is written to the register and the tag annotation.
	AllowEarlyRemoval string
}

// Release computes the next version from history up to req.Target,
// optionally records the changelog section (and the deprecation register)
// in a commit, and creates an annotated tag on req.Target whose message
// carries req.TagLines. It never builds anything. It is idempotent: when a
// release tag of the component already points at the target it is
// returned (Created == false); a tag of the computed name on another
// commit is an error wrapping git.ErrTagElsewhere. Every refusal comes
// before the first write.
func Release(ctx context.Context, req ReleaseRequest) (*ReleaseResult, error) {
	if req.Target == "" {
		return nil, fmt.Errorf("release of %q: no target commit given (pass the build's source commit)", req.Component)
	}
	repo := &git.Repo{Dir: req.Dir, Env: req.GitEnv}
	target, err := repo.ResolveCommit(ctx, req.Target)
	if err != nil {
		return nil, err
	}
	req.Target = target
	format, err := ParseTagFormat(req.TagFormat, req.Component)
	if err != nil {
		return nil, err
	}
	if done, err := existingRelease(ctx, repo, format, req); done != nil || err != nil {
		if done != nil && req.OnRemote != "" {
			// A repeat: the changelog commit made before the crash, if any.
			done.ChangelogCommit, err = repo.RefSHA(ctx, ChangelogRef(done.Tag))
		}
		return done, err
	}
	res, err := Next(ctx, req.Request)
	if err != nil {
		return nil, err
	}
	if !res.Released {
		return nil, fmt.Errorf("release of %q at %s: %w since %s (%d commits, none releasable under %s rules)",
			req.Component, target[:12], ErrNothingToRelease, orBeginning(res.PreviousTag), res.Commits, presetName(req.Rules.Preset))
	}
	if err := tagFree(ctx, repo, res); err != nil {
		return nil, err
	}
	if req.CheckTag != nil {
		if err := req.CheckTag(res.Tag); err != nil {
			return nil, err
		}
	}
	dest, err := destinationOf(ctx, repo, req, res)
	if err != nil {
		return nil, err
	}
	date := req.Date
	if date.IsZero() {
		date = time.Now().UTC()
	}
	opts := req.Changelog
	if opts.Sections == nil {
		opts.Sections = req.Rules.Sections
	}
	if len(req.Dependencies) > 0 {
		res.Dependencies = req.Dependencies
	}
	out := &ReleaseResult{Version: res.Next, Tag: res.Tag, Commit: target, Created: true, Next: res, Maintenance: res.Maintenance}
	regPath := req.Deprecations.File
	if regPath == "" {
		regPath = deprecation.File
	}
	regSrc, err := dest.read(ctx, repo, regPath, 4<<20)
	if err != nil {
		return nil, err
	}
	dep, err := keepRegister(ctx, repo, format, req, res, regPath, regSrc, date)
	if err != nil {
		return nil, err
	}
	out.Deprecated, out.Removed, out.Warnings = dep.added, dep.removed, dep.warnings
	rel := res.ChangelogRelease(date)
	rel.Removed = dep.notes
	if res.Maintenance == nil {
		sup, err := findSuperseded(ctx, repo, format, res)
		if err != nil {
			return nil, fmt.Errorf("release %s: find fixes first released from hotfix branches: %w", res.Tag, err)
		}
		rel.Entries = slices.DeleteFunc(rel.Entries, func(e changelog.Entry) bool { return sup.first[e.SHA] != "" })
		rel.Supersedes, out.Supersedes = sup.tags, sup.tags
	}
	out.Notes = strings.TrimSpace(changelog.Markdown(rel, opts))
	if req.Notes != "" {
		out.Notes = strings.TrimSpace(req.Notes)
	}
	out.ChangelogBranch, out.ChangelogParent = dest.branch, dest.parent
	if req.UpdateChangelog {
		files := map[string][]byte{}
		clPath := req.ChangelogPath
		if clPath == "" {
			clPath = "CHANGELOG.md"
		}
		old, err := dest.read(ctx, repo, clPath, 64<<20)
		if err != nil {
			return nil, err
		}
		if !HasSection(old, out.Version) { // else a crash after the commit, before the tag: leave it
			files[clPath] = []byte(changelog.Prepend(string(old), out.Notes))
			if reg, err := dep.reg.Bytes(); err != nil {
				return nil, fmt.Errorf("release %s: %w", res.Tag, err)
			} else if !bytes.Equal(reg, regSrc) {
				files[regPath] = reg
			}
			out.Files = files
			if req.DryRun {
				return out, nil
			}
			if out.ChangelogCommit, err = dest.commit(ctx, repo, req, files, "chore(release): "+res.Tag, date); err != nil {
				return nil, fmt.Errorf("release %s: changelog commit: %w", res.Tag, err)
			}
			if req.OnRemote != "" {
				if err := keepChangelogCommit(ctx, repo, res.Tag, out.ChangelogCommit); err != nil {
					return nil, err
				}
			}
		}
	}
	if req.DryRun {
		return out, nil
	}
	lines := append(append([]string(nil), req.TagLines...), releaseLines(out, req.Deprecations.AllowEarlyRemoval)...)
	if err := repo.CreateTag(ctx, res.Tag, target, tagMessage(res.Tag, lines, out.Notes)); err != nil {
		return nil, fmt.Errorf("release %s: %w", res.Tag, err)
	}
	return out, nil
}

// HasSection reports whether a changelog already has the section of
// version (a "## 1.2.3" or "### [1.2.3](…)" heading).
func HasSection(changelogMD []byte, version string) bool {
	heading := regexp.MustCompile(`(?m)^#{2,3} \[?` + regexp.QuoteMeta(version) + `[\]\s]`)
	return heading.Match(changelogMD)
}

// keepChangelogCommit records the changelog commit under ChangelogRef.
func keepChangelogCommit(ctx context.Context, repo *git.Repo, tag, sha string) error {
	old, err := repo.RefSHA(ctx, ChangelogRef(tag))
	if err != nil {
		return err
	}
	return repo.UpdateRef(ctx, ChangelogRef(tag), sha, old, "slipway: changelog commit of "+tag)
}

// tagFree refuses a version whose tag exists on another commit, before
// anything is written.
func tagFree(ctx context.Context, repo *git.Repo, res *Result) error {
	at, err := repo.RefSHA(ctx, "refs/tags/"+res.Tag)
	if err != nil || at == "" || at == res.TargetSHA {
		return err
	}
	where := ""
	if m := res.Maintenance; m != nil {
		where = fmt.Sprintf(" %s was already released from another commit: two branches serve the %s line? release it from the branch that holds %s, or land this fix there", res.Next, m.Line, res.Tag)
	} else {
		where = fmt.Sprintf(" a version is released once: the tag stays where it is (delete it only if that release was never published)")
	}
	return fmt.Errorf("release %s at %s: tag %s points at %s: %w;%s", res.Next, short(res.TargetSHA), res.Tag, short(at), git.ErrTagElsewhere, where)
}

// releaseLines are the annotation lines Slipway adds about the release:
// its branch, what it supersedes, deprecates and removes.
func releaseLines(out *ReleaseResult, early string) []string {
	var lines []string
	if m := out.Maintenance; m != nil {
		lines = append(lines, fmt.Sprintf("Maintenance-Branch: %s (%s)", m.Branch, m.Range))
	}
	if len(out.Supersedes) > 0 {
		lines = append(lines, "Supersedes: "+strings.Join(out.Supersedes, ", "))
	}
	var ids []string
	for _, e := range out.Deprecated {
		ids = append(ids, e.ID)
	}
	if len(ids) > 0 {
		lines = append(lines, "Deprecates: "+strings.Join(ids, ", "))
	}
	ids = nil
	for _, e := range out.Removed {
		ids = append(ids, e.ID)
		if e.EarlyRemoval != "" {
			lines = append(lines, fmt.Sprintf("Early-Removal: %s (deprecated in %s): %s", e.ID, e.Since, e.EarlyRemoval))
		}
	}
	if len(ids) > 0 {
		lines = append([]string{"Removes: " + strings.Join(ids, ", ")}, lines...)
	}
	return lines
}

func orBeginning(tag string) string {
	if tag == "" {
		return "the first commit"
	}
	return tag
}

func presetName(p Preset) string {
	if p == "" {
		return string(PresetReleasePlease)
	}
	return string(p)
}

// existingRelease finds a tag of the component already on the target
// (for a prerelease request, a prerelease of that id; else a stable one).
func existingRelease(ctx context.Context, repo *git.Repo, format TagFormat, req ReleaseRequest) (*ReleaseResult, error) {
	tags, err := repo.Tags(ctx, req.Target)
	if err != nil {
		return nil, err
	}
	for _, vt := range pickTags(tags, format) {
		if vt.tag.Commit != req.Target {
			continue
		}
		pre := vt.v.Prerelease()
		if (req.Prerelease == "") != (pre == "") || req.Prerelease != "" && !strings.HasPrefix(pre, req.Prerelease+".") {
			continue
		}
		msg, err := repo.TagMessage(ctx, vt.tag.Name)
		if err != nil {
			return nil, err
		}
		return &ReleaseResult{Version: vt.v.String(), Tag: vt.tag.Name, Commit: req.Target, Notes: notesFromTag(msg)}, nil
	}
	return nil, nil
}

// tagMessage is the annotation: the tag name, the caller's lines (digest,
// image), then the notes. Lines first, so they are easy to read back.
func tagMessage(tag string, lines []string, notes string) string {
	var b strings.Builder
	b.WriteString(tag + "\n\n")
	if len(lines) > 0 {
		b.WriteString(strings.Join(lines, "\n") + "\n\n")
	}
	b.WriteString(notes + "\n")
	return b.String()
}

// notesFromTag returns the notes part of an annotation written by
// tagMessage (everything from the first "## " heading).
func notesFromTag(msg string) string {
	if i := strings.Index(msg, "## "); i >= 0 {
		return strings.TrimSpace(msg[i:])
	}
	return ""
}
