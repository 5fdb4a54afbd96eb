package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/conventional"
	"github.com/slipway/slipway/git"
	"github.com/slipway/slipway/versioning"
)

type lintFlags struct {
	repo         string
	types        []string
	scopes       []string
	requireScope bool
	maxHeader    int
}

func (f *lintFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.repo, "repo", ".", "repository directory (its release-please changelog-sections add allowed types)")
	c.Flags().StringSliceVar(&f.types, "types", nil, "allowed types (default: feat, fix, perf, revert, docs, style, chore, refactor, test, build, ci)")
	c.Flags().StringSliceVar(&f.scopes, "scopes", nil, "allowed scopes (default: any)")
	c.Flags().BoolVar(&f.requireScope, "require-scope", false, "reject headers without a scope")
	c.Flags().IntVar(&f.maxHeader, "max-header-length", 100, "longest header accepted (0: no limit)")
}

// rules takes the policy from flags, else from slipway.yaml's lint: (when
// the file exists), and adds the types of the repository's release-please
// changelog-sections, so a team that added a type there may use it.
func (f *lintFlags) rules(c *cobra.Command, g *globals) (conventional.LintRules, error) {
	r := conventional.LintRules{Types: f.types, Scopes: f.scopes, RequireScope: f.requireScope, MaxHeaderLength: f.maxHeader}
	if _, err := os.Stat(g.configPath); err == nil {
		cfg, err := config.Load(g.configPath)
		if err != nil {
			return r, err
		}
		l := cfg.Lint
		if !c.Flags().Changed("types") && len(l.Types) > 0 {
			r.Types = l.Types
		}
		if !c.Flags().Changed("scopes") && len(l.Scopes) > 0 {
			r.Scopes = l.Scopes
		}
		if !c.Flags().Changed("require-scope") && l.RequireScope {
			r.RequireScope = true
		}
		if !c.Flags().Changed("max-header-length") && l.MaxHeaderLength > 0 {
			r.MaxHeaderLength = l.MaxHeaderLength
		}
	}
	if len(r.Types) > 0 {
		return r, nil
	}
	if cfg, err := versioning.LoadReleasePlease(f.repo); err == nil && cfg != nil {
		r.Types = append([]string(nil), conventional.DefaultTypes...)
		for _, comp := range cfg.Components {
			for _, s := range comp.Rules.Sections {
				if !containsString(r.Types, s.Type) {
					r.Types = append(r.Types, s.Type)
				}
			}
		}
	}
	return r, nil
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func init() {
	register("lint", func(g *globals) *cobra.Command {
		f := &lintFlags{}
		c := &cobra.Command{
			Use:   "message FILE|-",
			Short: "Check one commit message (a commit-msg hook, or a PR title with -)",
			Example: `  # .git/hooks/commit-msg
  exec slipway lint message "$1"
  # CI, pull request title
  echo "$PR_TITLE" | slipway lint message -`,
			Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				msg, err := readMessage(cmd.InOrStdin(), args[0])
				if err != nil {
					return &exitError{code: 2, err: err}
				}
				rules, err := f.rules(cmd, g)
				if err != nil {
					return &exitError{code: 2, err: err}
				}
				probs := conventional.Lint(stripComments(msg), rules)
				if len(probs) == 0 {
					return nil
				}
				name := args[0]
				if name == "-" {
					name = "message"
				}
				return lintFailure(cmd.ErrOrStderr(), name, probs)
			},
		}
		f.add(c)
		return c
	})
	register("lint", func(g *globals) *cobra.Command {
		f := &lintFlags{}
		var from, to string
		c := &cobra.Command{
			Use:   "commits",
			Short: "Check every commit message of a range (default: since the last v* release tag)",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				repo := git.Open(f.repo)
				ctx := cmd.Context()
				if to == "" {
					to = "HEAD"
				}
				revs := []string{to}
				if from == "" {
					if r, err := versioning.Next(ctx, versioning.Request{Dir: f.repo, Target: to, SummaryOnly: true}); err == nil && r.PreviousTag != "" {
						from = r.PreviousTag
					}
				}
				if from != "" {
					revs = append(revs, "^"+from)
				}
				rules, err := f.rules(cmd, g)
				if err != nil {
					return &exitError{code: 2, err: err}
				}
				bad := 0
				_, err = repo.Log(ctx, git.LogOptions{Revs: revs}, func(e *git.LogEntry) error {
					if probs := conventional.Lint(e.Message, rules); len(probs) > 0 {
						bad++
						header, _, _ := strings.Cut(strings.TrimSpace(e.Message), "\n")
						_ = lintFailure(cmd.ErrOrStderr(), fmt.Sprintf("commit %s (%s)", e.SHA[:12], header), probs)
					}
					return nil
				})
				if err != nil {
					return err
				}
				if bad > 0 {
					return &exitError{code: 1, err: fmt.Errorf("%d commit message(s) need fixing: reword them (git rebase -i) or squash-merge with a conforming title", bad)}
				}
				fmt.Fprintln(cmd.OutOrStdout(), "all commit messages follow Conventional Commits")
				return nil
			},
		}
		f.add(c)
		c.Flags().StringVar(&from, "from", "", "start of the range, exclusive (default: the last release tag)")
		c.Flags().StringVar(&to, "to", "", "end of the range (default HEAD)")
		return c
	})
}

func readMessage(stdin io.Reader, arg string) (string, error) {
	var b []byte
	var err error
	if arg == "-" {
		b, err = io.ReadAll(stdin)
	} else {
		b, err = os.ReadFile(arg)
	}
	if err != nil {
		return "", fmt.Errorf("read commit message: %w", err)
	}
	return string(b), nil
}

// stripComments drops the "#" lines git puts in the message file given to
// a commit-msg hook (and everything below a scissors line).
func stripComments(msg string) string {
	var out []string
	for _, l := range strings.Split(msg, "\n") {
		if strings.HasPrefix(l, "# ------------------------ >8 ------------------------") {
			break
		}
		if !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func lintFailure(w io.Writer, name string, probs []conventional.Problem) error {
	fmt.Fprintf(w, "%s does not follow Conventional Commits:\n", name)
	for _, p := range probs {
		fmt.Fprintf(w, "  %s\n", strings.ReplaceAll(p.String(), "\n", "\n  "))
	}
	fmt.Fprintln(w, "  format: type(scope)!: description — see https://www.conventionalcommits.org/en/v1.0.0/")
	return &exitError{code: 1, err: fmt.Errorf("%s: %d problem(s)", name, len(probs))}
}
