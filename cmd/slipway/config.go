package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/config"
)

func init() {
	register("config", func(g *globals) *cobra.Command {
		return &cobra.Command{
			Use:   "validate",
			Short: "Check slipway.yaml; errors name the file, line and field",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				c, err := config.Load(g.configPath)
				if err != nil {
					return &exitError{code: 1, err: err}
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (%d services, %d environments)\n", c.Path(), len(c.Services), len(c.Environments))
				return nil
			},
		}
	})
	register("config", func(g *globals) *cobra.Command {
		return &cobra.Command{
			Use:   "schema",
			Short: "Print the JSON Schema of slipway.yaml",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				_, err := cmd.OutOrStdout().Write(config.Schema)
				return err
			},
		}
	})
}
