package main

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/engine"
	"github.com/slipway/slipway/sqlite"
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
		var f sqlite.PromotionFilter
		var all bool
		c := &cobra.Command{
			Use:   "promotions",
			Short: "List promotions (active ones unless --all)",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				f.Active = !all
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					ps, err := e.Store.Promotions(ctx, f)
					if err != nil {
						return err
					}
					w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
					fmt.Fprintln(w, "ID\tSERVICE\tENV\tRELEASE\tDIGEST\tSTATE\tREASON")
					for _, p := range ps {
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.Service, p.Env, p.Release, slipway.Digest12(p.Digest), p.State, p.Reason)
					}
					return w.Flush()
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
	register("pr", func(g *globals) *cobra.Command {
		var state string
		c := &cobra.Command{
			Use:   "list",
			Short: "List pull requests of the local forge",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					prs, err := e.Forge.List(ctx, state)
					if err != nil {
						return err
					}
					w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
					fmt.Fprintln(w, "#\tSTATE\tBASE\tBRANCH\tTITLE")
					for _, p := range prs {
						fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", p.Number, p.State, p.Base, p.Branch, p.Title)
					}
					return w.Flush()
				})
			},
		}
		c.Flags().StringVar(&state, "state", "", "open, merged or closed (default all)")
		return c
	})
	register("pr", func(g *globals) *cobra.Command {
		return &cobra.Command{
			Use:   "show N",
			Short: "Show a pull request",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				n, err := prNumber(args[0])
				if err != nil {
					return err
				}
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					p, err := e.Forge.Get(ctx, n)
					if err != nil {
						return err
					}
					out := cmd.OutOrStdout()
					fmt.Fprintf(out, "#%d %s\nstate:  %s\nbranch: %s -> %s\nauthor: %s\nhead:   %s\n", p.Number, p.Title, p.State, p.Branch, p.Base, p.Author, p.HeadSHA)
					if p.State == "merged" {
						fmt.Fprintf(out, "merged: %s by %s\n", p.MergeSHA, p.MergedBy)
					}
					diff, _ := e.GitOps.Run(ctx, "diff", "origin/"+p.Base+"..."+p.HeadSHA)
					fmt.Fprintf(out, "\n%s\n\n%s\n", p.Body, diff)
					return nil
				})
			},
		}
	})
	register("pr", func(g *globals) *cobra.Command {
		return &cobra.Command{
			Use:   "merge N",
			Short: "Merge a pull request (a real git merge pushed to the GitOps remote) and continue its promotion",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				n, err := prNumber(args[0])
				if err != nil {
					return err
				}
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					return e.MergePR(ctx, n, currentUser())
				})
			},
		}
	})
}

func prNumber(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, &exitError{code: 2, err: fmt.Errorf("pull request number %q: give a positive number, e.g. `slipway pr merge 3`", s)}
	}
	return n, nil
}

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
