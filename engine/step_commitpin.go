package engine

import (
	"context"
	"fmt"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/git"
)

// commitPin makes the commit that changes only the pins, on the tip the
// edit was made on, and records it on the promotion before anything is
// pushed: after a crash, the recorded commit is pushed or found on the
// branch by its id, so no second commit is ever made.
type commitPin struct{}

func (commitPin) String() string               { return "commit pin" }
func (commitPin) In() []slipway.PromotionState { return []slipway.PromotionState{slipway.StatePinning} }

func (commitPin) Skip(ctx context.Context, r *run) string {
	switch {
	case r.files == nil:
		return "pin commit already built"
	case len(r.files) == 0:
		return "the pins already hold the digest"
	}
	return ""
}

func (commitPin) Run(ctx context.Context, r *run) (Outcome, error) {
	p := r.p
	body := []string{fmt.Sprintf("Promote build %s of %s to %s.", r.build.ID, p.Service, p.Env), "Image: " + r.build.Ref()}
	if p.Expedited != "" {
		body = append(body, "Expedited: "+p.Expedited)
	}
	msg := git.CommitMessage(fmt.Sprintf("chore(%s): pin %s to %s", p.Env, p.Service, releaseOrDigest(p)), body,
		[][2]string{{trailerPromotion, p.ID}, {trailerDigest, p.Digest}})
	sha, err := r.e.GitOps.CommitFiles(ctx, r.tip, r.files, r.e.identity(), r.e.Now(), msg)
	if err != nil {
		return Outcome{}, err
	}
	p.Head, r.built = sha, sha
	if err := r.persist(ctx); err != nil {
		return Outcome{}, err
	}
	r.files = nil
	return Outcome{}, nil
}

func releaseOrDigest(p *slipway.Promotion) string {
	if p.Release != "" {
		return p.Release
	}
	return digestShort(p.Digest)
}

// hasCommit reports whether the clone has the commit object.
func (e *Engine) hasCommit(ctx context.Context, sha string) bool {
	if !git.ValidSHA(sha) {
		return false
	}
	_, err := e.GitOps.Run(ctx, "cat-file", "-e", sha+"^{commit}")
	return err == nil
}
