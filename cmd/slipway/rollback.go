package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/engine"
)

func init() {
	register("", func(g *globals) *cobra.Command {
		var service, env, reason string
		c := &cobra.Command{
			Use:   "rollback --service S --env ENV [--reason TEXT]",
			Short: "Revert the current pin commit of an environment and hold its digest",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					p, err := e.Rollback(ctx, service, env, currentUser(), reason)
					if err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "rolled back %s (%s) in %s: revert %s; digest held\n", p.ID, slipway.Digest12(p.Digest), env, p.Revert)
					return nil
				})
			},
		}
		c.Flags().StringVar(&service, "service", "", "service name")
		c.Flags().StringVar(&env, "env", "", "environment")
		c.Flags().StringVar(&reason, "reason", "", "why (recorded in the hold, the revert commit and the audit log)")
		c.MarkFlagRequired("service")
		c.MarkFlagRequired("env")
		return c
	})
}
