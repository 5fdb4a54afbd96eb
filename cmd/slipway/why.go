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
		var release bool
		c := &cobra.Command{
			Use:   "why --service S --to ENV [--output json] | why --service S --release",
			Short: "Explain every gate of the next promotion into ENV: pass / wait / fail, why, and when it can change (--release: what the next release waits on)",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				if release {
					return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
						rel, err := openReleaser(e)
						if err != nil {
							return err
						}
						w, err := rel.Why(ctx, service)
						if err != nil {
							return err
						}
						if output == "json" {
							return printJSON(cmd.OutOrStdout(), w)
						}
						fmt.Fprint(cmd.OutOrStdout(), w.Text())
						return nil
					})
				}
				if env == "" {
					return &exitError{code: 2, err: fmt.Errorf("--to ENV is required (or --release to explain the next release)")}
				}
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
		c.Flags().BoolVar(&release, "release", false, "explain the service's next release: its release pull request, and the build its tag waits for")
		outputFlag(c, &output)
		c.MarkFlagRequired("service")
		return c
	})
}
