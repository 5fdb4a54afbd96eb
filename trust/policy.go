package trust

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/slipway/slipway/config"
)

// Policy is who a service trusts to vouch for its images: public keys,
// keyless identities, or both; any one of them suffices. Attestations (SBOM,
// provenance) are checked against the same policy as image signatures.
type Policy struct {
	// Keys are the trusted public keys.
	Keys []PublicKey
	// Identities are the trusted keyless signers (Fulcio certificates).
	Identities []Identity
	// TrustedRoot holds the Fulcio CAs, Rekor log keys and timestamp
	// authorities that certificates, log entries and timestamps are
	// verified with. Nil when the policy has keys only and no tlog rule.
	TrustedRoot root.TrustedMaterial
	// TrustedRootSource names the trusted root file, for messages.
	TrustedRootSource string
	// RequireTlog requires every accepted signature to carry a
	// transparency-log entry that verifies against TrustedRoot. Without it
	// keyless signatures still need a verified time (an RFC 3161 timestamp
	// or a log entry) and key signatures need none.
	RequireTlog bool
}

// LoadPolicy reads the given public key files into a Policy. It fails on the
// first missing or garbled file, naming it, and refuses an empty list
// because a policy that trusts nothing would refuse every image with a
// confusing "untrusted" error later.
func LoadPolicy(paths ...string) (Policy, error) {
	if len(paths) == 0 {
		return Policy{}, errors.New("trust policy has no public keys: list the service's key files (e.g. cosign.pub)")
	}
	var p Policy
	seen := map[string]string{}
	for _, path := range paths {
		k, err := LoadPublicKey(path)
		if err != nil {
			return Policy{}, err
		}
		if prev, dup := seen[k.ID]; dup {
			return Policy{}, fmt.Errorf("trust policy lists the same key twice: %s and %s: remove one", prev, path)
		}
		seen[k.ID] = path
		p.Keys = append(p.Keys, k)
	}
	return p, nil
}

// Describe names the policy's signers for error messages:
// "a.pub (key 1a2b…), b.pub (key …); subject from issuer".
func (p Policy) Describe() string {
	names := make([]string, 0, len(p.Keys)+len(p.Identities))
	for _, k := range p.Keys {
		names = append(names, k.String())
	}
	for _, id := range p.Identities {
		names = append(names, id.String())
	}
	if len(names) == 0 {
		return "nobody"
	}
	return strings.Join(names, ", ")
}

// SBOMFormat is the SBOM a service requires: SPDX, CycloneDX or either.
type SBOMFormat string

const (
	SBOMNone      SBOMFormat = ""
	SBOMSPDX      SBOMFormat = "spdx"
	SBOMCycloneDX SBOMFormat = "cyclonedx"
	SBOMAny       SBOMFormat = "any"
)

// Accepts reports whether an SBOM of format got (spdx or cyclonedx)
// satisfies the requirement.
func (f SBOMFormat) Accepts(got SBOMFormat) bool {
	return f == SBOMAny || f == got
}

// Requirements are what intake demands beyond a trusted image signature.
type Requirements struct {
	// SBOM requires a trusted SBOM attestation of this format about the digest.
	SBOM SBOMFormat
	// Provenance requires trusted SLSA provenance whose subject is the digest
	// and whose source commit is the build's.
	Provenance bool
	// Platforms must all be in the image (index), "os/arch[/variant]".
	Platforms []string
}

// ServicePolicy is one service's whole supply-chain policy.
type ServicePolicy struct {
	// Service is the service's name.
	Service string
	// Repository is the service's image repository, normalized as
	// go-containerregistry names it ("index.docker.io/library/x" for "x").
	Repository string
	// Signers are trusted for the image signature and for attestations.
	Signers Policy
	// Require lists the checks beyond the signature.
	Require Requirements
}

