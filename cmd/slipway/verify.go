package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/engine"
)

func init() {
	register("verify", func(g *globals) *cobra.Command {
		var v slipway.Verification
		var status string
		c := &cobra.Command{
			Use:   "report --service S --env ENV --check NAME --status passed|failed --digest sha256:… [--url U]",
			Short: "Record a verification result (e2e, load, soak) for a digest in an environment",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				switch status {
				case "passed", "failed":
					v.Passed = status == "passed"
				default:
					return &exitError{code: 2, err: fmt.Errorf("--status %q: use passed or failed", status)}
				}
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					if err := e.ReportVerification(ctx, &v); err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "recorded %s %s for %s in %s\n", v.Check, status, slipway.Digest12(v.Digest), v.Env)
					return nil
				})
			},
		}
		c.Flags().StringVar(&v.Service, "service", "", "service name")
		c.Flags().StringVar(&v.Env, "env", "", "environment the check ran in")
		c.Flags().StringVar(&v.Check, "check", "", "check name, e.g. e2e, load, soak")
		c.Flags().StringVar(&status, "status", "", "passed or failed")
		c.Flags().StringVar(&v.Digest, "digest", "", "the digest the check ran against")
		c.Flags().StringVar(&v.URL, "url", "", "link to the results")
		for _, f := range []string{"service", "env", "check", "status", "digest"} {
			c.MarkFlagRequired(f)
		}
		return c
	})
}

func init() {
	register("verify", func(g *globals) *cobra.Command {
		var service, env, check, digest string
		c := &cobra.Command{
			Use:   "run --service S --env ENV --check NAME [--digest sha256:…]",
			Short: "Run a check defined under the environment's checks: (an AnalysisTemplate) and record its verdict",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					v, err := e.RunCheck(ctx, service, env, check, digest)
					if err != nil {
						return err
					}
					status := "passed"
					if !v.Passed {
						status = "failed"
					}
					fmt.Fprintf(cmd.OutOrStdout(), "check %s %s for %s in %s (%s)\n", check, status, slipway.Digest12(v.Digest), env, v.URL)
					if !v.Passed {
						return &exitError{code: 1, err: fmt.Errorf("check %s failed", check)}
					}
					return nil
				})
			},
		}
		c.Flags().StringVar(&service, "service", "", "service name")
		c.Flags().StringVar(&env, "env", "", "environment whose checks: defines it")
		c.Flags().StringVar(&check, "check", "", "check name")
		c.Flags().StringVar(&digest, "digest", "", "digest to check (default: what runs in the environment)")
		for _, f := range []string{"service", "env", "check"} {
			c.MarkFlagRequired(f)
		}
		return c
	})
}
