package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/git"
	"github.com/slipway/slipway/gitops"
)

// Trailers written on every pin commit: they make the commit findable after a
// crash (idempotency) and tie Git history to the store.
const (
	trailerPromotion = "Slipway-Promotion"
	trailerDigest    = "Slipway-Digest"
	trailerReverts   = "Slipway-Reverts"
)

// pinStep writes the digest into the environment's pin and pushes it to the
// environment's branch (direct) or to the promotion's branch with a pull
// request.
type pinStep struct{}

func (pinStep) String() string { return "edit pin, commit, push or open pull request" }

func (pinStep) Run(ctx context.Context, e *Engine, p *slipway.Promotion) (slipway.PromotionState, string, error) {
	env, _, err := e.Cfg.Environment(p.Env)
	if err != nil {
		return "", "", invalid("%v", err)
	}
	b, err := e.Store.Build(ctx, p.BuildID)
	if err != nil {
		return "", "", err
	}
	base := e.Cfg.Branch(env)
	if err := e.GitOps.Fetch(ctx); err != nil {
		return "", "", err
	}
	if env.Promotion == "direct" {
		return e.pinDirect(ctx, env, base, b, p)
	}
	return e.pinPullRequest(ctx, env, base, b, p)
}

func (e *Engine) pinDirect(ctx context.Context, env *config.Environment, base string, b *slipway.Build, p *slipway.Promotion) (slipway.PromotionState, string, error) {
	// A remote that moves between our fetch and push is retried from its new
	// tip; Slipway never force-pushes.
	for attempt := 1; ; attempt++ {
		sha, err := e.GitOps.FindTrailer(ctx, "origin/"+base, trailerPromotion, p.ID)
		if err != nil {
			return "", "", err
		}
		if sha != "" { // pushed before a crash: adopt it
			p.PinCommit = sha
			return slipway.StateSynced, "pinned on " + base, nil
		}
		sha, err = e.commitPin(ctx, env, base, b, p)
		if err != nil {
			return "", "", err
		}
		if sha == "" { // already pinned to this digest: nothing to change
			file, _ := pinFile(env, p)
			p.PinCommit, _ = e.GitOps.LastCommitTouching(ctx, "origin/"+base, file)
			return slipway.StateSynced, "already pinned on " + base, nil
		}
		err = e.GitOps.Push(ctx, base)
		if errors.Is(err, git.ErrRejected) && attempt < 3 {
			if ferr := e.GitOps.Fetch(ctx); ferr != nil {
				return "", "", ferr
			}
			continue
		}
		if err != nil {
			return "", "", fmt.Errorf("push pin of %s to %s: %w", p.Service, base, err)
		}
		p.PinCommit = sha
		e.emit(p.Env, sha, "pinned %s to %s on %s (direct push)", p.Service, short(p.Digest[7:]), base)
		return slipway.StateSynced, "pinned on " + base, nil
	}
}

func (e *Engine) pinPullRequest(ctx context.Context, env *config.Environment, base string, b *slipway.Build, p *slipway.Promotion) (slipway.PromotionState, string, error) {
	branch := p.Branch()
	head, err := e.GitOps.RemoteBranch(ctx, branch)
	if err != nil {
		return "", "", err
	}
	if head != "" {
		// The branch exists: ours (pushed before a crash) or somebody else's.
		ours, err := e.GitOps.FindTrailer(ctx, head, trailerPromotion, p.ID)
		if err != nil {
			return "", "", err
		}
		if ours != head {
			return "", "", slipway.Errorf(slipway.ECONFLICT, "branch %s on the GitOps remote has commits Slipway did not make for %s (tip %s): it diverged; delete the branch on the remote, then run `slipway reconcile`", branch, p.ID, short(head))
		}
	} else {
		sha, err := e.commitPin(ctx, env, base, b, p)
		if err != nil {
			return "", "", err
		}
		if sha == "" {
			file, _ := pinFile(env, p)
			p.PinCommit, _ = e.GitOps.LastCommitTouching(ctx, "origin/"+base, file)
			return slipway.StateSynced, "already pinned on " + base + ": no pull request needed", nil
		}
		if err := e.GitOps.Push(ctx, branch); err != nil {
			return "", "", fmt.Errorf("push branch %s: %w", branch, err)
		}
	}
	title := fmt.Sprintf("Promote %s %s to %s", p.Service, releaseOrDigest(p), p.Env)
	body := fmt.Sprintf("Pins %s in %s.\n\nPromotion: %s\nRequested by: %s\n", b.Ref(), p.Env, p.ID, p.Requester)
	pr, err := e.Forge.Open(ctx, &slipway.PullRequest{Branch: branch, Base: base, Title: title, Body: body, Author: p.Requester})
	if err != nil {
		return "", "", err
	}
	p.PR = pr.Number
	e.emit(p.Env, fmt.Sprintf("PR #%d", pr.Number), "opened pull request #%d %q (%s -> %s)", pr.Number, title, branch, base)
	return slipway.StateReviewOpen, fmt.Sprintf("pull request #%d open", pr.Number), nil
}

