package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/changelog"
	"github.com/slipway/slipway/git"
	"github.com/slipway/slipway/versioning"
)

type changelogFlags struct {
	versionFlags
	from, to string
	all      bool
	template string
	repoURL  string
	date     string
}

func init() {
	register("", func(g *globals) *cobra.Command {
		f := &changelogFlags{}
		c := &cobra.Command{
			Use:   "changelog",
			Short: "Render release notes from Conventional Commits (release-please's Markdown by default)",
			Long: `Render the changelog section of the next release (default), of a range
(--from/--to; --to may be a release tag), or of every release (--all, one
pass over history). Links use --repo-url, else the origin remote.`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error { return runChangelog(cmd, f) },
		}
		f.add(c)
		c.Flags().StringVar(&f.from, "from", "", "start of the range (exclusive): a tag or commit")
		c.Flags().StringVar(&f.to, "to", "", "end of the range (inclusive), default HEAD; a release tag renders that release")
		c.Flags().BoolVar(&f.all, "all", false, "rebuild the whole changelog from every release tag")
		c.Flags().StringVar(&f.output, "output", "markdown", "markdown or json")
		c.Flags().StringVar(&f.template, "template", "", "Go text/template file for each release (data: the JSON fields)")
		c.Flags().StringVar(&f.repoURL, "repo-url", "", "web URL of the repository for links (default: from the origin remote)")
		c.Flags().StringVar(&f.date, "date", "", "date of an unreleased section, YYYY-MM-DD (default today, UTC)")
		return c
	})
}

func runChangelog(cmd *cobra.Command, f *changelogFlags) error {
	ctx := cmd.Context()
	req, err := changelogRequest(f)
	if err != nil {
		return err
	}
	opts := changelog.Options{Sections: req.Rules.Sections, RepoURL: f.repoURL}
	if opts.RepoURL == "" {
		if remote, err := git.Open(f.repo).Run(ctx, "remote", "get-url", "origin"); err == nil {
			opts.RepoURL = changelog.RepoURLFromRemote(remote)
		}
	}
	date := time.Now().UTC()
	if f.date != "" {
		if date, err = time.Parse("2006-01-02", f.date); err != nil {
			return &exitError{code: 2, err: fmt.Errorf("--date %q: use YYYY-MM-DD", f.date)}
		}
	}
	var releases []changelog.Release
	switch {
	case f.all:
		if f.from != "" {
			return &exitError{code: 2, err: fmt.Errorf("--all covers every release: drop --from (use --to to stop at a release)")}
		}
		req.Target = f.to
		if releases, err = versioning.AllReleases(ctx, req); err != nil {
			return err
		}
	default:
		if releases, err = rangeRelease(cmd, f, req, date); err != nil {
			return err
		}
		if f.from == "" {
			if err := addWorkspaceDependencies(cmd, f, req, releases); err != nil {
				return err
			}
		}
	}
	return printChangelog(cmd.OutOrStdout(), f, releases, opts)
}

// changelogRequest picks the component from a release-please config, or
// builds one from the flags.
func changelogRequest(f *changelogFlags) (versioning.Request, error) {
	cfg, err := versioning.LoadReleasePlease(f.repo)
	if err != nil {
		return versioning.Request{}, err
	}
	if cfg == nil {
		return f.versionRequest()
	}
	comp, _, err := cfg.Pick(f.component)
	if err != nil {
		return versioning.Request{}, &exitError{code: 2, err: err}
	}
	return componentRequest(&f.versionFlags, comp)
}

// addWorkspaceDependencies gives an unreleased section the "Dependencies"
// part release-please's node-workspace plugin writes, from the plan of the
// whole repository (the only place dependency bumps are known).
func addWorkspaceDependencies(cmd *cobra.Command, f *changelogFlags, req versioning.Request, releases []changelog.Release) error {
	cfg, err := versioning.LoadReleasePlease(f.repo)
	if err != nil || cfg == nil || !cfg.NodeWorkspace || len(releases) != 1 || len(releases[0].Dependencies) > 0 {
		return err
	}
	results, err := versioning.Plan(cmd.Context(), f.repo, cfg, versioning.PlanOptions{Target: f.to})
	if err != nil {
		return err
	}
	for _, r := range results {
		if r.Component == req.Component && r.Released {
			// The plan also knows releases that only a dependency causes.
			releases[0].Version, releases[0].Tag, releases[0].Dependencies = r.Next, r.Tag, r.Dependencies
		}
	}
	return nil
}

// rangeRelease renders one section: a release tag given as --to, or the
// commits of --from..--to labelled with the version they would release.
func rangeRelease(cmd *cobra.Command, f *changelogFlags, req versioning.Request, date time.Time) ([]changelog.Release, error) {
	ctx := cmd.Context()
	format, err := versioning.ParseTagFormat(req.TagFormat, req.Component)
	if err != nil {
		return nil, err
	}
	if _, isTag := format.Version(f.to); isTag && f.from == "" {
		req.Target = f.to
		all, err := versioning.AllReleases(ctx, req)
		if err != nil {
			return nil, err
		}
		for _, r := range all {
			if r.Tag == f.to {
				return []changelog.Release{r}, nil
			}
		}
		return nil, fmt.Errorf("tag %s is not a release of component %q reachable from itself", f.to, req.Component)
	}
	req.Target = f.to
	if f.from != "" {
		req.LastReleaseSHA = f.from
	}
	res, err := versioning.Next(ctx, req)
	if err != nil {
		return nil, err
	}
	rel := res.ChangelogRelease(date)
	if f.from != "" {
		rel.PreviousTag = f.from
	}
	if v, ok := format.Version(f.to); ok {
		rel.Version, rel.Tag = v.String(), f.to
	}
	return []changelog.Release{rel}, nil
}

// printChangelog renders release by release, so a whole history's
// changelog never sits in memory twice (commits, then rendered text).
func printChangelog(w io.Writer, f *changelogFlags, releases []changelog.Release, opts changelog.Options) error {
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	var tpl *changelog.Template
	if f.template != "" {
		var err error
		if tpl, err = changelog.LoadTemplate(f.template); err != nil {
			return &exitError{code: 2, err: err}
		}
	} else if f.output != "json" && f.output != "markdown" && f.output != "md" && f.output != "" {
		return &exitError{code: 2, err: fmt.Errorf("--output %q: use markdown or json", f.output)}
	}
	if tpl == nil && f.output == "json" {
		bw.WriteString("[")
	} else if tpl == nil && f.all {
		bw.WriteString("# Changelog\n\n")
	}
	for i := range releases {
		n := changelog.Build(releases[i], opts)
		releases[i].Entries = nil
		switch {
		case tpl != nil:
			s, err := tpl.Render(n)
			if err != nil {
				return err
			}
			bw.WriteString(s)
		case f.output == "json":
			b, err := changelog.JSON([]changelog.Notes{n})
			if err != nil {
				return err
			}
			if i > 0 {
				bw.WriteString(",")
			}
			// One element of the array: strip the [ ] of a one-item list.
			bw.Write(bytes.TrimSuffix(bytes.TrimPrefix(bytes.TrimSpace(b), []byte("[")), []byte("]")))
		default:
			if i > 0 {
				bw.WriteString("\n\n")
			}
			bw.WriteString(changelog.MarkdownNotes(n))
		}
	}
	switch {
	case tpl != nil:
	case f.output == "json":
		bw.WriteString("]\n")
	default:
		bw.WriteString("\n")
	}
	return bw.Flush()
}
