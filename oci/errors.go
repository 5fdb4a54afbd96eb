package oci

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Errors callers tell apart with errors.Is. Every error returned by this
// package also names the image and says what to do next.
var (
	// ErrNotFound: the registry does not know the digest (or the repository).
	ErrNotFound = errors.New("image not found")
	// ErrUnreachable: the registry could not be contacted at all.
	ErrUnreachable = errors.New("registry unreachable")
	// ErrDenied: the registry refused our credentials.
	ErrDenied = errors.New("registry access denied")
	// ErrUnsigned: the image has no signature in any format we read.
	ErrUnsigned = errors.New("image is not signed")
	// ErrUntrusted: signatures exist, but none verifies with a trusted key
	// for this image's digest.
	ErrUntrusted = errors.New("image signature is not trusted")
)

// classify turns a registry client error into one of the package's errors,
// with a message naming the image (what) and the registry.
func classify(err error, what string, ref Reference, registry string) error {
	var terr *transport.Error
	if errors.As(err, &terr) {
		switch {
		case terr.StatusCode == http.StatusNotFound || hasCode(terr, transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode, transport.BlobUnknownErrorCode):
			return fmt.Errorf("%w: %s %s is not in registry %s: push it first, or check the repository and digest", ErrNotFound, what, ref, registry)
		case terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden || hasCode(terr, transport.UnauthorizedErrorCode, transport.DeniedErrorCode):
			return fmt.Errorf("%w: %s %s in registry %s: %v: log in (`docker login %s`) with an account that may pull it", ErrDenied, what, ref, registry, err, registry)
		}
		return fmt.Errorf("%s %s in registry %s: %w", what, ref, registry, err)
	}
	var nerr net.Error
	var uerr *url.Error
	if errors.As(err, &nerr) || errors.As(err, &uerr) {
		return fmt.Errorf("%w: %s %s: cannot reach registry %s: %v: check the registry address and that it is running (plain HTTP needs the insecure option)", ErrUnreachable, what, ref, registry, err)
	}
	return fmt.Errorf("%s %s in registry %s: %w", what, ref, registry, err)
}

func hasCode(terr *transport.Error, codes ...transport.ErrorCode) bool {
	for _, d := range terr.Errors {
		for _, c := range codes {
			if d.Code == c {
				return true
			}
		}
	}
	return false
}

// More errors intake tells apart. Every refusal (see Refusal) also
// matches ErrRefused.
var (
	// ErrRefused: intake refused the digest by a supply-chain rule.
	ErrRefused = errors.New("intake refused")
	// ErrRequirement: the signature is trusted, but a requirement of the
	// service (SBOM, provenance, platforms) is not met.
	ErrRequirement = errors.New("supply-chain requirement not met")
)
