package main

// `slipway analysis validate` and `slipway analysis run`: Argo Rollouts
// AnalysisTemplates checked and run outside Kubernetes.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/analysis"
)

// Exit statuses of `analysis run`, one per run phase.
const (
	exitAnalysisFailed       = 1
	exitAnalysisError        = 2
	exitAnalysisInconclusive = 3
	exitAnalysisTerminated   = 4
)

func init() {
	register("analysis", newAnalysisValidateCmd)
	register("analysis", newAnalysisRunCmd)
}

func newAnalysisValidateCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check AnalysisTemplate files; exit 1 listing each problem by field path",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			lib, all, err := loadTemplateFiles(files)
			if err == nil {
				err = analysis.Validate(lib, nil, all...)
			}
			if err != nil {
				var ve *analysis.ValidationError
				if errors.As(err, &ve) {
					for _, p := range ve.Problems {
						fmt.Fprintln(cmd.OutOrStdout(), p.Error())
					}
					return &exitError{code: 1, err: fmt.Errorf("%d problem(s) found", len(ve.Problems))}
				}
				return &exitError{code: 1, err: err}
			}
			for _, t := range all {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %s %s ok (%d metrics)\n", t.Source, t.Kind, t.Metadata.Name, len(t.Spec.Metrics))
			}
			return nil
		},
	}
}

// loadTemplateFiles parses every file into one library so that templates
// may reference each other across files.
func loadTemplateFiles(files []string) (*analysis.Library, []*analysis.Template, error) {
	lib := analysis.NewLibrary()
	var all []*analysis.Template
	var problems []analysis.FieldError
	for _, f := range files {
		ts, err := analysis.ParseFile(f)
		var ve *analysis.ValidationError
		switch {
		case errors.As(err, &ve):
			problems = append(problems, ve.Problems...)
			continue
		case err != nil:
			return nil, nil, err
		}
		if err := lib.Add(ts...); err != nil {
			return nil, nil, err
		}
		all = append(all, ts...)
	}
	if len(problems) > 0 {
		return nil, nil, &analysis.ValidationError{Problems: problems}
	}
	return lib, all, nil
}

