package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

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
					return printAudit(cmd.OutOrStdout(), es)
				})
			},
		}
		outputFlag(c, &output)
		return c
	})
}