func releaseOrDigest(p *slipway.Promotion) string {
	if p.Release != "" {
		return p.Release
	}
	return short(p.Digest[7:])
}

func pinOf(env *config.Environment) gitops.Pin { return env.Pin }

func pinFile(env *config.Environment, p *slipway.Promotion) (string, error) {
	return pinOf(env).Render(p.Service, p.Env)
}

// commitPin starts from the remote's base branch, edits the pin and commits
// it with trailers. It returns "" when the pin already holds the digest.
func (e *Engine) commitPin(ctx context.Context, env *config.Environment, base string, b *slipway.Build, p *slipway.Promotion) (string, error) {
	tip, err := e.GitOps.RemoteBranch(ctx, base)
	if err != nil {
		return "", err
	}
	if tip == "" {
		return "", invalid("branch %s of environment %s is not on the GitOps remote %s: create it, or set branch: in slipway.yaml", base, p.Env, e.Cfg.GitOps.Remote)
	}
	if err := e.GitOps.StartFrom(ctx, "origin/"+base); err != nil {
		return "", err
	}
	pin := pinOf(env)
	rel, err := pin.Render(p.Service, p.Env)
	if err != nil {
		return "", invalid("pin of environment %s: %v", p.Env, err)
	}
	path := filepath.Join(e.GitOps.Dir, filepath.FromSlash(rel))
	content, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", invalid("pin file %s does not exist on branch %s of the GitOps repo: add it with the field %s, or fix pin.file of %s in slipway.yaml", rel, base, pin.Path, p.Env)
	}
	if err != nil {
		return "", err
	}
	out, changed, err := pin.Apply(content, b.Digest, b.Image)
	if err != nil {
		return "", invalid("%v", gitops.SetFile(err, rel))
	}
	if !changed {
		return "", nil
	}
	info, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(path, out, info.Mode().Perm()); err != nil {
		return "", err
	}
	var msg strings.Builder
	fmt.Fprintf(&msg, "chore(%s): pin %s to %s\n\n", p.Env, p.Service, releaseOrDigest(p))
	fmt.Fprintf(&msg, "Promote build %s of %s to %s.\nImage: %s\n", b.ID, p.Service, p.Env, b.Ref())
	if p.Expedited != "" {
		fmt.Fprintf(&msg, "Expedited: %s\n", p.Expedited)
	}
	fmt.Fprintf(&msg, "\n%s: %s\n%s: %s\n", trailerPromotion, p.ID, trailerDigest, p.Digest)
	return e.GitOps.CommitAll(ctx, e.identity(), msg.String())
}

// reviewStep waits for the promotion's pull request to be merged.
type reviewStep struct{}

func (reviewStep) String() string { return "wait for the pull request to merge" }

func (reviewStep) Run(ctx context.Context, e *Engine, p *slipway.Promotion) (slipway.PromotionState, string, error) {
	pr, err := e.Forge.Get(ctx, p.PR)
	if err != nil {
		return "", "", err
	}
	env, _, err := e.Cfg.Environment(p.Env)
	if err != nil {
		return "", "", invalid("%v", err)
	}
	if pr.State == "open" && env.AutoMerge {
		if pr, err = e.Forge.Merge(ctx, p.PR, "slipway"); err != nil {
			return "", "", err
		}
		e.emit(p.Env, short(pr.MergeSHA), "merged pull request #%d automatically (gates passed)", pr.Number)
	}
	switch pr.State {
	case "merged":
		p.PinCommit = pr.MergeSHA
		return slipway.StateSynced, fmt.Sprintf("pull request #%d merged by %s", pr.Number, pr.MergedBy), nil
	case "closed":
		return slipway.StateFailed, fmt.Sprintf("pull request #%d was closed without merging", pr.Number), nil
	}
	return "", fmt.Sprintf("pull request #%d open: waiting for review and merge (`slipway pr merge %d`)", pr.Number, pr.Number), nil
}

// syncStep decides what follows a synced pin: a canary where one is
// configured, else the environment runs the digest.
type syncStep struct{}

func (syncStep) String() string { return "sync" }

func (syncStep) Run(ctx context.Context, e *Engine, p *slipway.Promotion) (slipway.PromotionState, string, error) {
	env, _, err := e.Cfg.Environment(p.Env)
	if err != nil {
		return "", "", invalid("%v", err)
	}
	if env.HasCanary() {
		return slipway.StateCanary, "canary starting", nil
	}
	return slipway.StateSucceeded, "synced", nil
}