// NormalizeRepository returns the canonical name of an image repository,
// so "alpine", "docker.io/library/alpine" and "index.docker.io/library/alpine"
// compare equal, as they name the same repository.
func NormalizeRepository(repo string) (string, error) {
	r, err := name.NewRepository(repo)
	if err != nil {
		return "", fmt.Errorf("image repository %q: %v: write it as registry/path without tag or digest", repo, err)
	}
	return r.Name(), nil
}

// ForService loads svc's policy from c: reads its key files and trusted
// root (paths relative to the configuration file) and compiles its
// identities. Errors name the service, the file and what to do.
func ForService(c *config.Config, svc *config.Service) (*ServicePolicy, error) {
	repo, err := NormalizeRepository(svc.Image)
	if err != nil {
		return nil, fmt.Errorf("service %s: %w", svc.Name, err)
	}
	sp := &ServicePolicy{Service: svc.Name, Repository: repo}
	p := &sp.Signers
	seen := map[string]string{}
	for _, k := range svc.Keys {
		path := c.Resolve(k)
		key, err := LoadPublicKey(path)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", svc.Name, err)
		}
		if prev, dup := seen[key.ID]; dup {
			return nil, fmt.Errorf("service %s trusts the same key twice: %s and %s: remove one", svc.Name, prev, path)
		}
		seen[key.ID] = path
		p.Keys = append(p.Keys, key)
	}
	for i, id := range svc.Identities {
		ident, err := NewIdentity(id.Issuer, id.IssuerRegExp, id.Subject, id.SubjectRegExp)
		if err != nil {
			return nil, fmt.Errorf("service %s identities[%d]: %w", svc.Name, i, err)
		}
		p.Identities = append(p.Identities, ident)
	}
	if len(p.Keys) == 0 && len(p.Identities) == 0 {
		return nil, fmt.Errorf("service %s trusts no key and no identity: add keys: or identities: to its entry in %s", svc.Name, c.Path())
	}
	if svc.TrustedRoot != "" {
		path := c.Resolve(svc.TrustedRoot)
		tr, err := LoadTrustedRoot(path)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", svc.Name, err)
		}
		p.TrustedRoot, p.TrustedRootSource = tr, path
	}
	p.RequireTlog = svc.Require.Tlog
	if (len(p.Identities) > 0 || p.RequireTlog) && p.TrustedRoot == nil {
		return nil, fmt.Errorf("service %s: keyless identities and require.tlog need trustedRoot: (a Sigstore trusted_root.json)", svc.Name)
	}
	sp.Require = Requirements{SBOM: SBOMFormat(svc.Require.SBOM), Provenance: svc.Require.Provenance, Platforms: svc.Require.Platforms}
	return sp, nil
}

// LoadTrustedRoot reads a Sigstore trusted_root.json (media type
// application/vnd.dev.sigstore.trustedroot+json;version=0.1).
func LoadTrustedRoot(path string) (*root.TrustedRoot, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("trusted root %s does not exist: download Sigstore's (targets/trusted_root.json of github.com/sigstore/root-signing) or your private Sigstore's, and point trustedRoot: at it", path)
		}
		return nil, fmt.Errorf("trusted root %s: %w", path, err)
	}
	tr, err := root.NewTrustedRootFromJSON(data)
	if err != nil {
		return nil, fmt.Errorf("trusted root %s is not a Sigstore trusted_root.json: %v", path, err)
	}
	return tr, nil
}

// VerifyBlob returns the policy's key whose signature sig covers message (a
// raw signature over a blob, as `cosign sign-blob` writes); keyless signers
// cannot sign raw blobs.
func (p Policy) VerifyBlob(message, sig []byte) (PublicKey, error) {
	var errs []error
	for _, k := range p.Keys {
		err := k.VerifySignature(message, sig)
		if err == nil {
			return k, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", k, err))
	}
	if len(errs) == 0 {
		return PublicKey{}, fmt.Errorf("no trusted key to check the signature with")
	}
	return PublicKey{}, errors.Join(errs...)
}
