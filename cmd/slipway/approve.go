package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/engine"
)

func init() {
	for _, approve := range []bool{true, false} {
		approve := approve
		register("", func(g *globals) *cobra.Command {
			var id, comment string
			use, short := "approve", "Approve a waiting promotion (never your own change)"
			if !approve {
				use, short = "reject", "Reject a waiting promotion: it stays blocked until a new build"
			}
			c := &cobra.Command{
				Use:   use + " --promotion ID [--comment TEXT]",
				Short: short,
				Args:  cobra.NoArgs,
				RunE: func(cmd *cobra.Command, _ []string) error {
					return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
						p, err := e.Approve(ctx, id, currentUser(), approve, comment)
						if err != nil {
							return err
						}
						fmt.Fprintf(cmd.OutOrStdout(), "promotion %s: %s (%s)\n", p.ID, p.State, p.Reason)
						return nil
					})
				},
			}
			c.Flags().StringVar(&id, "promotion", "", "promotion id (see `slipway promotions`)")
			c.Flags().StringVar(&comment, "comment", "", "a note recorded with the decision")
			c.MarkFlagRequired("promotion")
			return c
		})
	}
}
