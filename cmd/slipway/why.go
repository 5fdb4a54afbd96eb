package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/engine"
)

func init() {
	register("", func(g *globals) *cobra.Command {
		var service, env, output string
		c := &cobra.Command{
			Use:   "why --service S --to ENV [--output json]",
			Short: "Explain every gate of the next promotion into ENV: pass / wait / fail, why, and when it can change",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					rep, err := e.Why(ctx, service, env)
					if err != nil {
						return err
					}
					if output == "json" {
						return printJSON(cmd.OutOrStdout(), rep)
					}
					fmt.Fprint(cmd.OutOrStdout(), rep.Text())
					return nil
				})
			},
		}
		c.Flags().StringVar(&service, "service", "", "service name")
		c.Flags().StringVar(&env, "to", "", "target environment")
		outputFlag(c, &output)
		c.MarkFlagRequired("service")
		c.MarkFlagRequired("to")
		return c
	})
}
