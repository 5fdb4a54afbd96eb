// Package versioning computes the next SemVer of a component from the
// Conventional Commits since its last release, with the exact rules of
// release-please (default) or semantic-release, offline, from the local
// clone, in one pass over the range.
package versioning

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/slipway/slipway/changelog"
	"github.com/slipway/slipway/git"
)

// Request asks for the next version of one component.
type Request struct {
	// Dir is the repository (a work tree or a bare clone).
	Dir string
	// Component names the component ("" for a single-package repository).
	Component string
	// Paths limit the component to commits touching them (a service's
	// source paths in a monorepo); empty means the whole repository.
	Paths []string
	// ExcludePaths are ignored when deciding whether a commit touches
	// the component (release-please's exclude-paths).
	ExcludePaths []string
	// TagFormat, e.g. "v{version}" (default), "{component}-v{version}",
	// "{component}/v{version}".
	TagFormat string
	Rules     Rules
	// Prerelease is "", "rc", "beta", "alpha" (any SemVer identifier).
	Prerelease string
	// Target is the commit to release (default HEAD): history is read up
	// to it, and the tag would go on it.
	Target string
	// LastReleaseSHA overrides the last release found from tags
	// (release-please's last-release-sha / bootstrap-sha): the range
	// starts after it.
	LastReleaseSHA string
	// CurrentVersion is used when no tag of the component is reachable
	// (a release-please manifest's version, or with LastReleaseSHA).
	CurrentVersion string
	// SummaryOnly decides the range while it streams and keeps nothing:
	// Result.History and Result.Entries stay empty. For `version next` on
	// long ranges, where memory would otherwise grow with the range.
	SummaryOnly bool
	// Branches, when set, recognizes a target on a maintenance (hotfix)
	// branch: its version must then fall inside the branch's range
	// (ErrOutOfRange) and may not be a prerelease. Nil: no branch rules.
	Branches *BranchPolicy
}

// Result is the next version and everything it was computed from.
type Result struct {
	Component string `json:"component"`
	Current   string `json:"current"`
	Next      string `json:"next"`
	Bump      string `json:"bump"`
	Tag       string `json:"tag"`
	// Commits counts the git commits of the component's range.
	Commits  int  `json:"commits"`
	Breaking bool `json:"breaking"`
	// PreviousTag is the tag of Current ("" before the first release).
	PreviousTag string `json:"previousTag,omitempty"`
	// TargetSHA is the full hash of the commit the release is for.
	TargetSHA string `json:"targetSha"`
	// Released is false when nothing releasable is in the range.
	Released bool `json:"released"`

	// History is every git commit of the range, newest first, including
	// the reverts and reverted commits the preset drops (marked Reverted).
	History []Commit `json:"-"`
	// Entries are the Conventional Commits that count (see RevertRule).
	Entries []changelog.Entry `json:"-"`
	// Dependencies lists workspace dependencies released along (set by
	// Plan for node-workspace components).
	Dependencies []changelog.DependencyUpdate `json:"-"`
	// Maintenance is the maintenance branch the target is released from
	// (nil on the main line, or without Request.Branches).
	Maintenance *Maintenance `json:"maintenance,omitempty"`
}

// People are every author, committer and Co-authored-by of the range,
// unique by e-mail: whoever may not approve this release's promotion.
func (r *Result) People() []Person { return uniquePeople(r.History) }

// ChangelogRelease is the changelog input for this result, dated date.
func (r *Result) ChangelogRelease(date time.Time) changelog.Release {
	return changelog.Release{
		Version: r.Next, Tag: r.Tag, PreviousTag: r.PreviousTag, Date: date,
		Entries: r.Entries, Dependencies: r.Dependencies,
	}
}

// lastRelease is a component's starting point.
type lastRelease struct {
	version *semver.Version // nil before the first release
	tag     string
	sha     string
}

// componentTags are the SemVer tags of one component.
type componentTags struct {
	format TagFormat
	all    []versionTag // every tag, highest first
}

type versionTag struct {
	v   *semver.Version
	tag git.Tag
}

func loadTags(ctx context.Context, repo *git.Repo, format TagFormat) (componentTags, error) {
	all, err := repo.Tags(ctx, "")
	if err != nil {
		return componentTags{}, err
	}
	return componentTags{format: format, all: pickTags(all, format)}, nil
}

// highestStable is the highest stable version, reachable or not.
func (ct componentTags) highestStable() (versionTag, bool) {
	for _, t := range ct.all {
		if t.v.Prerelease() == "" {
			return t, true
		}
	}
	return versionTag{}, false
}

