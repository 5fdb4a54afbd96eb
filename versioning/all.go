package versioning

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/slipway/slipway/changelog"
	"github.com/slipway/slipway/conventional"
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
// Reverts count within a release as for Next (Rules.Reverts).
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
	filter := pathFilter{include: cleanPaths(req.Paths), exclude: cleanPaths(req.ExcludePaths)}
	// Git's default order streams; --topo-order must walk everything
	// before printing anything. Default order is topological unless commit
	// dates are skewed, which the walk detects; it then starts over in
	// topological order.
	w, err := attribute(ctx, repo, targetSHA, tags, own, filter, req.Rules, false)
	if errors.Is(err, errOutOfOrder) {
		w, err = attribute(ctx, repo, targetSHA, tags, own, filter, req.Rules, true)
	}
	if err != nil {
		return nil, err
	}
	reached, perRelease := w.reached, w.perRelease
	out := make([]changelog.Release, 0, len(tags))
	for i := len(tags) - 1; i >= 0; i-- {
		if !reached[i] {
			continue
		}
		commits := perRelease[i]
		perRelease[i] = nil // freed as the releases are assembled
		if commits, err = req.Rules.counted(commits); err != nil {
			return nil, err
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

// errOutOfOrder reports a parent read before one of its children.
var errOutOfOrder = errors.New("history not in topological order")

// walk is what attribute finds: per release (ascending), its commits, and
// which release tags the walk met.
type walk struct {
	perRelease [][]Commit
	reached    []bool
}

// attribute reads history from the target once and gives each commit to
// the lowest release whose tag reaches it: a commit's release is its own
// tag's, or the lowest of its children's, passed on to its parents. That
// needs children before parents; without topo it checks that instead and
// returns errOutOfOrder when a parent was read first.
func attribute(ctx context.Context, repo *git.Repo, targetSHA string, tags []versionTag, own map[string]int32, filter pathFilter, rules Rules, topo bool) (walk, error) {
	sr := rules.revertRule() == revertsSemanticRelease
	w := walk{perRelease: make([][]Commit, len(tags)), reached: make([]bool, len(tags))}
	pending := map[string]int32{}
	const none = int32(-1)
	// done holds a 64-bit prefix of every hash read (without topo): a
	// parent already in it was read before its child. A prefix collision
	// only costs a needless topological rerun.
	done := map[uint64]struct{}{}
	key := func(sha string) uint64 {
		k, _ := strconv.ParseUint(sha[:min(16, len(sha))], 16, 64)
		return k
	}
	var targets []string // hashes named by reverts read so far
	isTarget := func(sha string) bool {
		for _, t := range targets {
			if strings.HasPrefix(sha, t) {
				return true
			}
		}
		return false
	}
	_, err := repo.Log(ctx, git.LogOptions{Revs: []string{targetSHA}, Files: filter.active(), TopoOrder: topo, NoIdentity: true}, func(e *git.LogEntry) error {
		if !topo {
			for _, p := range e.Parents {
				if _, seen := done[key(p)]; seen {
					return errOutOfOrder
				}
			}
			done[key(e.SHA)] = struct{}{}
		}
		rel, ok := pending[e.SHA]
		if !ok {
			rel = none
		}
		delete(pending, e.SHA)
		if o, ok := own[e.SHA]; ok {
			for i := range tags {
				if tags[i].tag.Commit == e.SHA {
					w.reached[i] = true
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
		if sr {
			// The analyzer's view needs the message, which compaction
			// drops; its revert may name a commit by another hash form.
			s := c.semrel()
			s.header, s.hash = strings.Clone(s.header), strings.Clone(s.hash)
			if s.revert != nil {
				s.revert = &conventional.AngularRevert{Header: strings.Clone(s.revert.Header), Hash: strings.Clone(s.revert.Hash)}
				targets = append(targets, s.revert.Hash)
			}
		}
		if compactForChangelog(&c, rules.Sections, isTarget(c.SHA) || sr && c.sr.isRevert) {
			w.perRelease[rel] = append(w.perRelease[rel], c)
		}
		return nil
	})
	return w, err
}
