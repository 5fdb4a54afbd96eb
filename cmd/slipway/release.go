package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/engine"
	"github.com/slipway/slipway/forge"
	"github.com/slipway/slipway/forge/local"
	"github.com/slipway/slipway/git"
)

func init() {
	register("", func(g *globals) *cobra.Command {
		var r engine.ReleaseRequest
		c := &cobra.Command{
			Use:   "release --service S --build ID | release [--service S]",
			Short: "Tag and publish the next SemVer of a build, or keep the release pull requests (release.mode: pull-request)",
			Args:  cobra.NoArgs,
			Long: `With --build: tag the next SemVer of the service on the build's commit (the
annotation names the image digest), with its changelog section, and publish
it: the tag and the CHANGELOG.md commit are pushed to the app remote
(app.remote) in one atomic push, never forced (when main moved, the changelog
commit is re-applied on its new tip), and a release page is made on the app
forge (app.forge: GitHub, GitLab, Gitea). Run it again after a failure: it
finishes what is left. --dry-run prints the version, the tag, the notes and
every ref it would push, and changes nothing.

A build from a hotfix branch (see slipway hotfix start) releases a patch of
that branch's line. Deprecated: footers are added to deprecations.yaml in the
changelog commit; with policy.deprecationWindow set, a release that removes
something deprecated too recently is refused unless --allow-early-removal
says why (recorded in the tag, the register and the audit log).

Without --build, for services in release.mode pull-request (release-please's
workflow): open or update the standing release pull request of each component
(branch slipway/release/<service>, labeled "autorelease: pending") on the
main line's tip; a merged one is tagged on its merge commit once the build of
that commit is registered (slipway why --service S --release says what it
waits for), then relabeled "autorelease: tagged". Run it in CI on every push
to main, after slipway build register.`,
			RunE: func(cmd *cobra.Command, _ []string) error {
				r.User = currentUser()
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					rel, err := openReleaser(e)
					if err != nil {
						return err
					}
					out := cmd.OutOrStdout()
					if r.BuildID == "" {
						var names []string
						if r.Service != "" {
							names = []string{r.Service}
						}
						o, err := rel.ReleasePullRequests(ctx, names, r.DryRun)
						if o != nil {
							printPROutcome(out, o)
						}
						return err
					}
					if r.Service == "" {
						return &exitError{code: 2, err: fmt.Errorf("--build needs --service: slipway release --service S --build ID")}
					}
					o, err := rel.Release(ctx, r)
					if o != nil && o.Release != nil {
						printReleaseOutcome(out, o)
					}
					return err
				})
			},
		}
		c.Flags().StringVar(&r.Service, "service", "", "service name")
		c.Flags().StringVar(&r.BuildID, "build", "", "build id (see `slipway build list`); without it, keep the release pull requests")
		c.Flags().StringVar(&r.AllowEarlyRemoval, "allow-early-removal", "", "release a removal inside its deprecation window, with this recorded reason")
		c.Flags().BoolVar(&r.DryRun, "dry-run", false, "print the version, tag, notes and the refs and pages it would write; change nothing")
		return c
	})
}

// openReleaser gives the engine the app repository's forge: app.forge
// (GitHub, GitLab, Gitea: release pull requests and release pages), or
// the local forge over the app repository's clone (release pull requests
// in the store; the annotated tag is the release's page).
func openReleaser(e *engine.Engine) (*engine.Releaser, error) {
	rel := &engine.Releaser{Engine: e}
	fc := e.Cfg.App.Forge
	if fc == nil || fc.Type == "" || fc.Type == forge.Local {
		if e.Cfg.App.Remote == "origin" { // the local forge pushes to origin
			rel.Forge = &local.Forge{Store: e.Store.PullRequests, Repo: git.Open(e.Cfg.Resolve(e.Cfg.App.Repo)), Now: e.Now}
		}
		return rel, nil
	}
	c := *fc
	c.Key = "app.forge"
	f, err := forge.Open(c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.Cfg.Path(), err)
	}
	rel.Forge = f
	rel.Pages, _ = f.(slipway.ReleaseHost)
	return rel, nil
}

func printReleaseOutcome(w io.Writer, o *engine.ReleaseOutcome) {
	rel := o.Release
	if o.DryRun {
		fmt.Fprintf(w, "dry run: nothing was changed\n\n")
	}
	fmt.Fprintf(w, "%s %s (version %s) -> build %s, commit %s\n", rel.Service, rel.Tag, rel.Version, rel.BuildID, rel.Commit)
	verb := "pushed to"
	if o.DryRun {
		verb = "would push to"
	}
	if o.Remote == "" {
		fmt.Fprintf(w, "no app remote: the tag stays in the local clone\n")
	} else if len(o.Pushes) > 0 {
		fmt.Fprintf(w, "%s %s (one atomic push, never forced):\n", verb, o.Remote)
		for _, p := range o.Pushes {
			fmt.Fprintf(w, "  %-22s %s -> %s  %s\n", p.Ref, orDash(short12(p.From)), orDash(short12(p.To)), p.Note)
		}
	} else {
		fmt.Fprintf(w, "%s already has it\n", o.Remote)
	}
	if o.Page != nil {
		fmt.Fprintf(w, "release page: %s %q %s\n", o.PageAction, o.Page.Name, o.Page.URL)
	}
	notes := rel.Notes
	if o.DryRun && o.Page != nil {
		notes = o.Page.Notes
	}
	fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(notes))
}

func printPROutcome(w io.Writer, o *engine.ReleasePROutcome) {
	if o.DryRun {
		fmt.Fprintf(w, "dry run: nothing was changed\n\n")
	}
	for _, rel := range o.Released {
		fmt.Fprintf(w, "released %s %s -> build %s (merge commit %s)\n", rel.Release.Service, rel.Release.Tag, rel.Release.BuildID, short12(rel.Release.Commit))
	}
	for _, wr := range o.Waiting {
		fmt.Fprintf(w, "waiting: %s\n", wr)
	}
	for _, pr := range o.PullRequests {
		num := "a release pull request"
		if pr.Number > 0 {
			num = fmt.Sprintf("release pull request #%d", pr.Number)
		}
		fmt.Fprintf(w, "%s %s: %s (%s, head %s)\n", num, pr.Action, pr.Title, pr.Branch, orDash(short12(pr.Head)))
		if pr.URL != "" {
			fmt.Fprintf(w, "  %s\n", pr.URL)
		}
		fmt.Fprintf(w, "  files: %s\n", strings.Join(pr.Files, ", "))
		if o.DryRun {
			fmt.Fprintf(w, "\n%s\n\n", pr.Body)
		}
	}
	for _, n := range o.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if len(o.Released)+len(o.Waiting)+len(o.PullRequests) == 0 {
		fmt.Fprintln(w, "nothing to release")
	}
}

func short12(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
