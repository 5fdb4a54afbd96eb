package slipway

import "context"

// ForgeRelease is a release page on the app repository's forge (a GitHub
// Release, a GitLab release, a Gitea release): the notes people read next
// to the tag. The tag itself is pushed with git before the page is made,
// so the page always describes a tag that exists.
type ForgeRelease struct {
	// ID is the forge's id of the page (0 before it is created; GitLab
	// names releases by tag and reports 0).
	ID int64
	// Tag is the git tag the page describes, e.g. v1.2.0 or api-v1.2.0.
	Tag string
	// Commit is the tag's commit (the forge's target_commitish / ref).
	Commit string
	// Name is the title, release-please style: "v1.2.0" or "api: v1.2.0".
	Name string
	// Notes is the Markdown body: the changelog section, the image digest,
	// its platforms, links to the build and its signature.
	Notes string
	// Prerelease marks a SemVer prerelease (GitHub and Gitea have the flag;
	// GitLab has none, and reports false).
	Prerelease bool
	// URL is the page a person opens (set by the forge).
	URL string
}

// ReleaseHost publishes release pages. Implemented by the hosted forge
// adapters (forge/github, forge/gitlab, forge/gitea); the built-in local
// forge has no pages (the annotated tag carries the notes). Every method is
// safe to retry: `slipway release` run again after a crash finds the page
// it made and updates it instead of making a second.
type ReleaseHost interface {
	// FindRelease returns the page of tag; ENOTFOUND when there is none.
	FindRelease(ctx context.Context, tag string) (*ForgeRelease, error)
	// CreateRelease makes the page of r.Tag, which must be pushed already;
	// ECONFLICT when the tag already has one (find it and update it).
	CreateRelease(ctx context.Context, r *ForgeRelease) (*ForgeRelease, error)
	// UpdateRelease replaces the name, notes and prerelease flag of the
	// page of r.Tag (r.ID where the forge names pages by id).
	UpdateRelease(ctx context.Context, r *ForgeRelease) (*ForgeRelease, error)
}

// PullRequestEditor changes what a pull request says, as a standing
// release pull request needs on every new commit of the main line: its
// title carries the next version, its labels the release's progress
// (release-please's "autorelease: pending" → "autorelease: tagged").
// Implemented by every forge adapter, the local forge included.
type PullRequestEditor interface {
	// EditPullRequest replaces the title and the description; a no-op when
	// both are already so. ECONFLICT when it is not open.
	EditPullRequest(ctx context.Context, number int, title, body string) error
	// Relabel adds labels it lacks and removes the ones named in remove
	// that it has (idempotent, in any state: a merged release pull request
	// is relabeled once it is tagged).
	Relabel(ctx context.Context, number int, add, remove []string) error
}
