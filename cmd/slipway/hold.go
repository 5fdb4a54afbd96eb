package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/engine"
)

func init() {
	register("hold", func(g *globals) *cobra.Command {
		var service string
		var all bool
		c := &cobra.Command{
			Use:   "list",
			Short: "List held digests (active holds unless --all)",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					hs, err := e.Store.Holds.Holds(ctx, service, all)
					if err != nil {
						return err
					}
					return printHolds(cmd.OutOrStdout(), hs)
				})
			},
		}
		c.Flags().StringVar(&service, "service", "", "only this service")
		c.Flags().BoolVar(&all, "all", false, "include released holds")
		return c
	})
	register("hold", func(g *globals) *cobra.Command {
		var service, digest string
		c := &cobra.Command{
			Use:   "release --service S --digest sha256:…",
			Short: "Lift the hold on a digest so it may be promoted again",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					if err := e.ReleaseHold(ctx, service, digest, currentUser()); err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "hold on %s of %s released\n", digest, service)
					return nil
				})
			},
		}
		c.Flags().StringVar(&service, "service", "", "service name")
		c.Flags().StringVar(&digest, "digest", "", "held digest")
		c.MarkFlagRequired("service")
		c.MarkFlagRequired("digest")
		return c
	})
}
