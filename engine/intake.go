package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/oci"
	"github.com/slipway/slipway/trust"
)

// RegisterBuild is intake: it resolves the image digest in its registry,
// verifies a signature by one of the service's trusted keys, and records the
// immutable build. Registering the same build twice is a no-op. When the first
// environment is automatic, the build is promoted there at once.
func (e *Engine) RegisterBuild(ctx context.Context, service, commit, image string) (*slipway.Build, bool, error) {
	svc, err := e.Cfg.Service(service)
	if err != nil {
		return nil, false, invalid("%v", err)
	}
	ref, err := oci.ParseReference(image)
	if err != nil {
		return nil, false, invalid("--image: %v", err)
	}
	if ref.Repository != svc.Image {
		return nil, false, invalid("image %s is not in %s's repository %s: register images of that repository, or fix services[].image in %s", ref, svc.Name, svc.Image, e.Cfg.Path())
	}
	b := &slipway.Build{ID: slipway.BuildID(svc.Name, ref.Digest), Service: svc.Name, Commit: commit, Image: ref.Repository, Digest: ref.Digest, Created: e.Now()}
	if err := b.Validate(); err != nil {
		return nil, false, err
	}
	if old, err := e.Store.Builds.Build(ctx, b.ID); err == nil && old.Commit == b.Commit {
		return old, false, nil // already verified and recorded: intake is idempotent
	}
	keys := make([]string, len(svc.Keys))
	for i, k := range svc.Keys {
		keys[i] = e.Cfg.Resolve(k)
	}
	policy, err := trust.LoadPolicy(keys...)
	if err != nil {
		return nil, false, invalid("trusted keys of %s: %v", svc.Name, err)
	}
	opts := oci.Options{Insecure: e.Cfg.Registry.Insecure}
	if _, err := oci.Resolve(ctx, ref, opts); err != nil {
		return nil, false, intakeError(err)
	}
	v, err := oci.Verify(ctx, ref, policy, opts)
	if err != nil {
		e.emit("intake", ref.Digest, "refused %s: %v", ref, err)
		return nil, false, intakeError(err)
	}
	b.KeyID = v.KeyID
	created, err := e.Store.Builds.CreateBuild(ctx, b)
	if err != nil {
		return nil, false, err
	}
	if created {
		e.emit("intake", short(b.Commit), "registered build %s: %s signed by key %s (%s)", b.ID, b.Ref(), short(v.KeyID), v.Format)
	}
	if first := e.Cfg.Environments[0]; first.Auto {
		if _, err := e.Promote(ctx, PromoteRequest{Service: b.Service, Env: first.Name, BuildID: b.ID, Requester: "slipway"}); err != nil {
			return b, created, fmt.Errorf("build %s registered, but its automatic promotion to %s failed: %w", b.ID, first.Name, err)
		}
	}
	return b, created, nil
}

// intakeError keeps the OCI layer's message (it names the image and what to
// do) and gives it a code the CLI maps to an exit status.
func intakeError(err error) error {
	switch {
	case errors.Is(err, oci.ErrNotFound):
		return slipway.Errorf(slipway.ENOTFOUND, "%v", err)
	case errors.Is(err, oci.ErrUnsigned), errors.Is(err, oci.ErrUntrusted):
		return slipway.Errorf(slipway.EFORBIDDEN, "%v", err)
	}
	return err
}
