package versioning

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/slipway/slipway/changelog"
	"github.com/slipway/slipway/git"
)

// PlanOptions apply to every component of a plan.
type PlanOptions struct {
	Target     string // default HEAD
	Prerelease string
	// Preset, when set, replaces every component's preset.
	Preset Preset
}

// Plan computes the next version of every component of cfg in ONE pass
// over history, then applies the node-workspace and linked-versions
// plugins. Results are in cfg order.
//
// Each commit goes to the components whose paths it touches (a file
// belongs to the deepest package containing it; the root package "."
// gets every commit, as in release-please), and only when it is not
// reachable from that component's last release. Reachability is worked
// out during the pass: with --topo-order children come before parents,
// so a commit's "reachable from release i" bits are final when it is read.
func Plan(ctx context.Context, dir string, cfg *Config, opts PlanOptions) ([]*Result, error) {
	if len(cfg.Components) > 64 {
		return nil, fmt.Errorf("%d components: at most 64 are supported in one plan", len(cfg.Components))
	}
	repo := git.Open(dir)
	target := opts.Target
	if target == "" {
		target = "HEAD"
	}
	targetSHA, err := repo.ResolveCommit(ctx, target)
	if err != nil {
		return nil, err
	}
	if opts.Prerelease != "" && !prereleaseIDRe.MatchString(opts.Prerelease) {
		return nil, fmt.Errorf("prerelease %q: use a SemVer identifier such as rc, beta or alpha", opts.Prerelease)
	}
	allTags, err := repo.Tags(ctx, "")
	if err != nil {
		return nil, err
	}

	n := len(cfg.Components)
	reqs := make([]Request, n)
	formats := make([]TagFormat, n)
	tags := make([]componentTags, n)
	lasts := make([]lastRelease, n)
	baseBit := map[string]uint64{} // release commit → bits of the components starting there
	everyBase := true
	for i, comp := range cfg.Components {
		req := comp.Request(dir, targetSHA)
		req.Paths = nil // Plan gives each file to its deepest package instead
		req.Prerelease = opts.Prerelease
		if opts.Preset != "" {
			req.Rules.Preset = opts.Preset
		}
		if formats[i], err = ParseTagFormat(req.TagFormat, req.Component); err != nil {
			return nil, fmt.Errorf("component %q: %w", comp.Name, err)
		}
		tags[i] = componentTags{format: formats[i], all: pickTags(allTags, formats[i])}
		// A found tag wins over last-release-sha, which release-please only
		// uses to bootstrap.
		t, found, err := tags[i].latestStable(ctx, repo, targetSHA)
		if err != nil {
			return nil, err
		}
		if found {
			req.LastReleaseSHA = ""
			lasts[i] = lastRelease{version: t.v, tag: t.tag.Name, sha: t.tag.Commit}
		} else if lasts[i], err = findLastRelease(ctx, repo, req, tags[i], targetSHA); err != nil {
			return nil, fmt.Errorf("component %q: %w", comp.Name, err)
		}
		if lasts[i].sha == "" {
			everyBase = false
		} else {
			baseBit[lasts[i].sha] |= 1 << i
		}
		reqs[i] = req
	}

	revs := []string{targetSHA}
	if everyBase && len(baseBit) > 0 {
		bases := make([]string, 0, len(baseBit))
		for sha := range baseBit {
			bases = append(bases, sha)
		}
		sort.Strings(bases)
		// Everything before the common ancestor of all releases is in no
		// component's range.
		if mb, err := repo.Run(ctx, append([]string{"merge-base", "--octopus"}, bases...)...); err == nil && mb != "" {
			revs = append(revs, "^"+mb)
		}
	}

	owner := packageOwner(cfg.Components)
	perComp := make([][]Commit, n)
	pending := map[string]uint64{}
	_, err = repo.Log(ctx, git.LogOptions{Revs: revs, Files: true, TopoOrder: true}, func(e *git.LogEntry) error {
		reach := pending[e.SHA] | baseBit[e.SHA]
		delete(pending, e.SHA)
		for _, p := range e.Parents {
			pending[p] |= reach
		}
		var c *Commit
		for i, comp := range cfg.Components {
			if reach&(1<<i) != 0 {
				continue
			}
			filter := pathFilter{exclude: cleanPaths(comp.ExcludePaths)}
			if !touchesComponent(e.Files, comp.Path, owner, filter) {
				continue
			}
			if c == nil {
				nc := newCommit(e)
				nc.files = nil
				c = &nc
			}
			perComp[i] = append(perComp[i], *c)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	results := make([]*Result, n)
	for i := range cfg.Components {
		if results[i], err = decideResult(reqs[i], formats[i], tags[i], lasts[i], targetSHA, perComp[i]); err != nil {
			return nil, fmt.Errorf("component %q: %w", cfg.Components[i].Name, err)
		}
	}
	if cfg.NodeWorkspace {
		if err := applyNodeWorkspace(cfg, results, formats, tags, targetSHA, opts.Prerelease); err != nil {
			return nil, err
		}
	}
	for _, g := range cfg.Linked {
		applyLinked(cfg, g, results, formats)
	}
	return results, nil
}

func pickTags(tags []git.Tag, format TagFormat) []versionTag {
	var out []versionTag
	for _, t := range tags {
		if v, ok := format.Version(t.Name); ok {
			out = append(out, versionTag{v, t})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].v.GreaterThan(out[j].v) })
	return out
}

// packageOwner returns, for a file, the deepest non-root package path
// containing it ("" if none).
func packageOwner(comps []Component) func(file string) string {
	var paths []string
	for _, c := range comps {
		if c.Path != "." {
			paths = append(paths, c.Path)
		}
	}
	sort.Slice(paths, func(i, j int) bool { return len(paths[i]) > len(paths[j]) })
	return func(file string) string {
		for _, p := range paths {
			if under(file, p) {
				return p
			}
		}
		return ""
	}
}

func touchesComponent(files []string, compPath string, owner func(string) string, filter pathFilter) bool {
	if compPath == "." && (len(files) == 0 || !filter.active()) {
		// The root package gets every commit, also those that change no
		// file (empty commits, merges).
		return true
	}
	for _, f := range files {
		if compPath != "." && owner(f) != compPath {
			continue
		}
		if filter.touches([]string{f}) {
			return true
		}
	}
	return false
}

// applyNodeWorkspace gives every component that depends (in package.json)
// on a released workspace package a release of its own: a patch when it
// had nothing else, plus a Dependencies note per updated range. It runs to
// a fixed point so that dependents of dependents follow.
func applyNodeWorkspace(cfg *Config, results []*Result, formats []TagFormat, tags []componentTags, targetSHA, prerelease string) error {
	byNpm := map[string]int{}
	for i, c := range cfg.Components {
		if c.npmName != "" {
			byNpm[c.npmName] = i
		}
	}
	noted := map[[2]int]bool{}
	for changed := true; changed; {
		changed = false
		for i, c := range cfg.Components {
			for _, kind := range []string{"dependencies", "devDependencies", "peerDependencies", "optionalDependencies"} {
				names := make([]string, 0, len(c.npmDeps[kind]))
				for name := range c.npmDeps[kind] {
					names = append(names, name)
				}
				sort.Strings(names)
				for _, name := range names {
					j, ok := byNpm[name]
					if !ok || j == i || !results[j].Released || noted[[2]int{i, j}] {
						continue
					}
					from := c.npmDeps[kind][name]
					to, ok := bumpRange(from, results[j].Next)
					if !ok {
						continue
					}
					noted[[2]int{i, j}] = true
					results[i].Dependencies = append(results[i].Dependencies, changelog.DependencyUpdate{Kind: kind, Name: name, From: from, To: to})
					if !results[i].Released {
						forceRelease(results[i], formats[i], tags[i], targetSHA, prerelease, BumpPatch)
					}
					changed = true
				}
			}
		}
	}
	return nil
}

// bumpRange rewrites an npm range for a new version, keeping ^ or ~;
// workspace: and other protocols are left alone (ok == false).
func bumpRange(from, version string) (string, bool) {
	prefix := ""
	if strings.HasPrefix(from, "^") || strings.HasPrefix(from, "~") {
		prefix = from[:1]
	}
	if _, err := semver.StrictNewVersion(strings.TrimPrefix(from, prefix)); err != nil {
		return "", false
	}
	return prefix + version, true
}

// forceRelease turns a "nothing to release" result into a release of at
// least bump.
func forceRelease(r *Result, format TagFormat, tags componentTags, targetSHA, prerelease string, bump Bump) {
	cur := semver.MustParse(r.Current)
	next := apply(cur, bump)
	if prerelease != "" {
		next, _ = nextPrerelease(next, prerelease, tags, targetSHA)
	}
	r.Released, r.Bump, r.Next, r.Tag = true, bump.String(), next.String(), format.Tag(next)
}

// applyLinked gives every member of a linked-versions group the highest
// next version of the group when any member releases.
func applyLinked(cfg *Config, g LinkedGroup, results []*Result, formats []TagFormat) {
	var members []int
	var top *semver.Version
	for _, name := range g.Components {
		for i, c := range cfg.Components {
			if c.Name == name {
				members = append(members, i)
				if results[i].Released {
					v := semver.MustParse(results[i].Next)
					if top == nil || v.GreaterThan(top) {
						top = v
					}
				}
			}
		}
	}
	if top == nil {
		return
	}
	for _, i := range members {
		r := results[i]
		cur := semver.MustParse(r.Current)
		r.Released, r.Next, r.Tag = true, top.String(), formats[i].Tag(top)
		r.Bump = bumpBetween(cur, top).String()
	}
}
