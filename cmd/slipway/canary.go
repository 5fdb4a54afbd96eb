package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/engine"
)

func init() {
	for _, promote := range []bool{true, false} {
		promote := promote
		register("canary", func(g *globals) *cobra.Command {
			var id, reason string
			use, short := "promote", "Promote a paused canary (inconclusive analysis) to stable"
			if !promote {
				use, short = "abort", "Abort a paused canary: traffic back to stable, pin reverted, digest held"
			}
			c := &cobra.Command{
				Use:   use + " --promotion ID --reason TEXT",
				Short: short,
				Args:  cobra.NoArgs,
				RunE: func(cmd *cobra.Command, _ []string) error {
					return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
						p, err := e.DecideCanary(ctx, id, currentUser(), promote, reason)
						if err != nil {
							return err
						}
						fmt.Fprintf(cmd.OutOrStdout(), "promotion %s: %s (%s)\n", p.ID, p.State, p.Reason)
						return nil
					})
				},
			}
			c.Flags().StringVar(&id, "promotion", "", "promotion id")
			c.Flags().StringVar(&reason, "reason", "", "why (recorded)")
			c.MarkFlagRequired("promotion")
			c.MarkFlagRequired("reason")
			return c
		})
	}
}
