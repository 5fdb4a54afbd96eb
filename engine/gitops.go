package engine

import (
	"context"
	"os/exec"
	"time"

	"github.com/slipway/slipway/git"
)

// GitOpsRepo is what the engine needs of its clone of the GitOps
// repository: read the pins at a commit, make a pin commit without a work
// tree, push it (fast-forward or compare-and-swap), and walk history for
// the audit. The wiring (app/) opens the clone; *git.Repo implements it.
type GitOpsRepo interface {
	// FetchShared fetches the remote's branches; callers at once share it.
	FetchShared(ctx context.Context) error
	// RemoteBranch is the fetched tip of branch ("" when it does not exist).
	RemoteBranch(ctx context.Context, branch string) (string, error)
	// ReadFile and ReadFiles read regular files at commit, refusing
	// symlinks and files over limit.
	ReadFile(ctx context.Context, commit, path string, limit int64) ([]byte, error)
	ReadFiles(ctx context.Context, commit string, paths []string, limit int64) (map[string][]byte, error)
	// ShowFile reads path at ref with no limit (small, known files).
	ShowFile(ctx context.Context, ref, path string) ([]byte, error)
	// CommitFiles writes one commit on parent that changes only files.
	CommitFiles(ctx context.Context, parent string, files map[string][]byte, id git.Identity, at time.Time, message string) (string, error)
	// PushCommit fast-forwards branch to sha; PushCAS moves it from old.
	PushCommit(ctx context.Context, sha, branch string) error
	PushCAS(ctx context.Context, sha, branch, old string) error
	Parents(ctx context.Context, sha string) ([]string, error)
	IsAncestor(ctx context.Context, a, b string) (bool, error)
	ChangedFiles(ctx context.Context, from, to string) ([]string, error)
	CommitsTouching(ctx context.Context, rev string, paths []string, n int) ([]string, error)
	Subject(ctx context.Context, sha string) (string, error)
	// CreateTagAs makes an annotated tag in the clone, id the tagger.
	CreateTagAs(ctx context.Context, id git.Identity, name, commit, message string) error
	// Run, RunBytes and Command run other git commands in the clone (the
	// audit's history walks stream through Command).
	Run(ctx context.Context, args ...string) (string, error)
	RunBytes(ctx context.Context, stdin []byte, args ...string) ([]byte, error)
	Command(ctx context.Context, args ...string) *exec.Cmd
}

var _ GitOpsRepo = (*git.Repo)(nil)
