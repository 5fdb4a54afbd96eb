package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/demo"
)

func init() {
	register("", func(g *globals) *cobra.Command {
		var dir string
		var keep bool
		c := &cobra.Command{
			Use:   "demo",
			Short: "Play the whole story on embedded defaults: build, dev, release, staging, gates, canary, abort, revert, audit",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				out := cmd.OutOrStdout()
				start := time.Now()
				res, err := demo.Run(cmd.Context(), demo.Options{Dir: dir, Out: out})
				if res != nil && dir == "" && !keep {
					defer os.RemoveAll(res.Dir)
				}
				if err != nil {
					return fmt.Errorf("demo failed: %w", err)
				}
				fmt.Fprintf(out, "\ndemo ok in %s", time.Since(start).Round(100*time.Millisecond))
				if keep || dir != "" {
					fmt.Fprintf(out, "; everything is in %s (config %s, store %s)", res.Dir, res.ConfigPath, res.StateDir)
				}
				fmt.Fprintln(out)
				return nil
			},
		}
		c.Flags().StringVar(&dir, "dir", "", "work in this directory (kept afterwards)")
		c.Flags().BoolVar(&keep, "keep", false, "keep the temporary directory to inspect it")
		return c
	})
}
