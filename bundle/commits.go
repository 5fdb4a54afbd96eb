package bundle

import (
	"context"
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/slipway/slipway/git"
	"github.com/slipway/slipway/platform"
)

// CollectCommits reads, from the app repository's git history, each
// component's commits since its previous release, for their Migration:
// and Upgrade: footers. A component's range ends at its release tag
// (Component.Tag) and starts after the same component's tag in prev (when
// given and present), else after its highest earlier tag of the same form
// ("api/v2.2.0" before "api/v2.3.0"), else at the start of history. paths,
// when it has an entry for a component, keeps only commits touching those
// paths (slipway.yaml's service paths, for monorepos).
//
// A component without a tag, or whose tag is not in this repository (its
// code lives elsewhere), is reported in skipped and has no commits.
func CollectCommits(ctx context.Context, appDir string, m, prev *platform.Manifest, paths map[string][]string) (map[string][]Commit, []string, error) {
	repo := git.Open(appDir)
	if _, err := repo.Run(ctx, "rev-parse", "--git-dir"); err != nil {
		return nil, []string{fmt.Sprintf("no Migration:/Upgrade: footers: %s is not a git repository", appDir)}, nil
	}
	tags, err := repo.Tags(ctx, "")
	if err != nil {
		return nil, nil, fmt.Errorf("tags of %s: %w", appDir, err)
	}
	tagSet := map[string]bool{}
	for _, t := range tags {
		tagSet[t.Name] = true
	}
	out := map[string][]Commit{}
	var skipped []string
	for _, c := range m.Components {
		if c.Tag == "" || !tagSet[c.Tag] {
			skipped = append(skipped, fmt.Sprintf("no Migration:/Upgrade: footers for %s: its release tag %q is not in %s", c.Name, c.Tag, appDir))
			continue
		}
		from := ""
		if prev != nil {
			p, ok := prev.Component(c.Name)
			if ok && p.Tag == c.Tag {
				continue // unchanged since the previous platform: no new commits
			}
			if ok && p.Tag != "" && tagSet[p.Tag] {
				from = p.Tag
			}
		}
		if from == "" {
			from = previousTag(c, tags)
		}
		revs := []string{"refs/tags/" + c.Tag}
		if from != "" {
			revs = []string{"refs/tags/" + from + "..refs/tags/" + c.Tag}
		}
		filter := paths[c.Name]
		_, err := repo.Log(ctx, git.LogOptions{Revs: revs, Files: len(filter) > 0, NoIdentity: true}, func(e *git.LogEntry) error {
			if len(filter) > 0 && !touches(e.Files, filter) {
				return nil
			}
			out[c.Name] = append(out[c.Name], Commit{SHA: e.SHA, Message: e.Message})
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("history of component %s (%s): %w", c.Name, strings.Join(revs, " "), err)
		}
	}
	return out, skipped, nil
}

// previousTag finds the highest tag of the same form as c.Tag (the same
// text around the version) whose version is lower than c.Version.
func previousTag(c platform.Component, tags []git.Tag) string {
	i := strings.LastIndex(c.Tag, c.Version)
	if i < 0 {
		return ""
	}
	prefix, suffix := c.Tag[:i], c.Tag[i+len(c.Version):]
	cur, err := semver.StrictNewVersion(c.Version)
	if err != nil {
		return ""
	}
	var best *semver.Version
	bestTag := ""
	for _, t := range tags {
		if !strings.HasPrefix(t.Name, prefix) || !strings.HasSuffix(t.Name, suffix) || len(t.Name) <= len(prefix)+len(suffix) {
			continue
		}
		v, err := semver.StrictNewVersion(t.Name[len(prefix) : len(t.Name)-len(suffix)])
		if err != nil || !v.LessThan(cur) {
			continue
		}
		if best == nil || v.GreaterThan(best) {
			best, bestTag = v, t.Name
		}
	}
	return bestTag
}

func touches(files, paths []string) bool {
	for _, f := range files {
		for _, p := range paths {
			p = strings.TrimSuffix(p, "/")
			if p == "" || p == "." || f == p || strings.HasPrefix(f, p+"/") {
				return true
			}
		}
	}
	return false
}