// latestStable is the highest stable version reachable from target. It
// asks git about the candidates from the highest down and stops at the
// first ancestor, which is usually the first asked: far cheaper than
// listing every reachable tag (`--merged` walks the whole history).
func (ct componentTags) latestStable(ctx context.Context, repo *git.Repo, target string) (versionTag, bool, error) {
	checked := map[string]bool{}
	for _, t := range ct.all {
		if t.v.Prerelease() != "" {
			continue
		}
		reach, ok := checked[t.tag.Commit]
		if !ok {
			var err error
			if reach, err = repo.IsAncestor(ctx, t.tag.Commit, target); err != nil {
				return versionTag{}, false, err
			}
			checked[t.tag.Commit] = reach
		}
		if reach {
			return t, true, nil
		}
	}
	return versionTag{}, false, nil
}

// Next computes the next version of one component. With req.Branches, a
// target on a maintenance branch gets the branch's rules (see
// maintenance.go).
func Next(ctx context.Context, req Request) (*Result, error) {
	res, err := next(ctx, req)
	if err != nil || req.Branches == nil {
		return res, err
	}
	format, err := ParseTagFormat(req.TagFormat, req.Component)
	if err != nil {
		return nil, err
	}
	m, err := req.Branches.find(ctx, git.Open(req.Dir), req.Component, format, res.TargetSHA)
	if err != nil || m == nil {
		return res, err
	}
	res.Maintenance = m
	if req.Prerelease != "" {
		return nil, fmt.Errorf("prerelease %q from maintenance branch %s: %w: release the fix as %s without a prerelease id", req.Prerelease, m.Branch, ErrPrereleaseOnMaintenance, m.Range)
	}
	return res, m.checkRange(res, req.Rules, req.Branches.Release)
}

// next is Next without the branch rules.
func next(ctx context.Context, req Request) (*Result, error) {
	repo := git.Open(req.Dir)
	target := req.Target
	if target == "" {
		target = "HEAD"
	}
	targetSHA, err := repo.ResolveCommit(ctx, target)
	if err != nil {
		return nil, err
	}
	format, err := ParseTagFormat(req.TagFormat, req.Component)
	if err != nil {
		return nil, err
	}
	if req.Prerelease != "" && !prereleaseIDRe.MatchString(req.Prerelease) {
		return nil, fmt.Errorf("prerelease %q: use a SemVer identifier such as rc, beta or alpha", req.Prerelease)
	}
	tags, err := loadTags(ctx, repo, format)
	if err != nil {
		return nil, err
	}
	filter := pathFilter{include: cleanPaths(req.Paths), exclude: cleanPaths(req.ExcludePaths)}
	// Optimistic path: the highest stable tag is almost always reachable.
	// Read its range and confirm the ancestry from the same pass (it is
	// then a boundary commit of the range); asking git first would walk the
	// history once more.
	if req.LastReleaseSHA == "" {
		if cand, ok := tags.highestStable(); ok {
			last := lastRelease{version: cand.v, tag: cand.tag.Name, sha: cand.tag.Commit}
			res, confirmed, err := readAndDecide(ctx, repo, req, format, tags, last, targetSHA, filter)
			if err != nil || confirmed {
				return res, err
			}
		}
	}
	last, err := findLastRelease(ctx, repo, req, tags, targetSHA)
	if err != nil {
		return nil, err
	}
	res, _, err := readAndDecide(ctx, repo, req, format, tags, last, targetSHA, filter)
	return res, err
}

// readAndDecide reads last..target and decides it. confirmed reports that
// last (if any) is an ancestor of the target, as seen during the read.
func readAndDecide(ctx context.Context, repo *git.Repo, req Request, format TagFormat, tags componentTags, last lastRelease, targetSHA string, filter pathFilter) (res *Result, confirmed bool, err error) {
	revs := []string{targetSHA}
	confirmed = last.sha == "" || last.sha == targetSHA
	if last.sha != "" {
		revs = append(revs, "^"+last.sha)
	}
	onBoundary := func(sha string) {
		if sha == last.sha {
			confirmed = true
		}
	}
	if req.SummaryOnly {
		t, kept, err := summarizeRange(ctx, repo, revs, filter, req.Rules, onBoundary)
		if err != nil || !confirmed {
			return nil, false, err
		}
		res := &Result{Component: req.Component, Commits: kept, TargetSHA: targetSHA, PreviousTag: last.tag}
		res, err = finishResult(res, req, format, tags, last, t.decision(last.version))
		return res, true, err
	}
	commits, total, err := readRange(ctx, repo, revs, filter, onBoundary)
	if err != nil || !confirmed {
		return nil, false, err
	}
	if !filter.active() && len(commits) != total {
		return nil, false, fmt.Errorf("internal error: %d of %d commits kept without a path filter", len(commits), total)
	}
	res, err = decideResult(req, format, tags, last, targetSHA, commits)
	return res, true, err
}

var prereleaseIDRe = regexp.MustCompile(`^[0-9A-Za-z-]+$`)

