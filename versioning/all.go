package versioning

import (
	"context"
	"sort"
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
	reach, err := repo.Tags(ctx, targetSHA)
	if err != nil {
		return nil, err
	}
	tags := pickTags(reach, format)
	// Ascending versions: the release index order.
	sort.SliceStable(tags, func(i, j int) bool { return tags[i].v.LessThan(tags[j].v) })
	if len(tags) == 0 {
		return nil, nil
	}
	own := map[string]int32{} // tagged commit → lowest release index
	for i := len(tags) - 1; i >= 0; i-- {
		own[tags[i].tag.Commit] = int32(i)
	}
	// The walk starts at the newest tag: commits after it are unreleased.
	revs := []string{}
	seen := map[string]bool{}
	for _, t := range tags {
		if !seen[t.tag.Commit] {
			seen[t.tag.Commit] = true
			revs = append(revs, t.tag.Commit)
		}
	}
	filter := pathFilter{include: cleanPaths(req.Paths), exclude: cleanPaths(req.ExcludePaths)}
	perRelease := make([][]Commit, len(tags))
	pending := map[string]int32{}
	const none = int32(-1)
	_, err = repo.Log(ctx, git.LogOptions{Revs: revs, Files: filter.active(), TopoOrder: true}, func(e *git.LogEntry) error {
		rel, ok := pending[e.SHA]
		if !ok {
			rel = none
		}
		delete(pending, e.SHA)
		if o, ok := own[e.SHA]; ok && (rel == none || o < rel) {
			rel = o
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
		c.files, c.parents = nil, nil
		perRelease[rel] = append(perRelease[rel], c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]changelog.Release, 0, len(tags))
	for i := len(tags) - 1; i >= 0; i-- {
		commits := perRelease[i]
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
		if i > 0 {
			rel.PreviousTag = tags[i-1].tag.Name
		}
		out = append(out, rel)
	}
	return out, nil
}
