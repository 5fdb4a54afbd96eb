package oci

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// Format names a signature storage format in results and audit records.
type Format string

const (
	// FormatSimpleSigning is cosign's legacy format (cosign v2's default):
	// an image manifest under the tag "sha256-<hex>.sig" in the image's
	// repository, one layer per signature, each layer a simple-signing JSON
	// payload with the base64 signature in a layer annotation.
	FormatSimpleSigning Format = "cosign-simplesigning"
)

// The names cosign uses for the legacy format. They are part of the storage
// format: changing any of them makes our signatures invisible to cosign.
const (
	// SimpleSigningMediaType is the media type of each signature layer.
	SimpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	// SignatureAnnotation holds base64 (standard, padded) of the signature
	// of the layer's bytes.
	SignatureAnnotation = "dev.cosignproject.cosign/signature"
	// SimpleSigningType is the payload's critical.type.
	SimpleSigningType = "cosign container image signature"
	// SignatureTagSuffix ends the tag the signature manifest is stored under.
	SignatureTagSuffix = ".sig"
)

// SignatureTag returns the tag cosign stores an image's legacy signatures
// under: the digest with ':' replaced by '-', plus ".sig"
// ("sha256-<hex>.sig"), in the image's own repository.
func SignatureTag(ref Reference) string {
	return "sha256-" + ref.Hex() + SignatureTagSuffix
}

// SimpleSigningPayload is the signed document of the legacy format, the
// "simple signing" container-image signature cosign writes. Field order and
// names match cosign's JSON exactly.
type SimpleSigningPayload struct {
	Critical SimpleSigningCritical `json:"critical"`
	// Optional holds signer-chosen annotations (cosign sign -a k=v); cosign
	// writes null when there are none.
	Optional map[string]any `json:"optional"`
}

// SimpleSigningCritical is the part of the payload a verifier must check.
type SimpleSigningCritical struct {
	Identity struct {
		// DockerReference is the repository the signer named (cosign writes
		// the repository without tag or digest). It is a claim, not checked
		// by cosign by default, because images are copied between registries.
		DockerReference string `json:"docker-reference"`
	} `json:"identity"`
	Image struct {
		// DockerManifestDigest is the digest of the signed image. A verifier
		// MUST compare it with the image's digest: the signature covers the
		// payload only, so without this check a signature of one image could
		// be copied next to another.
		DockerManifestDigest string `json:"docker-manifest-digest"`
	} `json:"image"`
	Type string `json:"type"`
}

// NewSimpleSigningPayload returns the payload cosign signs for ref, with no
// optional annotations.
func NewSimpleSigningPayload(ref Reference) SimpleSigningPayload {
	var p SimpleSigningPayload
	p.Critical.Identity.DockerReference = ref.Repository
	p.Critical.Image.DockerManifestDigest = ref.Digest
	p.Critical.Type = SimpleSigningType
	return p
}

// Marshal encodes p exactly as cosign does (encoding/json, compact).
func (p SimpleSigningPayload) Marshal() ([]byte, error) {
	return json.Marshal(p)
}

// maxPayloadSize bounds what we read from a signature layer; real payloads
// are a few hundred bytes.
const maxPayloadSize = 1 << 20

// ParseSimpleSigningPayload decodes and checks a payload: it must be one JSON
// object of type "cosign container image signature" naming a well-formed
// sha256 digest. It does not check the digest against an image; the
// verifier does that.
func ParseSimpleSigningPayload(data []byte) (SimpleSigningPayload, error) {
	if len(data) > maxPayloadSize {
		return SimpleSigningPayload{}, fmt.Errorf("simple-signing payload is %d bytes, more than the %d allowed", len(data), maxPayloadSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var p SimpleSigningPayload
	if err := dec.Decode(&p); err != nil {
		return SimpleSigningPayload{}, fmt.Errorf("simple-signing payload is not valid JSON: %v", err)
	}
	if err := dec.Decode(new(json.RawMessage)); err != io.EOF {
		return SimpleSigningPayload{}, fmt.Errorf("simple-signing payload has data after the JSON object")
	}
	if p.Critical.Type != SimpleSigningType {
		return SimpleSigningPayload{}, fmt.Errorf("simple-signing payload has critical.type %q, want %q", p.Critical.Type, SimpleSigningType)
	}
	if err := ValidateDigest(p.Critical.Image.DockerManifestDigest); err != nil {
		return SimpleSigningPayload{}, fmt.Errorf("simple-signing payload critical.image.docker-manifest-digest: %v", err)
	}
	return p, nil
}
