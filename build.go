package slipway

import (
	"context"
	"regexp"
	"time"
)

// Build is an immutable (service, source commit, image digest) triple: the only
// thing Slipway ever promotes. It is created once at intake and never changes.
type Build struct {
	ID      string    // deterministic: service + digest, so a re-registration finds it
	Service string    // the service it belongs to
	Commit  string    // full SHA of the source commit that produced the image
	Image   string    // image repository, without tag or digest
	Digest  string    // sha256:<64 hex> of the manifest (or index) that was verified
	KeyID   string    // who signed: the trusted key's id, or the keyless identity (issuer + subject)
	Created time.Time // when intake recorded it

	// Supply-chain facts verified at intake (empty when the policy did not ask).
	SignatureDigest string   // digest of the signature manifest or bundle that verified
	SBOMDigest      string   // digest of the SBOM attestation's payload
	Builder         string   // SLSA provenance builder id
	Platforms       []string // os/arch of an image index, sorted
	RekorEntry      string   // the signature's transparency-log entry (log index or UUID)
}

// RefusedIntake is a build registration that intake refused: kept so
// `slipway build list --refused` and the timeline show who tried what.
type RefusedIntake struct {
	ID      int64
	Service string
	Image   string // as given
	Commit  string
	Rule    string // the rule that failed (unsigned, wrong-repository, sbom-missing, …)
	Reason  string // the message the caller saw
	At      time.Time
}

// BuildStore persists builds (immutable) and refused intakes.
type BuildStore interface {
	// CreateBuild records b. The same build again is a no-op (created
	// false); the same digest with another commit is ECONFLICT.
	CreateBuild(ctx context.Context, b *Build) (created bool, err error)
	// Build returns a build by id; ENOTFOUND.
	Build(ctx context.Context, id string) (*Build, error)
	// Builds lists a service's builds ("" for all), newest first.
	Builds(ctx context.Context, service string) ([]*Build, error)
	// RefuseIntake records a refused registration.
	RefuseIntake(ctx context.Context, r *RefusedIntake) error
	// RefusedIntakes lists refused registrations of a service ("" for all), newest first.
	RefusedIntakes(ctx context.Context, service string) ([]*RefusedIntake, error)
}

// Ref is the pinned image reference repo@digest.
func (b *Build) Ref() string { return b.Image + "@" + b.Digest }

// BuildID derives a build's id: the service and the first 12 hex of its digest.
// Deterministic so intake is idempotent and ids are readable in a terminal.
func BuildID(service, digest string) string {
	return service + "-" + Digest12(digest)
}

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// ValidDigest reports whether d is sha256:<64 lowercase hex>.
func ValidDigest(d string) bool { return digestRE.MatchString(d) }

// Digest12 returns the first 12 hex digits of a digest (for branch names and
// ids), or the input itself when it is not a sha256 digest.
func Digest12(d string) string {
	if len(d) >= 7+12 && d[:7] == "sha256:" {
		return d[7 : 7+12]
	}
	return d
}

// Validate checks the fields intake relies on.
func (b *Build) Validate() error {
	switch {
	case b.Service == "":
		return Errorf(EINVALID, "build: service is required")
	case !regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`).MatchString(b.Commit):
		return Errorf(EINVALID, "build: commit %q is not a full git SHA; pass the 40-hex commit that produced the image (git rev-parse HEAD)", b.Commit)
	case !ValidDigest(b.Digest):
		return Errorf(EINVALID, "build: digest %q is not sha256:<64 lowercase hex>", b.Digest)
	}
	return nil
}
