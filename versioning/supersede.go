package versioning

import (
	"context"
	"regexp"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/slipway/slipway/conventional"
	"github.com/slipway/slipway/git"
)

// This file keeps a main-line changelog from repeating what a maintenance
// (hotfix) release already announced. A commit of the release's range was
// "first released" in a hotfix release when it is a commit of that release
// (the hotfix branch was merged), makes the same change (`git patch-id
// --stable`: a cherry-pick), or the two are tied by git's
// `(cherry picked from commit <sha>)` line in either direction. A marker
// line is text anyone can write, so it counts only when the commit it
// names belongs to a hotfix release and both commits carry the same
// Conventional header and change the same files.

// superseded is what findSuperseded learns about a range.
type superseded struct {
	// first maps a commit of the range to the hotfix release tag that
	// first released its change.
	first map[string]string
	// tags are those releases, lowest version first.
	tags []string
}

// hotfixCommit is a commit released from a maintenance branch.
type hotfixCommit struct {
	tag    string
	header conventional.Commit
	picked string // the commit its (cherry picked from commit …) line names
}

var cherryPickedRE = regexp.MustCompile(`(?m)^\(cherry picked from commit ([0-9a-f]{40}|[0-9a-f]{64})\)\s*$`)

// cherryPickedFrom returns the commit a message's last cherry-pick line names.
func cherryPickedFrom(msg string) string {
	m := cherryPickedRE.FindAllStringSubmatch(msg, -1)
	if len(m) == 0 {
		return ""
	}
	return m[len(m)-1][1]
}

// findSuperseded looks for the changes of res (a main-line release) that
// maintenance releases made first: releases of the component not reachable
// from the previous release, with a lower version.
func findSuperseded(ctx context.Context, repo *git.Repo, format TagFormat, res *Result) (superseded, error) {
	out := superseded{first: map[string]string{}}
	if res.PreviousTag == "" || len(res.History) == 0 {
		return out, nil
	}
	last, err := semver.StrictNewVersion(res.Current)
	if err != nil {
		return out, nil
	}
	lastSHA, err := repo.ResolveCommit(ctx, res.PreviousTag)
	if err != nil {
		return out, err
	}
	other, err := repo.TagsNotMerged(ctx, lastSHA)
	if err != nil {
		return out, err
	}
	var cands []versionTag
	for _, t := range pickTags(other, format) {
		if t.v.Prerelease() == "" && t.v.LessThan(last) {
			cands = append(cands, t)
		}
	}
	if len(cands) == 0 {
		return out, nil
	}
	slices.SortFunc(cands, func(a, b versionTag) int { return a.v.Compare(b.v) })

	// Each hotfix commit belongs to the lowest release that contains it.
	hot := map[string]*hotfixCommit{}
	revs := []string{"^" + lastSHA}
	for _, c := range cands {
		shas, err := repo.Run(ctx, "rev-list", c.tag.Commit, "^"+lastSHA, "--")
		if err != nil {
			return out, err
		}
		for _, sha := range strings.Fields(shas) {
			if hot[sha] == nil {
				hot[sha] = &hotfixCommit{tag: c.tag.Name}
			}
		}
		revs = append(revs, c.tag.Commit)
	}
	if len(hot) == 0 {
		return out, nil
	}
	byPicked := map[string]string{} // commit a hotfix commit was picked from → that hotfix commit
	if _, err := repo.Log(ctx, git.LogOptions{Revs: revs, NoIdentity: true}, func(e *git.LogEntry) error {
		h := hot[e.SHA]
		if h == nil {
			return nil
		}
		h.header = conventional.Parse(e.Message).Main()
		if h.picked = cherryPickedFrom(e.Message); h.picked != "" {
			byPicked[h.picked] = e.SHA
		}
		return nil
	}); err != nil {
		return out, err
	}
	hotIDs, err := repo.PatchIDs(ctx, revs)
	if err != nil {
		return out, err
	}
	byPatch := map[string]string{} // patch id → hotfix commit (lowest release first)
	for _, c := range cands {
		for sha, h := range hot {
			if id := hotIDs[sha]; h.tag == c.tag.Name && id != "" && byPatch[id] == "" {
				byPatch[id] = sha
			}
		}
	}
	rangeIDs, err := repo.PatchIDs(ctx, []string{res.TargetSHA, "^" + lastSHA})
	if err != nil {
		return out, err
	}
	used := map[string]bool{}
	for i := range res.History {
		c := &res.History[i]
		var tag string
		switch {
		case hot[c.SHA] != nil: // the hotfix branch was merged
			tag = hot[c.SHA].tag
		case rangeIDs[c.SHA] != "" && byPatch[rangeIDs[c.SHA]] != "":
			tag = hot[byPatch[rangeIDs[c.SHA]]].tag
		default:
			if h := byPicked[c.SHA]; h != "" && sameChange(ctx, repo, c, h, hot[h]) {
				tag = hot[h].tag
			} else if from := cherryPickedFrom(c.message); hot[from] != nil && sameChange(ctx, repo, c, from, hot[from]) {
				tag = hot[from].tag
			}
		}
		if tag != "" {
			out.first[c.SHA] = tag
			used[tag] = true
		}
	}
	for _, c := range cands {
		if used[c.tag.Name] {
			out.tags = append(out.tags, c.tag.Name)
		}
	}
	return out, nil
}

// sameChange verifies a cherry-pick marker by content: the same
// Conventional header and the same changed files.
func sameChange(ctx context.Context, repo *git.Repo, c *Commit, hotSHA string, h *hotfixCommit) bool {
	if len(c.Entries) == 0 || h == nil {
		return false
	}
	a, b := c.Entries[len(c.Entries)-1], h.header
	if !a.Conventional || !b.Conventional || a.Type != b.Type || a.Scope != b.Scope || a.Description != b.Description {
		return false
	}
	fa, err := repo.FilesOf(ctx, c.SHA)
	if err != nil {
		return false
	}
	fb, err := repo.FilesOf(ctx, hotSHA)
	if err != nil {
		return false
	}
	slices.Sort(fa)
	slices.Sort(fb)
	return len(fa) > 0 && slices.Equal(fa, fb)
}
