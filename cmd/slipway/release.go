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
			RunE: func(cmd *cobra.Command, _ []string) error {
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
		c.MarkFlagRequired("service")
		c.MarkFlagRequired("build")
		return c
	})
}
