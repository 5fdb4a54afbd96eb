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
					es, err := e.Store.Audit.AuditEntries(ctx)
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
