package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/conventional"
	"github.com/slipway/slipway/conventional/commitlint"
	"github.com/slipway/slipway/git"
	"github.com/slipway/slipway/versioning"
)

type lintFlags struct {
	repo         string
	types        []string
	scopes       []string
	requireScope bool
	maxHeader    int
	preset       string
	output       string
	clConfig     string
}

func (f *lintFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.repo, "repo", ".", "repository directory (its release-please changelog-sections add allowed types)")
	c.Flags().StringSliceVar(&f.types, "types", nil, "allowed types (default: feat, fix, perf, revert, docs, style, chore, refactor, test, build, ci)")
	c.Flags().StringSliceVar(&f.scopes, "scopes", nil, "allowed scopes (default: any)")
	c.Flags().BoolVar(&f.requireScope, "require-scope", false, "reject headers without a scope")
	c.Flags().IntVar(&f.maxHeader, "max-header-length", 100, "longest header accepted (0: no limit)")
	c.Flags().StringVar(&f.preset, "preset", "", "rule set: spec (Conventional Commits 1.0, the default) or commitlint-conventional (commitlint's config-conventional; default: lint.preset in slipway.yaml)")
	c.Flags().StringVarP(&f.output, "output", "o", "text", "report format: text or json")
	c.Flags().StringVar(&f.clConfig, "commitlint-config", "", "commitlint configuration file for the commitlint-conventional preset (default: the .commitlintrc* or commitlint.config.* found from --repo up)")
}

// rules takes the policy from flags, else from slipway.yaml's lint: (when
// the file exists), and adds the types of the repository's release-please
// changelog-sections, so a team that added a type there may use it.
func (f *lintFlags) rules(c *cobra.Command, l config.Lint) conventional.LintRules {
	r := conventional.LintRules{Types: f.types, Scopes: f.scopes, RequireScope: f.requireScope, MaxHeaderLength: f.maxHeader}
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
	if len(r.Types) > 0 {
		return r
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
	return r
}

// linter is a resolved lint policy: the spec preset's rules, or a
// commitlint configuration.
type linter struct {
	spec conventional.LintRules
	cl   *commitlint.Config
	json bool
}

// linter reads slipway.yaml's lint: (when the file exists) and the flags,
// and resolves the preset they name.
func (f *lintFlags) linter(c *cobra.Command, g *globals) (*linter, error) {
	var l config.Lint
	if _, err := os.Stat(g.configPath); err == nil {
		cfg, err := config.Load(g.configPath)
		if err != nil {
			return nil, err
		}
		l = cfg.Lint
	}
	out := &linter{}
	switch f.output {
	case "text":
	case "json":
		out.json = true
	default:
		return nil, fmt.Errorf("--output %q: use text or json", f.output)
	}
	preset := l.Preset
	if c.Flags().Changed("preset") {
		preset = f.preset
	}
	switch preset {
	case "", "spec":
		if f.clConfig != "" {
			return nil, fmt.Errorf("--commitlint-config applies to the %s preset: add --preset %s", commitlint.Preset, commitlint.Preset)
		}
		out.spec = f.rules(c, l)
		return out, nil
	case commitlint.Preset:
		for _, name := range []string{"types", "scopes", "require-scope", "max-header-length"} {
			if c.Flags().Changed(name) {
				return nil, fmt.Errorf("--%s applies to the spec preset; with %s set the commitlint rule in .commitlintrc.json (type-enum, scope-enum, scope-empty, header-max-length)", name, commitlint.Preset)
			}
		}
		var err error
		if f.clConfig != "" {
			out.cl, err = commitlint.LoadFile(f.clConfig)
		} else {
			out.cl, err = commitlint.Load(f.repo)
		}
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	return nil, fmt.Errorf("--preset %q: use spec or %s", preset, commitlint.Preset)
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
				raw, err := readMessage(cmd.InOrStdin(), args[0])
				if err != nil {
					return &exitError{code: 2, err: err}
				}
				l, err := f.linter(cmd, g)
				if err != nil {
					return &exitError{code: 2, err: err}
				}
				name := args[0]
				if name == "-" {
					name = "message"
				}
				if l.cl != nil {
					return commitlintMessage(cmd, l, raw, args[0] == "-", f.repo)
				}
				msg := string(raw)
				probs := conventional.Lint(stripComments(msg), l.spec)
				if l.json {
					r := commitlint.NewReport()
					r.Add(specOutcome(msg, "", probs))
					return writeReport(cmd, r, "", len(probs) > 0)
				}
				if len(probs) == 0 {
					return nil
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
				l, err := f.linter(cmd, g)
				if err != nil {
					return &exitError{code: 2, err: err}
				}
				report := commitlint.NewReport()
				bad := 0
				_, err = repo.Log(ctx, git.LogOptions{Revs: revs, NoIdentity: true}, func(e *git.LogEntry) error {
					if l.cl != nil {
						// commitlint reads each message as git log's %B
						// plus a newline.
						msg := commitlint.Decode([]byte(e.Message)) + "\n"
						if commitlint.Blank(msg) {
							return nil
						}
						o := l.cl.Lint(msg, commitlint.Options{})
						o.Hash = e.SHA
						report.Add(o)
						return nil
					}
					probs := conventional.Lint(e.Message, l.spec)
					if l.json {
						report.Add(specOutcome(e.Message, e.SHA, probs))
					}
					if len(probs) > 0 {
						bad++
						if !l.json {
							header, _, _ := strings.Cut(strings.TrimSpace(e.Message), "\n")
							_ = lintFailure(cmd.ErrOrStderr(), fmt.Sprintf("commit %s (%s)", e.SHA[:12], header), probs)
						}
					}
					return nil
				})
				if err != nil {
					return err
				}
				if l.cl != nil {
					return writeReport(cmd, report, l.cl.HelpURL, !report.Valid)
				}
				if l.json {
					return writeReport(cmd, report, "", bad > 0)
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

func readMessage(stdin io.Reader, arg string) ([]byte, error) {
	var b []byte
	var err error
	if arg == "-" {
		b, err = io.ReadAll(io.LimitReader(stdin, maxMessageSize+1))
	} else {
		b, err = readLimited(arg)
	}
	if err != nil {
		return nil, fmt.Errorf("read commit message: %w", err)
	}
	if len(b) > maxMessageSize {
		return nil, fmt.Errorf("read commit message %s: larger than %d MiB; a commit message is a few lines", arg, maxMessageSize>>20)
	}
	return b, nil
}

// maxMessageSize bounds a message read for linting: git accepts anything,
// the hook should not read a runaway file into memory.
const maxMessageSize = 16 << 20

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxMessageSize+1))
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
