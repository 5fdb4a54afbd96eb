package oci

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/slipway/slipway/trust"
)

// candidate is one signature or attestation found for a digest, in any of
// cosign's formats, not yet checked.
type candidate struct {
	format Format
	// where names it in messages: "tag sha256-….sig layer 0", "bundle sha256:…".
	where string
	// manifest and blob are the digests of the manifest and the blob that
	// hold it, so a record can point at the exact bytes.
	manifest, blob string
	// predicateHint is the predicate type the storage claims (unsigned).
	predicateHint string
	entity        verify.SignedEntity
	// payload is what was signed: simple-signing JSON or an in-toto statement.
	payload []byte
	// artifact is the signed bytes of a message signature; nil for DSSE.
	artifact []byte
	// broken says why the candidate cannot be checked at all (entity is
	// nil then), and brokenRule which rule that falls under.
	broken     string
	brokenRule trust.Rule
}

func (c candidate) payloadDigest() string {
	sum := sha256.Sum256(c.payload)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// statement parses a DSSE candidate's in-toto statement. The result is
// only trusted once the candidate's signature has been checked.
func (c candidate) statement() (*Statement, error) {
	if c.entity == nil {
		return nil, errors.New(c.broken)
	}
	return ParseStatement(c.payload)
}

// Bounds on what someone who can push may make intake read: candidates
// per tag or referrers list, and blobs fetched at once.
const (
	maxCandidates    = 256
	fetchConcurrency = 8
)

// forEach runs f(0), …, f(n-1) concurrently, at most fetchConcurrency at
// once, and returns when all are done.
func forEach(n int, f func(i int)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, fetchConcurrency)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			f(i)
		}()
	}
	wg.Wait()
}

// found is everything attached to one digest.
type found struct {
	signatures   []candidate // simple signing, and bundles of the sign predicate
	attestations []candidate // legacy .att layers, and other bundles
}

// collect fetches the legacy signature tag, the bundles among the
// referrers and, with attestations, the legacy attestation tag, in
// parallel: a local registry answers each in about a millisecond, so the
// round trips, not the crypto, are what intake waits for.
func (t target) collect(attestations bool) (*found, error) {
	type result struct {
		cs  []candidate
		err error
	}
	jobs := []func() ([]candidate, error){
		func() ([]candidate, error) { return t.legacyCandidates(SignatureTag(t.ref), FormatSimpleSigning) },
		t.bundleCandidates,
	}
	if attestations {
		jobs = append(jobs, func() ([]candidate, error) { return t.legacyCandidates(AttestationTag(t.ref), FormatAttestation) })
	}
	results := make([]result, len(jobs))
	forEach(len(jobs), func(i int) {
		cs, err := jobs[i]()
		results[i] = result{cs, err}
	})
	f := &found{}
	for _, r := range results {
		if r.err != nil {
			return nil, r.err
		}
		for _, c := range r.cs {
			if c.isSignature() {
				f.signatures = append(f.signatures, c)
			} else {
				f.attestations = append(f.attestations, c)
			}
		}
	}
	return f, nil
}

// isSignature routes a candidate: simple signing is always a signature; a
// bundle is one when its statement says so (routing only: the statement
// is checked with the signature afterwards), and a bundle that cannot be
// read counts as a (broken) signature unless its storage says otherwise.
func (c candidate) isSignature() bool {
	switch c.format {
	case FormatSimpleSigning:
		return true
	case FormatAttestation:
		return false
	}
	if st, err := c.statement(); err == nil {
		return st.PredicateType == CosignSignPredicateType
	}
	return c.predicateHint == "" || c.predicateHint == CosignSignPredicateType
}

// legacyCandidates reads the layers of a legacy signature or attestation
// tag; a missing tag is no candidates.
func (t target) legacyCandidates(tag string, format Format) ([]candidate, error) {
	img, err := remote.Image(t.tag(tag), t.remote...)
	if err != nil {
		cerr := classify(err, "signatures of image", t.ref, t.registry)
		if errors.Is(cerr, ErrNotFound) {
			return nil, nil
		}
		return nil, cerr
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("%s of %s: %w", tag, t.ref, err)
	}
	md, err := img.Digest()
	if err != nil {
		return nil, err
	}
	if len(m.Layers) > maxCandidates {
		return nil, fmt.Errorf("%s of %s has %d layers, more than the %d intake reads: delete stale signatures or attestations from registry %s", tag, t.ref, len(m.Layers), maxCandidates, t.registry)
	}
	wantType, limit := SimpleSigningMediaType, int64(maxPayloadSize)
	if format == FormatAttestation {
		wantType, limit = DSSEMediaType, maxBundleSize
	}
	out := make([]candidate, 0, len(m.Layers))
	for i, l := range m.Layers {
		c := candidate{format: format, where: fmt.Sprintf("tag %s layer %d", tag, i), manifest: md.String(), blob: l.Digest.String(), predicateHint: l.Annotations[PredicateTypeAnnotation]}
		out = append(out, c)
		if string(l.MediaType) != wantType {
			out[i].broken = fmt.Sprintf("media type %q is not %s", l.MediaType, wantType)
			continue
		}
		data, err := readBlobLimit(img, l, limit)
		if err != nil {
			out[i].broken = err.Error()
			continue
		}
		ll, err := parseLegacyLayer(format, data, l.Annotations)
		if err != nil {
			out[i].broken = err.Error()
			continue
		}
		out[i].entity, out[i].payload, out[i].artifact = ll.entity, ll.payload, ll.artifact
	}
	return out, nil
}
