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
		var r engine.PromoteRequest
		c := &cobra.Command{
			Use:   "promote --service S --to ENV (--release vX.Y.Z | --build ID)",
			Short: "Promote a build into an environment (gates, pin, pull request, canary)",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				r.Requester = currentUser()
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					p, err := e.Promote(ctx, r)
					if err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "promotion %s: %s (%s)\n", p.ID, p.State, p.Reason)
					return nil
				})
			},
		}
		c.Flags().StringVar(&r.Service, "service", "", "service name")
		c.Flags().StringVar(&r.Env, "to", "", "target environment")
		c.Flags().StringVar(&r.Release, "release", "", "release tag to promote")
		c.Flags().StringVar(&r.BuildID, "build", "", "build id to promote")
		c.Flags().StringVar(&r.Expedite, "expedite", "", "hotfix: skip the previous-environment rule, with this recorded reason (the canary still runs)")
		c.MarkFlagRequired("service")
		c.MarkFlagRequired("to")
		return c
	})
	register("", func(g *globals) *cobra.Command {
		var f slipway.PromotionFilter
		var all bool
		c := &cobra.Command{
			Use:   "promotions",
			Short: "List promotions (active ones unless --all)",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				f.Active = !all
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					ps, err := e.Store.Promotions.Promotions(ctx, f)
					if err != nil {
						return err
					}
					return printPromotions(cmd.OutOrStdout(), ps)
				})
			},
		}
		c.Flags().StringVar(&f.Service, "service", "", "only this service")
		c.Flags().StringVar(&f.Env, "env", "", "only this environment")
		c.Flags().BoolVar(&all, "all", false, "include finished promotions")
		return c
	})
	register("", func(g *globals) *cobra.Command {
		return &cobra.Command{
			Use:   "reconcile",
			Short: "Advance every unfinished promotion (gates that opened, merged pull requests)",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error { return e.Reconcile(ctx) })
			},
		}
	})
}
