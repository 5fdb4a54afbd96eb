package main

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/engine"
	"github.com/slipway/slipway/git"
)

func init() {
	register("pr", func(g *globals) *cobra.Command {
		c := &cobra.Command{
			Use:   "list [open|merged|closed]",
			Short: "List pull requests of the local forge (all, or those in one state)",
			// The state is an argument, not a --state flag: --state is the
			// state directory of every command.
			Args:      cobra.MaximumNArgs(1),
			ValidArgs: []string{"open", "merged", "closed"},
			RunE: func(cmd *cobra.Command, args []string) error {
				state := ""
				if len(args) == 1 {
					state = args[0]
					if state != "open" && state != "merged" && state != "closed" {
						return &exitError{code: 2, err: fmt.Errorf("pull request state %q: use open, merged or closed (or nothing for all)", state)}
					}
				}
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					prs, err := e.Forge.List(ctx, state)
					if err != nil {
						return err
					}
					w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
					fmt.Fprintln(w, "#\tSTATE\tBASE\tBRANCH\tTITLE")
					for _, p := range prs {
						fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", p.Number, p.State, p.Base, p.Branch, p.Title)
					}
					return w.Flush()
				})
			},
		}
		return c
	})
	register("pr", func(g *globals) *cobra.Command {
		return &cobra.Command{
			Use:   "show N",
			Short: "Show a pull request",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				n, err := prNumber(args[0])
				if err != nil {
					return err
				}
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					f, repo := e.Forge, e.GitOps
					if rel, ok := localReleasePR(ctx, e, n); ok {
						// A release pull request changes the app repository.
						f, repo = rel.Forge, git.Open(e.Cfg.Resolve(e.Cfg.App.Repo))
					}
					p, err := f.Get(ctx, n)
					if err != nil {
						return err
					}
					out := cmd.OutOrStdout()
					fmt.Fprintf(out, "#%d %s\nstate:  %s\nbranch: %s -> %s\nauthor: %s\nhead:   %s\n", p.Number, p.Title, p.State, p.Branch, p.Base, p.Author, p.HeadSHA)
					if p.State == "merged" {
						fmt.Fprintf(out, "merged: %s by %s\n", p.MergeSHA, p.MergedBy)
					}
					diff, _ := repo.Run(ctx, "diff", "origin/"+p.Base+"..."+p.HeadSHA)
					fmt.Fprintf(out, "\n%s\n\n%s\n", p.Body, diff)
					return nil
				})
			},
		}
	})
	register("pr", func(g *globals) *cobra.Command {
		return &cobra.Command{
			Use:   "merge N",
			Short: "Merge a pull request (a real git merge pushed to its remote) and continue its promotion, or its release",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				n, err := prNumber(args[0])
				if err != nil {
					return err
				}
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					if rel, ok := localReleasePR(ctx, e, n); ok {
						out, err := rel.MergeReleasePR(ctx, n, currentUser())
						if out != nil {
							printPROutcome(cmd.OutOrStdout(), out)
						}
						return err
					}
					return e.MergePR(ctx, n, currentUser())
				})
			},
		}
	})
}

// localReleasePR reports whether pull request n is a release pull request
// of the local forge over the app repository (the local forge keeps the
// app's and the GitOps repository's pull requests in one list). A hosted
// app forge numbers its own: its release pull requests merge there.
func localReleasePR(ctx context.Context, e *engine.Engine, n int) (*engine.Releaser, bool) {
	rel, err := openReleaser(e)
	if err != nil || rel.Forge == nil || rel.Forge.Name() != "local" {
		return nil, false
	}
	_, err = rel.ReleasePR(ctx, n)
	return rel, err == nil
}

func prNumber(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, &exitError{code: 2, err: fmt.Errorf("pull request number %q: give a positive number, e.g. `slipway pr merge 3`", s)}
	}
	return n, nil
}
