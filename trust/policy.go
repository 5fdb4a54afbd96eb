package trust

import (
	"errors"
	"fmt"
	"strings"
)

// Policy is what a service trusts to vouch for its images. Today that is a
// set of public keys: an image is trusted when one of them verifies one of
// its signatures. Keyless identities (certificate issuer + subject) are
// expected to be added here as a second list, checked by the same callers.
type Policy struct {
	// Keys are the trusted public keys; any one of them suffices.
	Keys []PublicKey
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

// Verify returns the first trusted key that verifies sig over message.
func (p Policy) Verify(message, sig []byte) (PublicKey, error) {
	if len(p.Keys) == 0 {
		return PublicKey{}, errors.New("trust policy has no public keys")
	}
	for _, k := range p.Keys {
		if k.VerifySignature(message, sig) == nil {
			return k, nil
		}
	}
	return PublicKey{}, fmt.Errorf("%w with any of %s", ErrBadSignature, p.Describe())
}

// Describe names the policy's keys for error messages: "a.pub (key 1a2b…), b.pub (key …)".
func (p Policy) Describe() string {
	names := make([]string, len(p.Keys))
	for i, k := range p.Keys {
		names[i] = k.String()
	}
	return strings.Join(names, ", ")
}
