package analysis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// DefaultJobTimeout bounds a job without spec.activeDeadlineSeconds.
const DefaultJobTimeout = 10 * time.Minute

// DefaultJobBackoffLimit is Kubernetes' default spec.backoffLimit.
const DefaultJobBackoffLimit = 6

func init() { defaultRegistry.Register("job", newJobProvider) }

// JobMetric is the part of `provider.job` (a Kubernetes Job) that Slipway
// runs: each container's command and args as a local process, with the
// container's literal env values. Other Job fields are accepted and ignored.
type JobMetric struct {
	Spec struct {
		BackoffLimit          *int64 `yaml:"backoffLimit"`
		ActiveDeadlineSeconds *int64 `yaml:"activeDeadlineSeconds"`
		Template              struct {
			Spec struct {
				Containers []JobContainer `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

// JobContainer is a container of the job's pod template.
type JobContainer struct {
	Name       string   `yaml:"name"`
	Image      string   `yaml:"image"`
	Command    []string `yaml:"command"`
	Args       []string `yaml:"args"`
	WorkingDir string   `yaml:"workingDir"`
	Env        []struct {
		Name  string `yaml:"name"`
		Value string `yaml:"value"`
	} `yaml:"env"`
}

type jobProvider struct {
	containers []JobContainer
	timeout    time.Duration
	attempts   int64
}

func newJobProvider(n *yaml.Node, _ Metric) (Provider, error) {
	var cfg JobMetric
	if n == nil {
		return nil, fmt.Errorf("configuration is empty")
	}
	if err := n.Decode(&cfg); err != nil {
		return nil, err
	}
	cs := cfg.Spec.Template.Spec.Containers
	if len(cs) == 0 {
		return nil, fmt.Errorf("spec.template.spec.containers is empty: give at least one container with a command")
	}
	for i, c := range cs {
		if len(c.Command) == 0 && len(c.Args) == 0 {
			return nil, fmt.Errorf("spec.template.spec.containers[%d] (%s) has no command: Slipway runs command+args as a local process and cannot use the image's entrypoint", i, c.Name)
		}
	}
	p := &jobProvider{containers: cs, timeout: DefaultJobTimeout, attempts: DefaultJobBackoffLimit + 1}
	if d := cfg.Spec.ActiveDeadlineSeconds; d != nil {
		if *d <= 0 {
			return nil, fmt.Errorf("spec.activeDeadlineSeconds must be > 0, got %d", *d)
		}
		p.timeout = time.Duration(*d) * time.Second
	}
	if b := cfg.Spec.BackoffLimit; b != nil {
		if *b < 0 {
			return nil, fmt.Errorf("spec.backoffLimit must be >= 0, got %d", *b)
		}
		p.attempts = *b + 1
	}
	return p, nil
}

// Measure runs the containers like a Job runs its pod: every container must
// exit 0 (Successful); a failed pod is retried up to backoffLimit times, then
// the measurement is Failed. The whole job is bounded by activeDeadlineSeconds
// (Failed with DeadlineExceeded, as Kubernetes reports it). A command that
// cannot be started is an Error: it is a configuration problem.
func (p *jobProvider) Measure(ctx context.Context) (Observation, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	var last string
	for attempt := int64(1); attempt <= p.attempts; attempt++ {
		out, err := p.runPod(ctx)
		if err == nil {
			return Observation{Phase: PhaseSuccessful, Value: "exit 0", Message: tail(out), Metadata: map[string]string{"attempts": fmt.Sprint(attempt)}}, nil
		}
		var startErr *startError
		if errors.As(err, &startErr) {
			return Observation{}, err
		}
		if ctx.Err() != nil {
			if parent := context.Cause(ctx); errors.Is(parent, context.DeadlineExceeded) {
				return Observation{Phase: PhaseFailed, Value: "DeadlineExceeded", Message: fmt.Sprintf("job was active longer than activeDeadlineSeconds (%s)", p.timeout)}, nil
			}
			return Observation{}, ctx.Err()
		}
		last = fmt.Sprintf("%v: %s", err, tail(out))
	}
	return Observation{Phase: PhaseFailed, Value: "BackoffLimitExceeded", Message: fmt.Sprintf("job failed %d time(s); last: %s", p.attempts, last)}, nil
}

type startError struct{ err error }

func (e *startError) Error() string { return e.err.Error() }
func (e *startError) Unwrap() error { return e.err }

func (p *jobProvider) runPod(ctx context.Context) (string, error) {
	type result struct {
		out string
		err error
	}
	results := make(chan result, len(p.containers))
	for _, c := range p.containers {
		go func(c JobContainer) {
			argv := append(append([]string(nil), c.Command...), c.Args...)
			cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
			cmd.Dir = c.WorkingDir
			cmd.Env = os.Environ()
			for _, e := range c.Env {
				cmd.Env = append(cmd.Env, e.Name+"="+e.Value)
			}
			cmd.WaitDelay = time.Second
			var buf bytes.Buffer
			cmd.Stdout, cmd.Stderr = &buf, &buf
			if err := cmd.Start(); err != nil {
				results <- result{err: &startError{fmt.Errorf("container %s: cannot start %q: %w", c.Name, argv[0], err)}}
				return
			}
			err := cmd.Wait()
			if err != nil {
				err = fmt.Errorf("container %s: %w", c.Name, err)
			}
			results <- result{out: buf.String(), err: err}
		}(c)
	}
	var outs []string
	var firstErr error
	for range p.containers {
		r := <-results
		outs = append(outs, r.out)
		if r.err != nil && firstErr == nil {
			firstErr = r.err
		}
	}
	return strings.Join(outs, "\n"), firstErr
}

func tail(s string) string {
	s = strings.TrimSpace(s)
	const max = 2048
	if len(s) > max {
		return "…" + s[len(s)-max:]
	}
	return s
}
