package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/engine"
)

func init() {
	register("", func(g *globals) *cobra.Command {
		var id, reason string
		c := &cobra.Command{
			Use:   "override --promotion ID --reason TEXT",
			Short: "Break glass: let a waiting promotion through its sync windows and stops (needs the override permission; audited)",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					p, err := e.Override(ctx, id, currentUser(), reason)
					if err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "promotion %s: %s (%s)\n", p.ID, p.State, p.Reason)
					return nil
				})
			},
		}
		c.Flags().StringVar(&id, "promotion", "", "promotion id")
		c.Flags().StringVar(&reason, "reason", "", "why this cannot wait (recorded in the audit log)")
		c.MarkFlagRequired("promotion")
		c.MarkFlagRequired("reason")
		return c
	})
}
