package versioning

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/slipway/slipway/changelog"
	"github.com/slipway/slipway/git"
)

// ErrNothingToRelease is returned by Release when the range has nothing
// releasable under the component's rules.
var ErrNothingToRelease = errors.New("nothing to release")

// ReleaseRequest asks to release one component at a given commit.
type ReleaseRequest struct {
	// Request selects the component and rules; Target is REQUIRED here:
	// the build's source commit, which need not be HEAD.
	Request
	// UpdateChangelog prepends the section to ChangelogPath in a
	// `chore(release): <tag>` commit on the current branch. It needs a
	// clean work tree (Release fails, changing nothing, otherwise).
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
}

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
	// Created is false when the tag already existed on Commit (the call was
	// a repeat); Next and Notes then come from the existing tag.
	Created bool
	// Next is the full computation (nil for a repeat).
	Next *Result
}

// Release computes the next version from history up to req.Target,
// optionally records the changelog section in a commit, and creates an
// annotated tag on req.Target whose message carries req.TagLines. It never
// builds anything. It is idempotent: when a release tag of the component
// already points at the target it is returned (Created == false); a tag of
// the computed name on another commit is an error wrapping
// git.ErrTagElsewhere.
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
	out := &ReleaseResult{Version: res.Next, Tag: res.Tag, Commit: target, Created: true, Next: res,
		Notes: changelog.Markdown(res.ChangelogRelease(date), opts)}
	if req.UpdateChangelog {
		if out.ChangelogCommit, err = commitChangelog(ctx, repo, req, out); err != nil {
			return nil, err
		}
	}
	if err := repo.CreateTag(ctx, res.Tag, target, tagMessage(res.Tag, req.TagLines, out.Notes)); err != nil {
		return nil, fmt.Errorf("release %s: %w", res.Tag, err)
	}
	return out, nil
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

// commitChangelog prepends the section and commits it on the current
// branch. A changelog that already has the version (a crash after the
// commit, before the tag) is left alone.
func commitChangelog(ctx context.Context, repo *git.Repo, req ReleaseRequest, rel *ReleaseResult) (string, error) {
	status, err := repo.Run(ctx, "status", "--porcelain", "--untracked-files=no")
	if err != nil {
		return "", err
	}
	if status != "" {
		return "", fmt.Errorf("release %s: the work tree of %s has uncommitted changes, so the changelog commit could include them: commit them first, or release without updating the changelog", rel.Tag, req.Dir)
	}
	rel.Notes = strings.TrimSpace(rel.Notes)
	path := req.ChangelogPath
	if path == "" {
		path = "CHANGELOG.md"
	}
	full := filepath.Join(req.Dir, filepath.FromSlash(path))
	old, err := os.ReadFile(full)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	heading := regexp.MustCompile(`(?m)^#{2,3} \[?` + regexp.QuoteMeta(rel.Version) + `[\]\s]`)
	if heading.Match(old) {
		return "", nil
	}
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(full, []byte(changelog.Prepend(string(old), rel.Notes)), 0o644); err != nil {
		return "", err
	}
	if _, err := repo.Run(ctx, "add", "--", path); err != nil {
		return "", err
	}
	if _, err := repo.Run(ctx, "commit", "-q", "-m", "chore(release): "+rel.Tag, "--", path); err != nil {
		return "", err
	}
	return repo.Run(ctx, "rev-parse", "HEAD")
}
