package oci

import (
	"context"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// target bundles what every registry operation on one image needs.
type target struct {
	ref      Reference
	digest   name.Digest
	registry string // host[:port], for messages
	remote   []remote.Option
}

func newTarget(ctx context.Context, ref Reference, opts Options) (target, error) {
	d, err := ref.name(opts.Insecure)
	if err != nil {
		return target{}, err
	}
	ro := opts.remote(ctx)
	// One puller for every read about this image: the registry is pinged
	// and authenticated once, not once per request.
	p, err := remote.NewPuller(ro...)
	if err != nil {
		return target{}, err
	}
	return target{ref: ref, digest: d, registry: d.Context().RegistryStr(), remote: append(ro, remote.Reuse(p))}, nil
}

// exists checks the registry has the image, so that an unknown digest is
// reported as not found rather than as unsigned.
func (t target) exists() error {
	if _, err := remote.Head(t.digest, t.remote...); err != nil {
		return classify(err, "image", t.ref, t.registry)
	}
	return nil
}

// tag names a tag in the image's repository.
func (t target) tag(tag string) name.Tag {
	return t.digest.Context().Tag(tag)
}
