package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/app"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/engine"
)

// openEngine loads the configuration and opens the engine, printing the
// timeline of what it does to out.
func openEngine(ctx context.Context, g *globals, out io.Writer) (*engine.Engine, error) {
	cfg, err := config.Load(g.configPath)
	if err != nil {
		return nil, &exitError{code: 2, err: err}
	}
	// The timeline already shows every notice; the log says only what went wrong.
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	return app.Open(ctx, app.Options{Config: cfg, StateDir: g.stateDir, Store: g.store, Events: printEvent(out), Log: log})
}

// withEngine runs fn with an open engine and closes it afterwards.
func withEngine(cmd *cobra.Command, g *globals, fn func(ctx context.Context, e *engine.Engine) error) error {
	if g.server != "" {
		return errNoRemote(cmd)
	}
	ctx := localActor(cmd.Context())
	e, err := openEngine(ctx, g, cmd.OutOrStdout())
	if err != nil {
		return err
	}
	defer e.Close()
	return userError(fn(ctx, e))
}

// printEvent writes one timeline line: time, stage, what happened, reference.
func printEvent(out io.Writer) func(engine.Event) {
	return func(ev engine.Event) {
		ref := ""
		if ev.Ref != "" {
			ref = "  [" + ev.Ref + "]"
		}
		fmt.Fprintf(out, "%s  %-9s %s%s\n", ev.At.Format("15:04:05"), ev.Stage, ev.Message, ref)
	}
}

// userError maps domain error codes to exit statuses: 1 for refusals the
// caller should read (forbidden, conflict, invalid, not found), 3 for
// environment failures.
func userError(err error) error {
	if err == nil {
		return nil
	}
	switch slipway.ErrorCode(err) {
	case slipway.EINTERNAL:
		return &exitError{code: 3, err: err}
	}
	return &exitError{code: 1, err: err}
}

// currentUser is who the CLI acts as: SLIPWAY_USER, else git's user.email.
// (Local mode trusts the workstation; the API authenticates with tokens.)
func currentUser() string {
	if u := strings.TrimSpace(os.Getenv("SLIPWAY_USER")); u != "" {
		return u
	}
	if out, err := exec.Command("git", "config", "user.email").Output(); err == nil {
		if u := strings.TrimSpace(string(out)); u != "" {
			return u
		}
	}
	return os.Getenv("USER")
}

func printJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func outputFlag(c *cobra.Command, p *string) {
	c.Flags().StringVarP(p, "output", "o", "text", "output format: text or json")
}
