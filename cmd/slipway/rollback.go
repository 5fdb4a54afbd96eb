package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

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
	register("hold", func(g *globals) *cobra.Command {
		var service string
		var all bool
		c := &cobra.Command{
			Use:   "list",
			Short: "List held digests (active holds unless --all)",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					hs, err := e.Store.Holds(ctx, service, all)
					if err != nil {
						return err
					}
					w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
					fmt.Fprintln(w, "SERVICE\tDIGEST\tSINCE\tBY\tREASON\tRELEASED")
					for _, h := range hs {
						rel := "-"
						if h.Released != nil {
							rel = h.Released.Format(time.RFC3339)
						}
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", h.Service, h.Digest, h.Created.Format(time.RFC3339), h.By, h.Reason, rel)
					}
					return w.Flush()
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
					if err := e.Store.ReleaseHold(ctx, service, digest, e.Now()); err != nil {
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
	register("audit", func(g *globals) *cobra.Command {
		return &cobra.Command{
			Use:   "verify",
			Short: "Recompute the audit hash chain; fails naming the first bad entry",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					n, err := e.VerifyAudit(ctx)
					if err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "audit chain ok: %d entries\n", n)
					return nil
				})
			},
		}
	})
	register("audit", func(g *globals) *cobra.Command {
		var output string
		c := &cobra.Command{
			Use:   "list",
			Short: "Print the audit log",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					es, err := e.Store.AuditEntries(ctx)
					if err != nil {
						return err
					}
					if output == "json" {
						return printJSON(cmd.OutOrStdout(), es)
					}
					w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
					fmt.Fprintln(w, "SEQ\tAT\tKIND\tSERVICE\tENV\tDIGEST\tCOMMIT\tPR\tAPPROVERS\tVERDICT\tHASH")
					for _, x := range es {
						fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%.12s\t%d\t%v\t%s\t%.12s\n", x.Seq, x.At.Format(time.RFC3339), x.Kind, x.Service, x.Env, slipway.Digest12(x.Digest), x.PinCommit, x.PR, x.Approvers, x.Verdict, x.Hash)
					}
					return w.Flush()
				})
			},
		}
		outputFlag(c, &output)
		return c
	})
}