// findLastRelease applies the overrides, then the tags.
func findLastRelease(ctx context.Context, repo *git.Repo, req Request, tags componentTags, target string) (lastRelease, error) {
	var manifest *semver.Version
	if req.CurrentVersion != "" {
		v, err := semver.StrictNewVersion(strings.TrimPrefix(req.CurrentVersion, "v"))
		if err != nil {
			return lastRelease{}, fmt.Errorf("current version %q of component %q is not SemVer (x.y.z): fix the manifest", req.CurrentVersion, req.Component)
		}
		manifest = v
	}
	if req.LastReleaseSHA != "" {
		sha, err := repo.ResolveCommit(ctx, req.LastReleaseSHA)
		if err != nil {
			return lastRelease{}, fmt.Errorf("last-release-sha: %w", err)
		}
		lr := lastRelease{sha: sha, version: manifest}
		// A tag on that commit names its version, if any.
		for _, t := range tags.all {
			if t.tag.Commit == sha && t.v.Prerelease() == "" {
				lr.version, lr.tag = t.v, t.tag.Name
				break
			}
		}
		return lr, nil
	}
	t, ok, err := tags.latestStable(ctx, repo, target)
	if err != nil {
		return lastRelease{}, err
	}
	if ok {
		return lastRelease{version: t.v, tag: t.tag.Name, sha: t.tag.Commit}, nil
	}
	return lastRelease{version: manifest}, nil
}

// decideResult turns the range into a Result.
func decideResult(req Request, format TagFormat, tags componentTags, last lastRelease, targetSHA string, commits []Commit) (*Result, error) {
	res := &Result{
		Component:   req.Component,
		Commits:     len(commits),
		TargetSHA:   targetSHA,
		History:     commits,
		PreviousTag: last.tag,
	}
	counted, err := req.Rules.counted(commits)
	if err != nil {
		return nil, err
	}
	res.Entries = entries(counted)
	return finishResult(res, req, format, tags, last, req.Rules.decide(last.version, counted))
}

// finishResult turns a decision into versions and a tag.
func finishResult(res *Result, req Request, format TagFormat, tags componentTags, last lastRelease, d decision) (*Result, error) {
	res.Breaking = d.breaking

	cur := last.version
	zero := semver.MustParse("0.0.0")
	if cur == nil {
		cur = zero
	}
	res.Current = cur.String()
	next, bump, err := nextStable(req, last.version, d)
	if err != nil {
		return nil, err
	}
	if bump == BumpNone {
		res.Next, res.Bump, res.Tag = res.Current, BumpNone.String(), last.tag
		return res, nil
	}
	res.Released = true
	res.Bump = bump.String()
	if req.Prerelease != "" {
		pre, current := nextPrerelease(next, req.Prerelease, tags, res.TargetSHA)
		if current != nil {
			res.Current = current.v.String()
			res.PreviousTag = current.tag.Name
		}
		next = pre
	}
	res.Next = next.String()
	res.Tag = format.Tag(next)
	return res, nil
}

// nextStable applies the decision to the last stable version.
func nextStable(req Request, cur *semver.Version, d decision) (*semver.Version, Bump, error) {
	if d.releaseAs != "" {
		v, err := semver.StrictNewVersion(strings.TrimPrefix(d.releaseAs, "v"))
		if err != nil {
			return nil, BumpNone, fmt.Errorf("release-as %q of component %q is not a SemVer version (x.y.z): fix the Release-As footer or the release-as setting", d.releaseAs, req.Component)
		}
		if cur != nil && v.Equal(cur) {
			return cur, BumpNone, nil
		}
		return v, bumpBetween(cur, v), nil
	}
	if d.bump == BumpNone {
		return cur, BumpNone, nil
	}
	if cur == nil {
		// First release: release-please and semantic-release both start
		// at 1.0.0 whatever the commits say.
		return semver.MustParse("1.0.0"), BumpMajor, nil
	}
	return apply(cur, d.bump), d.bump, nil
}

// nextPrerelease numbers X.Y.Z-id.N on from the highest existing
// prerelease of that target and id (any tag, reachable or not), starting
// at 1. When that highest prerelease already tags the target commit, it
// is returned again (idempotent). current is the highest existing
// prerelease of the target, if any.
func nextPrerelease(target *semver.Version, id string, tags componentTags, targetSHA string) (*semver.Version, *versionTag) {
	highest, n := -1, 0
	var current *versionTag
	prefix := id + "."
	for i, t := range tags.all {
		if t.v.Major() != target.Major() || t.v.Minor() != target.Minor() || t.v.Patch() != target.Patch() {
			continue
		}
		pre := t.v.Prerelease()
		if !strings.HasPrefix(pre, prefix) {
			continue
		}
		k, err := strconv.Atoi(pre[len(prefix):])
		if err != nil || k < 0 {
			continue
		}
		if k > highest {
			highest, current = k, &tags.all[i]
		}
	}
	if current != nil && current.tag.Commit == targetSHA {
		return current.v, current
	}
	n = highest + 1
	if n < 1 {
		n = 1
	}
	v := semver.New(target.Major(), target.Minor(), target.Patch(), fmt.Sprintf("%s.%d", id, n), "")
	return v, current
}
