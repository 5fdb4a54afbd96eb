package main

import (
	"context"
	"fmt"

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
		var service string
		c := &cobra.Command{
			Use:   "list",
			Short: "List registered builds",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					bs, err := e.Store.Builds.Builds(ctx, service)
					if err != nil {
						return err
					}
					return printBuilds(cmd.OutOrStdout(), bs)
				})
			},
		}
		c.Flags().StringVar(&service, "service", "", "only this service")
		return c
	})
}
