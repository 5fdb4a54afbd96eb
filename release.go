package slipway

import (
	"context"
	"time"
)

// Release is a version of a service bound to exactly one build. The tag names
// the build's commit and its annotation names the digest; nothing is rebuilt.
type Release struct {
	Service string
	Version string    // SemVer without a leading v
	Tag     string    // the git tag, e.g. v1.2.0 or api/v1.2.0
	BuildID string    // the build it names
	Commit  string    // the build's source commit (the tag's target)
	Notes   string    // the changelog section, Markdown
	Authors []string  // authors, committers and co-authors of the commits in the release (for the self-approval rule)
	Created time.Time //
}

// ReleaseStore persists releases.
type ReleaseStore interface {
	// CreateRelease records r; the same tag for the same build is a no-op,
	// the same tag for another build ECONFLICT.
	CreateRelease(ctx context.Context, r *Release) error
	// Release returns a service's release by tag; ENOTFOUND.
	Release(ctx context.Context, service, tag string) (*Release, error)
	// ReleaseOfBuild returns the release that names a build (nil, nil if none).
	ReleaseOfBuild(ctx context.Context, buildID string) (*Release, error)
	// Releases lists a service's releases ("" for all), newest first.
	Releases(ctx context.Context, service string) ([]*Release, error)
}
