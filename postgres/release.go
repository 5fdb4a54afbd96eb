package postgres

import (
	"context"

	"github.com/slipway/slipway"
)

// CreateRelease records a release; the same tag for the same build is a
// no-op, even when two processes record it at once.
func (s *ReleaseStore) CreateRelease(ctx context.Context, r *slipway.Release) error {
	n, err := s.exec(ctx, `INSERT INTO releases (service, version, tag, build_id, commit_sha, notes, authors, created) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)
		ON CONFLICT (service, tag) DO NOTHING`,
		r.Service, r.Version, r.Tag, r.BuildID, r.Commit, r.Notes, list(r.Authors), r.Created)
	if _, ok := violated(err, foreignKeyViolation); ok {
		return notFound("build %q of release %s not found: register the build first", r.BuildID, r.Tag)
	}
	if err != nil || n == 1 {
		return err
	}
	var buildID string
	if err := s.pool.QueryRow(ctx, `SELECT build_id FROM releases WHERE service = $1 AND tag = $2`, r.Service, r.Tag).Scan(&buildID); err != nil {
		return err
	}
	if buildID != r.BuildID {
		return slipway.Errorf(slipway.ECONFLICT, "release %s of %s already names build %s, not %s: a release is bound to exactly one build", r.Tag, r.Service, buildID, r.BuildID)
	}
	return nil
}

const releaseSelect = `SELECT service, version, tag, build_id, commit_sha, notes, authors, created FROM releases`

func scanRelease(r rowScanner) (*slipway.Release, error) {
	var rel slipway.Release
	if err := r.Scan(&rel.Service, &rel.Version, &rel.Tag, &rel.BuildID, &rel.Commit, &rel.Notes, &rel.Authors, &rel.Created); err != nil {
		return nil, err
	}
	rel.Created = utc(rel.Created)
	return &rel, nil
}

// Release returns a service's release by tag.
func (s *ReleaseStore) Release(ctx context.Context, service, tag string) (*slipway.Release, error) {
	r, err := scanRelease(s.pool.QueryRow(ctx, releaseSelect+` WHERE service = $1 AND tag = $2`, service, tag))
	if isNoRows(err) {
		return nil, notFound("release %s of service %s not found: create it with `slipway release --service %s --build ID`", tag, service, service)
	}
	return r, err
}

// ReleaseOfBuild returns the release that names a build, if any.
func (s *ReleaseStore) ReleaseOfBuild(ctx context.Context, buildID string) (*slipway.Release, error) {
	r, err := scanRelease(s.pool.QueryRow(ctx, releaseSelect+` WHERE build_id = $1 ORDER BY created DESC LIMIT 1`, buildID))
	if isNoRows(err) {
		return nil, nil
	}
	return r, err
}

// Releases lists a service's releases, newest first.
func (s *ReleaseStore) Releases(ctx context.Context, service string) ([]*slipway.Release, error) {
	return queryAll(ctx, s.pool, scanRelease, releaseSelect+` WHERE service = $1 OR $1 = '' ORDER BY created DESC, tag DESC`, service)
}
