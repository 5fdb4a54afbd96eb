package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/auth"
	"github.com/slipway/slipway/oci"
	"github.com/slipway/slipway/trust"
)

// RegisterBuild is intake: it resolves the image digest in its registry,
// verifies it against the service's trust policy (a signature by a trusted
// key or keyless identity covering this digest in this repository, and the
// SBOM, provenance, platforms and transparency-log entries the policy
// requires), and records the immutable build. A refusal is recorded (`build
// list --refused`) and creates no build. Registering the same build twice
// is a no-op. When the first environment is automatic, the build is
// promoted there at once.
func (e *Engine) RegisterBuild(ctx context.Context, service, commit, image string) (*slipway.Build, bool, error) {
	if err := e.authorize(ctx, auth.RegisterBuild, auth.Scope{Service: service}, nil); err != nil {
		return nil, false, err
	}
	svc, err := e.Cfg.Service(service)
	if err != nil {
		return nil, false, invalid("%v", err)
	}
	ref, err := oci.ParseReference(image)
	if err != nil {
		return nil, false, invalid("--image: %v", err)
	}
	b := &slipway.Build{ID: slipway.BuildID(svc.Name, ref.Digest), Service: svc.Name, Commit: commit, Image: svc.Image, Digest: ref.Digest, Created: e.Now()}
	if err := b.Validate(); err != nil {
		return nil, false, err
	}
	if old, err := e.Store.Builds.Build(ctx, b.ID); err == nil && old.Commit == b.Commit {
		return old, false, nil // already verified and recorded: intake is idempotent
	}
	policy, err := trust.ForService(e.Cfg, svc)
	if err != nil {
		return nil, false, invalid("trust policy of %s: %v", svc.Name, err)
	}
	res, err := oci.Intake(ctx, ref, policy, oci.IntakeOptions{Options: oci.Options{Insecure: e.Cfg.Registry.Insecure}, Commit: commit})
	if err != nil {
		if r, ok := oci.AsRefusal(err); ok {
			e.emit("intake", ref.Digest, "refused %s (%s): %v", ref, r.Rule, err)
			if rerr := e.Store.Builds.RefuseIntake(ctx, &slipway.RefusedIntake{Service: svc.Name, Image: image, Commit: commit, Rule: string(r.Rule), Reason: err.Error(), At: e.Now()}); rerr != nil {
				return nil, false, rerr
			}
		}
		return nil, false, intakeError(err)
	}
	sig := res.Signature
	b.KeyID = signerID(sig.Signer)
	b.SignatureDigest = sig.Manifest
	for _, p := range res.Platforms {
		if res.IsIndex {
			b.Platforms = append(b.Platforms, p.String())
		}
	}
	sort.Strings(b.Platforms)
	if res.SBOM != nil {
		b.SBOMDigest = res.SBOM.PayloadDigest
	}
	if res.Provenance != nil {
		b.Builder = res.Provenance.BuilderID
	}
	if len(sig.Tlog) > 0 {
		b.RekorEntry = fmt.Sprintf("%d:%s", sig.Tlog[0].LogIndex, sig.Tlog[0].LeafHash)
	} else if b.RekorEntry, err = e.recordSignature(ctx, policy, sig); err != nil {
		// No build without its log entry: the registry and the log are
		// both asked again when CI registers the build again.
		return nil, false, unreachable("rekor", fmt.Errorf("record the signature of %s in the transparency log: %w; register the build again once the log answers", ref, err))
	}
	created, err := e.Store.Builds.CreateBuild(ctx, b)
	if err != nil {
		return nil, false, err
	}
	if created {
		e.emit("intake", short(b.Commit), "registered build %s: %s signed by %s (%s)", b.ID, b.Ref(), sig.Signer, sig.Format)
	}
	if first := e.Cfg.Environments[0]; first.Auto {
		if _, err := e.Promote(asSystem(ctx), PromoteRequest{Service: b.Service, Env: first.Name, BuildID: b.ID, Requester: "slipway"}); err != nil {
			return b, created, fmt.Errorf("build %s registered, but its automatic promotion to %s failed: %w", b.ID, first.Name, err)
		}
	}
	return b, created, nil
}

// signerID names who signed: the key id, or the keyless identity.
func signerID(s trust.Signer) string {
	if s.Keyless() {
		return s.Subject + " (" + s.Issuer + ")"
	}
	return s.KeyID
}

// intakeError keeps the OCI layer's message (it names the image, the rule
// and what to do) and gives it a code the CLI maps to an exit status.
func intakeError(err error) error {
	switch {
	case errors.Is(err, oci.ErrNotFound):
		return slipway.Errorf(slipway.ENOTFOUND, "%v", err)
	case errors.Is(err, oci.ErrRefused):
		return slipway.Errorf(slipway.EFORBIDDEN, "%v", err)
	}
	return unreachable("registry", err)
}
