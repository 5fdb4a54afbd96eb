package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/engine"
)

func init() {
	register("", func(g *globals) *cobra.Command {
		var r engine.ReleaseRequest
		c := &cobra.Command{
			Use:   "release --service S --build ID",
			Short: "Tag the next SemVer on a build's commit (the tag names the image digest) with its changelog",
			Args:  cobra.NoArgs,
			Long: `Tag the next SemVer of the service on the build's commit, with its changelog
section. A build from a hotfix branch (see slipway hotfix start) releases a
patch of that branch's line; a version outside the line, or already tagged,
is refused. Deprecated: footers are added to deprecations.yaml in the
changelog commit; with policy.deprecationWindow set, a release that removes
something deprecated too recently is refused unless --allow-early-removal
says why (recorded in the tag, the register and the audit log).`,
			RunE: func(cmd *cobra.Command, _ []string) error {
				r.User = currentUser()
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					rel, err := e.Release(ctx, r)
					if err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%s %s -> build %s\n\n%s", rel.Service, rel.Tag, rel.BuildID, rel.Notes)
					return nil
				})
			},
		}
		c.Flags().StringVar(&r.Service, "service", "", "service name")
		c.Flags().StringVar(&r.BuildID, "build", "", "build id (see `slipway build list`)")
		c.Flags().StringVar(&r.AllowEarlyRemoval, "allow-early-removal", "", "release a removal inside its deprecation window, with this recorded reason")
		c.MarkFlagRequired("service")
		c.MarkFlagRequired("build")
		return c
	})
}