func newAnalysisRunCmd(g *globals) *cobra.Command {
	var (
		args    []string
		secrets []string
		output  string
		name    string
		extra   []string
	)
	cmd := &cobra.Command{
		Use:   "run FILE",
		Short: "Run an AnalysisTemplate live, streaming each measurement and the verdicts",
		Long: `Run an AnalysisTemplate now, as an Argo Rollouts AnalysisRun would, and print
each measurement and phase change as it happens.

Exit status: 0 Successful, 1 Failed, 2 Error (including a run that cannot
start), 3 Inconclusive, 4 Terminated (interrupted).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, pos []string) error {
			if output != "text" && output != "json" {
				return &exitError{code: exitAnalysisError, err: fmt.Errorf("--output %q: use text or json", output)}
			}
			lib, all, err := loadTemplateFiles(append([]string{pos[0]}, extra...))
			if err != nil {
				return &exitError{code: exitAnalysisError, err: err}
			}
			tpl, err := pickTemplate(all, pos[0], name)
			if err != nil {
				return &exitError{code: exitAnalysisError, err: err}
			}
			argMap, err := parseKeyValues("--arg", args)
			if err != nil {
				return &exitError{code: exitAnalysisError, err: err}
			}
			secretMap, err := parseSecretFlags(secrets)
			if err != nil {
				return &exitError{code: exitAnalysisError, err: err}
			}
			opts := analysis.Options{Args: argMap, Secrets: secretMap, Library: lib}
			out := newRunPrinter(cmd.OutOrStdout(), output == "json")
			opts.OnMeasurement, opts.OnPhase = out.measurement, out.phase
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			res, runErr := analysis.Run(ctx, tpl, opts)
			out.result(res)
			if runErr != nil {
				return &exitError{code: exitAnalysisError, err: runErr}
			}
			return phaseExit(res)
		},
	}
	cmd.Flags().StringArrayVar(&args, "arg", nil, "argument value NAME=VALUE (repeatable)")
	cmd.Flags().StringArrayVar(&secrets, "secret", nil, "secretKeyRef source SECRET/KEY=env:VAR or SECRET/KEY=file:PATH (repeatable; default env SLIPWAY_SECRET_<SECRET>_<KEY>)")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text, or json (one JSON object per line)")
	cmd.Flags().StringVar(&name, "template", "", "template to run when FILE holds several")
	cmd.Flags().StringArrayVar(&extra, "templates-from", nil, "more files whose templates FILE's spec.templates may reference")
	return cmd
}

func pickTemplate(all []*analysis.Template, file, name string) (*analysis.Template, error) {
	var inFile []*analysis.Template
	for _, t := range all {
		if strings.HasPrefix(t.Source, file+"#") {
			if name == "" || t.Metadata.Name == name {
				inFile = append(inFile, t)
			}
		}
	}
	switch {
	case len(inFile) == 1:
		return inFile[0], nil
	case name != "":
		return nil, fmt.Errorf("%s holds no template named %q", file, name)
	}
	names := make([]string, len(inFile))
	for i, t := range inFile {
		names[i] = t.Metadata.Name
	}
	return nil, fmt.Errorf("%s holds %d templates (%s): choose one with --template NAME", file, len(inFile), strings.Join(names, ", "))
}

func parseKeyValues(flag string, kvs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s %q: write NAME=VALUE", flag, kv)
		}
		out[k] = v
	}
	return out, nil
}

func parseSecretFlags(flags []string) (analysis.SecretMap, error) {
	m := analysis.SecretMap{}
	for _, f := range flags {
		ref, src, ok := strings.Cut(f, "=")
		if !ok || !strings.Contains(ref, "/") {
			return nil, fmt.Errorf("--secret %q: write SECRET/KEY=env:VAR or SECRET/KEY=file:PATH", f)
		}
		switch kind, val, _ := strings.Cut(src, ":"); kind {
		case "env":
			m[ref] = analysis.SecretSource{Env: val}
		case "file":
			m[ref] = analysis.SecretSource{File: val}
		default:
			return nil, fmt.Errorf("--secret %q: the source must start with env: or file:", f)
		}
	}
	return m, nil
}

func phaseExit(res *analysis.Result) error {
	code := map[analysis.Phase]int{
		analysis.PhaseFailed:       exitAnalysisFailed,
		analysis.PhaseError:        exitAnalysisError,
		analysis.PhaseInconclusive: exitAnalysisInconclusive,
		analysis.PhaseTerminated:   exitAnalysisTerminated,
	}[res.Phase]
	if code == 0 {
		return nil
	}
	return &exitError{code: code, err: fmt.Errorf("analysis %s: %s", res.Phase, res.Message)}
}

// runPrinter streams a run as text lines or JSON lines.
type runPrinter struct {
	mu   sync.Mutex
	w    io.Writer
	json bool
	enc  *json.Encoder
}

func newRunPrinter(w io.Writer, asJSON bool) *runPrinter {
	return &runPrinter{w: w, json: asJSON, enc: json.NewEncoder(w)}
}

func (p *runPrinter) measurement(e analysis.MeasurementEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		_ = p.enc.Encode(map[string]any{"event": "measurement", "measurement": e.Measurement, "dryRun": e.DryRun, "counters": e.Counters})
		return
	}
	m := e.Measurement
	line := fmt.Sprintf("%s  %-20s #%-3d %-12s %s", m.FinishedAt.Format("15:04:05.000"), m.Metric, m.Index, m.Phase, m.Value)
	if m.Message != "" && m.Phase != analysis.PhaseSuccessful {
		line += "  (" + m.Message + ")"
	}
	fmt.Fprintln(p.w, line)
}

func (p *runPrinter) phase(c analysis.PhaseChange) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		_ = p.enc.Encode(map[string]any{"event": "phase", "phase": c})
		return
	}
	who := "run"
	if c.Metric != "" {
		who = "metric " + c.Metric
	}
	line := fmt.Sprintf("%s  %s: %s -> %s", c.At.Format("15:04:05.000"), who, c.From, c.To)
	if c.Message != "" {
		line += "  " + c.Message
	}
	fmt.Fprintln(p.w, line)
}

func (p *runPrinter) result(r *analysis.Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		_ = p.enc.Encode(map[string]any{"event": "result", "result": r})
		return
	}
	fmt.Fprintf(p.w, "analysis %s: %s", r.Name, r.Phase)
	if r.Message != "" {
		fmt.Fprintf(p.w, " (%s)", r.Message)
	}
	fmt.Fprintln(p.w)
	for _, m := range r.Metrics {
		dry := ""
		if m.DryRun {
			dry = " [dry-run]"
		}
		fmt.Fprintf(p.w, "  %-20s %-12s successful=%d failed=%d inconclusive=%d error=%d%s\n", m.Name, m.Phase, m.Successful, m.Failed, m.Inconclusive, m.Error, dry)
	}
}
