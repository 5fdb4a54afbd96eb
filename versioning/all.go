package versioning

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/slipway/slipway/changelog"
	"github.com/slipway/slipway/git"
)

// AllReleases rebuilds every release of a component from its tags in ONE
// pass over history (newest release first), for `changelog --all`.
//
// A commit belongs to the lowest release whose tag can reach it: the first
// release that shipped it. With --topo-order every child is read before
// its parents, so the release of a commit is known when it is read (its
// own tag, or the lowest release of its children) and passed on to its
// parents. Commits no tag reaches are unreleased and not listed.
// Reverts cancel within a release, as for Next.
func AllReleases(ctx context.Context, req Request) ([]changelog.Release, error) {
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
	all, err := repo.Tags(ctx, "")
	if err != nil {
		return nil, err
	}
	tags := pickTags(all, format)
	// Ascending versions: the release index order.
	sort.SliceStable(tags, func(i, j int) bool { return tags[i].v.LessThan(tags[j].v) })
	if len(tags) == 0 {
		return nil, nil
	}
	own := map[string]int32{} // tagged commit → lowest release index
	for i := len(tags) - 1; i >= 0; i-- {
		own[tags[i].tag.Commit] = int32(i)
	}
	// One walk from the target: tags it never meets are not releases of
	// this line of history; commits after the newest tag are unreleased.
	reached := make([]bool, len(tags))
	filter := pathFilter{include: cleanPaths(req.Paths), exclude: cleanPaths(req.ExcludePaths)}
	sections := req.Rules.Sections
	perRelease := make([][]Commit, len(tags))
	pending := map[string]int32{}
	const none = int32(-1)
	var targets []string // hashes named by reverts read so far
	isTarget := func(sha string) bool {
		for _, t := range targets {
			if strings.HasPrefix(sha, t) {
				return true
			}
		}
		return false
	}
	_, err = repo.Log(ctx, git.LogOptions{Revs: []string{targetSHA}, Files: filter.active(), TopoOrder: true}, func(e *git.LogEntry) error {
		rel, ok := pending[e.SHA]
		if !ok {
			rel = none
		}
		delete(pending, e.SHA)
		if o, ok := own[e.SHA]; ok {
			for i := range tags {
				if tags[i].tag.Commit == e.SHA {
					reached[i] = true
				}
			}
			if rel == none || o < rel {
				rel = o
			}
		}
		for _, p := range e.Parents {
			cur, ok := pending[p]
			if !ok || rel != none && (cur == none || rel < cur) {
				pending[p] = rel
			}
		}
		if rel == none || !filter.touches(e.Files) {
			return nil
		}
		c := newCommit(e)
		if r := c.Entries[len(c.Entries)-1].Revert; r != nil && r.SHA != "" {
			// git log is newest first: the reverted commit comes later.
			targets = append(targets, strings.Clone(r.SHA))
		}
		if compactForChangelog(&c, sections, isTarget(c.SHA)) {
			perRelease[rel] = append(perRelease[rel], c)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]changelog.Release, 0, len(tags))
	for i := len(tags) - 1; i >= 0; i-- {
		if !reached[i] {
			continue
		}
		commits := perRelease[i]
		perRelease[i] = nil // freed as the releases are assembled
		if !req.Rules.KeepReverts {
			cancelReverts(commits)
			commits = live(commits)
		}
		rel := changelog.Release{
			Version: tags[i].v.String(),
			Tag:     tags[i].tag.Name,
			Date:    time.Unix(tags[i].tag.Date, 0).UTC(),
			Entries: entries(commits),
		}
		for j := i - 1; j >= 0; j-- {
			if reached[j] {
				rel.PreviousTag = tags[j].tag.Name
				break
			}
		}
		out = append(out, rel)
	}
	return out, nil
}
