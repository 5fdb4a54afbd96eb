package main

import (
	"errors"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
)

// globals are the flags every command shares.
type globals struct {
	configPath string // slipway.yaml
	stateDir   string // store directory (default ./.slipway)
	store      string // "" (SQLite under stateDir) or a postgres:// URL
	server     string // client mode: the URL of `slipway serve` (then the store is never opened)
}

// registration lets each command live in its own file without a central list
// that every change has to edit: a file calls register in its init.
type registration struct {
	parent string // "" for a top-level command, else the parent's name ("analysis")
	make   func(g *globals) *cobra.Command
}

var registrations []registration

// parentShort documents the grouping commands that several files add to.
var parentShort = map[string]string{
	"analysis": "Analysis templates, the statistical judge and scoring",
	"windows":  "Argo CD-compatible sync windows",
	"build":    "Immutable builds: register and inspect",
	"pr":       "Pull requests of the built-in local forge",
	"hold":     "Holds that keep a digest from being promoted",
	"audit":    "The hash-chained audit log",
	"verify":   "Verification results (e2e, load, soak)",
	"lint":     "Conventional Commit linting",
	"version":  "SemVer from Conventional Commits",
	"stop":     "Stop-the-line switches",
	"config":   "The slipway.yaml configuration",
	"canary":   "Decisions on a paused canary",
}

func register(parent string, mk func(g *globals) *cobra.Command) {
	registrations = append(registrations, registration{parent: parent, make: mk})
}

func newRootCmd() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "slipway",
		Short:         "Release orchestrator: Conventional Commits to SemVer, GitOps promotion, gates, canary analysis, audit",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.configPath, "config", "slipway.yaml", "path of the Slipway configuration")
	root.PersistentFlags().StringVar(&g.stateDir, "state", ".slipway", "directory of the Slipway state (SQLite store, GitOps clone)")
	root.PersistentFlags().StringVar(&g.store, "store", os.Getenv("SLIPWAY_STORE"), "database: empty for SQLite under --state, or a postgres:// URL (env SLIPWAY_STORE)")
	root.PersistentFlags().StringVar(&g.server, "server", os.Getenv("SLIPWAY_SERVER"), "talk to this `slipway serve` (its URL) with SLIPWAY_TOKEN or `slipway login`'s token, never to the store (env SLIPWAY_SERVER)")

	parents := map[string]*cobra.Command{}
	parentOf := func(name string) *cobra.Command {
		if p, ok := parents[name]; ok {
			return p
		}
		p := &cobra.Command{Use: name, Short: parentShort[name]}
		parents[name] = p
		root.AddCommand(p)
		return p
	}
	// Registration order depends on file names; sort for a stable help text.
	regs := append([]registration(nil), registrations...)
	sort.SliceStable(regs, func(i, j int) bool { return regs[i].parent < regs[j].parent })
	for _, r := range regs {
		c := r.make(g)
		if r.parent == "" {
			if p, ok := parents[c.Name()]; ok {
				// A file registered the command that others hang subcommands on.
				for _, sub := range p.Commands() {
					c.AddCommand(sub)
				}
				root.RemoveCommand(p)
			}
			parents[c.Name()] = c
			root.AddCommand(c)
			continue
		}
		parentOf(strings.TrimSpace(r.parent)).AddCommand(c)
	}
	installClientMode(root, g)
	return root
}

// exitError carries a specific exit status (e.g. 1 for "gate closed", 2 for usage).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}
