package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/window"
)

// The windows commands read a file of Argo CD sync windows (a list, or an
// AppProject manifest) and answer with the window package; nothing here
// decides anything.
func init() {
	register("windows", newWindowsCheckCmd)
	register("windows", newWindowsValidateCmd)
}

func newWindowsCheckCmd(_ *globals) *cobra.Command {
	var (
		file, atFlag, startedFlag, output string
		target                            window.Target
		manual                            bool
	)
	c := &cobra.Command{
		Use:   "check --file F [--app A] [--namespace N] [--cluster-name C] [--cluster-server S] [--at RFC3339] [--manual] [--operation-started-at RFC3339] [--output json]",
		Short: "Decide whether a target may sync at an instant, as Argo CD would (with Slipway's DST fix)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := window.Query{Target: target, Manual: manual, At: time.Now()}
			var err error
			if atFlag != "" {
				if q.At, err = parseFlagTime("--at", atFlag); err != nil {
					return err
				}
			}
			if startedFlag != "" {
				started, err := parseFlagTime("--operation-started-at", startedFlag)
				if err != nil {
					return err
				}
				q.OperationStartedAt = &started
			}
			if output != "" && output != "json" && output != "text" {
				return &exitError{code: 2, err: fmt.Errorf("--output %q: use json or text", output)}
			}
			out := cmd.OutOrStdout()
			set, err := readWindowsFile(file)
			if err != nil {
				// Fail closed in the machine-readable answer too.
				d := window.Decision{Windows: []window.WindowState{}, Reason: "the windows file cannot be read, so every sync is blocked", Error: err.Error()}
				if output == "json" {
					if werr := writeWindowsJSON(out, d); werr != nil {
						return werr
					}
				}
				return &exitError{code: 1, err: err}
			}
			d := set.Evaluate(q)
			if output == "json" {
				if err := writeWindowsJSON(out, d); err != nil {
					return err
				}
			} else {
				writeDecisionText(out, d)
			}
			if d.Error != "" {
				return &exitError{code: 1, err: fmt.Errorf("%s: invalid sync window: %s", file, d.Error)}
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&file, "file", "", "YAML/JSON list of sync windows, or an AppProject manifest")
	f.StringVar(&target.Application, "app", "", "application name matched by the windows' applications")
	f.StringVar(&target.Namespace, "namespace", "", "destination namespace matched by namespaces")
	f.StringVar(&target.ClusterName, "cluster-name", "", "destination cluster name matched by clusters")
	f.StringVar(&target.ClusterServer, "cluster-server", "", "destination cluster server URL matched by clusters")
	f.StringVar(&atFlag, "at", "", "instant to evaluate, RFC 3339 (default now)")
	f.BoolVar(&manual, "manual", false, "the sync is started by a person (manualSync applies)")
	f.StringVar(&startedFlag, "operation-started-at", "", "an operation is running since this RFC 3339 instant (syncOverrun applies)")
	f.StringVar(&output, "output", "text", "text or json")
	_ = c.MarkFlagRequired("file")
	return c
}

func newWindowsValidateCmd(_ *globals) *cobra.Command {
	var file, output, atFlag string
	c := &cobra.Command{
		Use:   "validate --file F [--output json]",
		Short: "Check sync windows: exit 1 naming each bad window and field; warn about deny windows lost in DST gaps",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			from := time.Now()
			if atFlag != "" {
				var err error
				if from, err = parseFlagTime("--at", atFlag); err != nil {
					return err
				}
			}
			set, err := readWindowsFile(file)
			if err != nil {
				return &exitError{code: 1, err: err}
			}
			problems := set.Validate(from)
			out := cmd.OutOrStdout()
			if output == "json" {
				if problems == nil {
					problems = []window.Problem{}
				}
				if err := writeWindowsJSON(out, map[string]any{"windows": len(set.Windows), "problems": problems, "valid": !window.HasErrors(problems)}); err != nil {
					return err
				}
			} else {
				for _, p := range problems {
					fmt.Fprintln(out, p.Error())
				}
			}
			if window.HasErrors(problems) {
				return &exitError{code: 1, err: fmt.Errorf("%s: sync windows are invalid (see above)", file)}
			}
			if output != "json" {
				fmt.Fprintf(out, "%s: %d sync windows, valid\n", file, len(set.Windows))
			}
			return nil
		},
	}
	c.Flags().StringVar(&file, "file", "", "YAML/JSON list of sync windows, or an AppProject manifest")
	c.Flags().StringVar(&output, "output", "text", "text or json")
	c.Flags().StringVar(&atFlag, "at", "", "look for DST gaps in the year from this RFC 3339 instant (default now)")
	_ = c.MarkFlagRequired("file")
	return c
}

func readWindowsFile(path string) (*window.Set, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read sync windows: %w", err)
	}
	return window.Parse(path, data)
}

func parseFlagTime(flag, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, &exitError{code: 2, err: fmt.Errorf("%s %q: not an RFC 3339 instant; write e.g. 2026-12-24T10:00:00Z", flag, v)}
	}
	return t, nil
}

func writeWindowsJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func writeDecisionText(w io.Writer, d window.Decision) {
	verdict := "blocked"
	if d.CanSync {
		verdict = "can sync"
	}
	fmt.Fprintf(w, "%s: %s\n", verdict, d.Reason)
	if d.NextChange != nil {
		fmt.Fprintf(w, "changes at %s\n", d.NextChange.Format(time.RFC3339))
	}
	for _, s := range d.Windows {
		fmt.Fprintf(w, "  window %d %-5s matched=%-5v active=%-5v manualSync=%-5v syncOverrun=%v\n", s.Index, s.Kind, s.Matched, s.Active, s.ManualSync, s.SyncOverrun)
	}
	if d.Error != "" {
		fmt.Fprintf(w, "error: %s\n", d.Error)
	}
}
