package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/engine"
)

func init() {
	register("", func(g *globals) *cobra.Command {
		return &cobra.Command{
			Use:   "hotfix",
			Short: "The hotfix lane: maintenance branches of a release (see docs/hotfix.md)",
		}
	})
	register("hotfix", func(g *globals) *cobra.Command {
		var r engine.HotfixRequest
		var output string
		c := &cobra.Command{
			Use:   "start --service S --from vX.Y.Z",
			Short: "Create the maintenance branch of a release from its tag and push it to the app remote",
			Long: `Create the maintenance branch of a release (default hotfix/<service>/vX.Y,
app.hotfixBranch in slipway.yaml; semantic-release's X.Y.x and X.x names are
accepted with --branch) at the release's tag in the app repository, and push
it to the app remote (app.remote, default origin). Builds from the branch
release as patches of that line (vX.Y.Z+1, …) even when main is ahead;
promote them with ` + "`slipway promote --expedite \"<reason>\"`" + `.
Running it again is harmless: a branch at the tag or ahead of it is kept.`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				r.User = currentUser()
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					h, err := e.StartHotfix(ctx, r)
					if err != nil {
						return err
					}
					if output == "json" {
						return printJSON(cmd.OutOrStdout(), h)
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%s: maintenance branch of %s %s (line %s) at %.12s on %s\nnext: commit the fix there, build it, `slipway release --service %s --build ID`, then `slipway promote --service %s --to <prod> --release <tag> --expedite \"<reason>\"`\n",
						h.Branch, h.Service, h.From, h.Line, h.Tip, h.Remote, h.Service, h.Service)
					return nil
				})
			},
		}
		c.Flags().StringVar(&r.Service, "service", "", "service name")
		c.Flags().StringVar(&r.From, "from", "", "the release to fix: its tag or version")
		c.Flags().StringVar(&r.Branch, "branch", "", "branch name (default from app.hotfixBranch, e.g. hotfix/api/v1.2; or 1.2.x)")
		outputFlag(c, &output)
		c.MarkFlagRequired("service")
		c.MarkFlagRequired("from")
		return c
	})
}
