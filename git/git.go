// Package git drives the git CLI. We shell out rather than use a Go
// implementation because git itself is the fastest reader of history and the
// behaviour users already trust for merges, reverts and pushes.
package git

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Repo is a git working tree or bare repository on disk.
type Repo struct {
	Dir string
	// Env is appended to the environment of every git call (e.g. author identity).
	Env []string
}

// Open returns the repository at dir without touching it.
func Open(dir string) *Repo { return &Repo{Dir: dir} }

// Error is a failed git invocation, with git's own stderr for the user.
type Error struct {
	Args   []string
	Stderr string
	Err    error
}

func (e *Error) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if msg == "" {
		msg = e.Err.Error()
	}
	return fmt.Sprintf("git %s: %s", strings.Join(e.Args, " "), msg)
}

func (e *Error) Unwrap() error { return e.Err }

// Run runs git with args in the repository and returns its trimmed stdout.
func (r *Repo) Run(ctx context.Context, args ...string) (string, error) {
	out, err := r.RunBytes(ctx, nil, args...)
	return strings.TrimRight(string(out), "\n"), err
}

// RunBytes runs git with optional stdin and returns stdout untouched.
func (r *Repo) RunBytes(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	cmd := r.Command(ctx, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), &Error{Args: args, Stderr: stderr.String(), Err: err}
	}
	return stdout.Bytes(), nil
}

// Command prepares a git command in the repository, for callers that stream
// its output (history reads) instead of buffering it.
func (r *Repo) Command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", r.Dir}, args...)...)
	// A stable, non-interactive environment: no pager, no prompts, no user
	// config deciding the output format.
	cmd.Env = append(os.Environ(),
		"GIT_TERMINAL_PROMPT=0",
		"GIT_PAGER=cat",
		"LC_ALL=C",
		"GIT_CONFIG_NOSYSTEM=1",
		// Git flushes stdout after every commit when it is a pipe; reading
		// 100k commits that is 100k writes and as many reader wake-ups.
		// GIT_FLUSH=0 lets stdio fill its buffer first.
		"GIT_FLUSH=0",
	)
	cmd.Env = append(cmd.Env, r.Env...)
	cmd.SysProcAttr = childAttr()
	return cmd
}
