package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/git"
	"github.com/slipway/slipway/versioning/deprecation"
)

// listedDeprecation is one register entry with its state.
type listedDeprecation struct {
	deprecation.Entry
	// Status is "active", "removed" or "removed early".
	Status string `json:"status"`
}

func init() {
	register("", func(g *globals) *cobra.Command {
		return &cobra.Command{
			Use:   "deprecations",
			Short: "The deprecation register (deprecations.yaml) kept by `slipway release`",
		}
	})
	register("deprecations", func(g *globals) *cobra.Command {
		var output, service, ref, repo string
		c := &cobra.Command{
			Use:   "list",
			Short: "Print the deprecation register of the app repository",
			Long: `Print deprecations.yaml of the app repository: what each service deprecated,
since which release, the promise of its Deprecated: footer (remove after a
version or a date), and whether a release removed it. --ref reads it at a
branch or tag (e.g. a hotfix branch) instead of the work tree.`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				dir := repo
				if dir == "" {
					cfg, err := config.Load(g.configPath)
					if err != nil {
						return &exitError{code: 2, err: err}
					}
					dir = cfg.Resolve(cfg.App.Repo)
				}
				entries, err := readRegister(cmd.Context(), dir, ref)
				if err != nil {
					return &exitError{code: 1, err: err}
				}
				var list []listedDeprecation
				for _, e := range entries {
					if service != "" && e.Component != service {
						continue
					}
					st := "active"
					switch {
					case e.EarlyRemoval != "":
						st = "removed early"
					case e.RemovedIn != "":
						st = "removed"
					}
					list = append(list, listedDeprecation{Entry: e, Status: st})
				}
				if output == "json" {
					if list == nil {
						list = []listedDeprecation{}
					}
					return printJSON(cmd.OutOrStdout(), list)
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tSERVICE\tWHAT\tSINCE\tDATE\tREMOVE AFTER\tSTATUS")
				for _, e := range list {
					st := e.Status
					if e.RemovedIn != "" {
						st += " in " + e.RemovedIn
					}
					if e.EarlyRemoval != "" {
						st += " (" + e.EarlyRemoval + ")"
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, dash(e.Component), e.What, e.Since, e.Date, dash(e.RemoveAfter), st)
				}
				return w.Flush()
			},
		}
		outputFlag(c, &output)
		c.Flags().StringVar(&service, "service", "", "only this service's deprecations")
		c.Flags().StringVar(&ref, "ref", "", "read the register at this branch, tag or commit (default: the work tree)")
		c.Flags().StringVar(&repo, "repo", "", "the app repository (default: app.repo of slipway.yaml)")
		return c
	})
}

// readRegister reads deprecations.yaml from the work tree or at ref; a
// repository without one has an empty register.
func readRegister(ctx context.Context, dir, ref string) ([]deprecation.Entry, error) {
	var data []byte
	var err error
	name := filepath.Join(dir, deprecation.File)
	if ref == "" {
		data, err = os.ReadFile(name)
	} else {
		name = ref + ":" + deprecation.File
		data, err = git.Open(dir).ReadFile(ctx, ref, deprecation.File, 4<<20)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	reg, err := deprecation.Parse(name, data)
	if err != nil {
		return nil, err
	}
	return reg.Entries, nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
