package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/versioning"
)

// versionFlags are shared by `version next` and `changelog`.
type versionFlags struct {
	repo       string
	component  string
	preset     string
	prerelease string
	target     string
	tagFormat  string
	paths      []string
	output     string
}

func (f *versionFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.repo, "repo", ".", "repository directory")
	c.Flags().StringVar(&f.component, "component", "", "component name (a release-please package, or the {component} of --tag-format)")
	c.Flags().StringVar(&f.preset, "preset", "", "version rules: release-please (default), semantic-release, conventionalcommits")
	c.Flags().StringVar(&f.tagFormat, "tag-format", "", `tag format without a release-please config (default "v{version}")`)
	c.Flags().StringSliceVar(&f.paths, "path", nil, "limit the component to commits touching these paths (repeatable)")
}

// versionRequest builds a single-component request from flags, for
// repositories without a release-please config.
func (f *versionFlags) versionRequest() (versioning.Request, error) {
	preset, err := versioning.ParsePreset(f.preset)
	if err != nil {
		return versioning.Request{}, &exitError{code: 2, err: err}
	}
	return versioning.Request{
		Dir: f.repo, Component: f.component, Paths: f.paths, TagFormat: f.tagFormat,
		Rules: versioning.Rules{Preset: preset}, Prerelease: f.prerelease, Target: f.target,
	}, nil
}

// componentRequest is the request for one component of a release-please
// config, so that `version next` and `changelog` agree with Plan.
func componentRequest(f *versionFlags, comp *versioning.Component) (versioning.Request, error) {
	req := comp.Request(f.repo, f.target)
	req.Prerelease = f.prerelease
	if f.preset != "" {
		p, err := versioning.ParsePreset(f.preset)
		if err != nil {
			return req, &exitError{code: 2, err: err}
		}
		req.Rules.Preset = p
	}
	return req, nil
}

func init() {
	register("version", func(g *globals) *cobra.Command {
		f := &versionFlags{}
		c := &cobra.Command{
			Use:   "next",
			Short: "Compute the next SemVer from Conventional Commits since the last release (offline, from the local clone)",
			Long: `Compute the next version of a component from the Conventional Commits since
its last release tag, with release-please's rules by default. A
release-please-config.json in the repository root is the configuration when
present. Exit status 0 also when nothing is releasable ("bump": "none").`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				results, err := versionNext(cmd, f)
				if err != nil {
					return err
				}
				return printVersionResults(cmd.OutOrStdout(), f.output, results, f.component != "")
			},
		}
		f.add(c)
		c.Flags().StringVar(&f.prerelease, "prerelease", "", "prerelease identifier: rc, beta, alpha (gives X.Y.Z-rc.N)")
		c.Flags().StringVar(&f.target, "target", "HEAD", "commit to release")
		c.Flags().StringVar(&f.output, "output", "text", "text or json")
		return c
	})
}

// versionNext runs Plan when the repository has a release-please config,
// else Next with the flags.
func versionNext(cmd *cobra.Command, f *versionFlags) ([]*versioning.Result, error) {
	ctx := cmd.Context()
	cfg, err := versioning.LoadReleasePlease(f.repo)
	if err != nil {
		return nil, err
	}
	if cfg == nil {
		req, err := f.versionRequest()
		if err != nil {
			return nil, err
		}
		req.SummaryOnly = true // the answer needs no commit kept
		r, err := versioning.Next(ctx, req)
		if err != nil {
			return nil, err
		}
		return []*versioning.Result{r}, nil
	}
	opts := versioning.PlanOptions{Target: f.target, Prerelease: f.prerelease}
	if f.preset != "" {
		if opts.Preset, err = versioning.ParsePreset(f.preset); err != nil {
			return nil, &exitError{code: 2, err: err}
		}
	}
	want := -1
	if f.component != "" {
		if _, want, err = cfg.Pick(f.component); err != nil {
			return nil, &exitError{code: 2, err: err}
		}
	}
	results, err := versioning.Plan(ctx, f.repo, cfg, opts)
	if err != nil || want < 0 {
		return results, err
	}
	return results[want : want+1], nil
}

// printVersionResults prints one JSON object for one component (the
// contract of `version next --output json`), an array for several.
func printVersionResults(w io.Writer, output string, results []*versioning.Result, single bool) error {
	switch output {
	case "json":
		enc := json.NewEncoder(w)
		if len(results) == 1 {
			return enc.Encode(results[0])
		}
		return enc.Encode(results)
	case "text", "":
		for _, r := range results {
			name := r.Component
			if name == "" {
				name = "."
			}
			if r.Bump == "none" {
				fmt.Fprintf(w, "%s: %s, nothing to release (%d commits since %s)\n", name, r.Current, r.Commits, orNone(r.PreviousTag))
				continue
			}
			fmt.Fprintf(w, "%s: %s -> %s (%s, %d commits, tag %s)\n", name, r.Current, r.Next, r.Bump, r.Commits, r.Tag)
		}
		return nil
	}
	return &exitError{code: 2, err: fmt.Errorf("--output %q: use text or json", output)}
}

func orNone(s string) string {
	if s == "" {
		return "the beginning"
	}
	return s
}
