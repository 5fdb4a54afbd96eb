package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/engine"
)

func init() {
	envFlags := func(c *cobra.Command, env *string, all *bool) {
		c.Flags().StringVar(env, "env", "", "environment to stop")
		c.Flags().BoolVar(all, "all", false, "every environment")
		c.MarkFlagsOneRequired("env", "all")
		c.MarkFlagsMutuallyExclusive("env", "all")
	}
	register("stop", func(g *globals) *cobra.Command {
		var env, reason string
		var all bool
		c := &cobra.Command{
			Use:   "on (--env ENV | --all) --reason TEXT",
			Short: "Stop the line: no promotion proceeds until lifted",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					return e.StopLine(ctx, env, currentUser(), reason)
				})
			},
		}
		envFlags(c, &env, &all)
		c.Flags().StringVar(&reason, "reason", "", "why (people waiting will read it)")
		c.MarkFlagRequired("reason")
		return c
	})
	register("stop", func(g *globals) *cobra.Command {
		var env string
		var all bool
		c := &cobra.Command{
			Use:   "lift (--env ENV | --all)",
			Short: "Lift a stop-the-line switch; waiting promotions move on",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					return e.LiftStop(ctx, env, currentUser())
				})
			},
		}
		envFlags(c, &env, &all)
		return c
	})
	register("stop", func(g *globals) *cobra.Command {
		return &cobra.Command{
			Use:   "list",
			Short: "List stop-the-line switches that are on",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					stops, err := e.Store.Gates.Stops(ctx)
					if err != nil {
						return err
					}
					return printStops(cmd.OutOrStdout(), stops)
				})
			},
		}
	})
}
