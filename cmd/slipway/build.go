package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/engine"
)

func init() {
	register("build", func(g *globals) *cobra.Command {
		var service, commit, image string
		c := &cobra.Command{
			Use:   "register --service S --commit SHA --image REPO@sha256:…",
			Short: "Verify an image's signature and record it as an immutable build",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					b, created, err := e.RegisterBuild(ctx, service, commit, image)
					if err != nil {
						return err
					}
					if !created {
						fmt.Fprintf(cmd.OutOrStdout(), "build %s already registered (no change)\n", b.ID)
						return nil
					}
					fmt.Fprintf(cmd.OutOrStdout(), "build %s\n", b.ID)
					return nil
				})
			},
		}
		c.Flags().StringVar(&service, "service", "", "service name")
		c.Flags().StringVar(&commit, "commit", "", "full SHA of the source commit that produced the image")
		c.Flags().StringVar(&image, "image", "", "image reference by digest, repo@sha256:…")
		for _, f := range []string{"service", "commit", "image"} {
			c.MarkFlagRequired(f)
		}
		return c
	})
	register("build", func(g *globals) *cobra.Command {
		var service, output string
		var refused bool
		c := &cobra.Command{
			Use:   "list [--refused]",
			Short: "List registered builds, or the registrations intake refused (--refused)",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					if refused {
						return listRefused(ctx, cmd.OutOrStdout(), e, service, output)
					}
					bs, err := e.Store.Builds.Builds(ctx, service)
					if err != nil {
						return err
					}
					if output == "json" {
						return printJSON(cmd.OutOrStdout(), bs)
					}
					return printBuilds(cmd.OutOrStdout(), bs)
				})
			},
		}
		c.Flags().StringVar(&service, "service", "", "only this service")
		c.Flags().BoolVar(&refused, "refused", false, "list refused intakes: time, service, image, the rule that failed and why")
		outputFlag(c, &output)
		return c
	})
}

// listRefused prints the registrations intake refused, newest first.
func listRefused(ctx context.Context, out io.Writer, e *engine.Engine, service, output string) error {
	rs, err := e.Store.Builds.RefusedIntakes(ctx, service)
	if err != nil {
		return err
	}
	if output == "json" {
		return printJSON(out, rs)
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TIME\tSERVICE\tIMAGE\tRULE\tREASON")
	for _, r := range rs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.At.Format(time.RFC3339), r.Service, r.Image, r.Rule, oneLine(r.Reason))
	}
	return w.Flush()
}

// oneLine keeps a reason on its table row.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
