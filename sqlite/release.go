package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/slipway/slipway"
)

// CreateRelease records a release; the same tag for the same build is a no-op.
func (s *ReleaseStore) CreateRelease(ctx context.Context, r *slipway.Release) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var buildID string
		err := tx.QueryRowContext(ctx, `SELECT build_id FROM releases WHERE service = ? AND tag = ?`, r.Service, r.Tag).Scan(&buildID)
		if err == nil {
			if buildID != r.BuildID {
				return slipway.Errorf(slipway.ECONFLICT, "release %s of %s already names build %s, not %s: a release is bound to exactly one build", r.Tag, r.Service, buildID, r.BuildID)
			}
			return nil
		}
		if !isNoRows(err) {
			return err
		}
		authors, _ := json.Marshal(r.Authors)
		_, err = tx.ExecContext(ctx, `INSERT INTO releases (service, version, tag, build_id, commit_sha, notes, authors, created) VALUES (?,?,?,?,?,?,?,?)`,
			r.Service, r.Version, r.Tag, r.BuildID, r.Commit, r.Notes, string(authors), ts(r.Created))
		return err
	})
}

const releaseSelect = `SELECT service, version, tag, build_id, commit_sha, notes, authors, created FROM releases`

func scanRelease(r rowScanner) (*slipway.Release, error) {
	var rel slipway.Release
	var authors, created string
	if err := r.Scan(&rel.Service, &rel.Version, &rel.Tag, &rel.BuildID, &rel.Commit, &rel.Notes, &authors, &created); err != nil {
		return nil, err
	}
	_ = json.Unmarshal([]byte(authors), &rel.Authors)
	rel.Created = parseTS(created)
	return &rel, nil
}

// Release returns a service's release by tag.
func (s *ReleaseStore) Release(ctx context.Context, service, tag string) (*slipway.Release, error) {
	r, err := scanRelease(s.db.QueryRowContext(ctx, releaseSelect+` WHERE service = ? AND tag = ?`, service, tag))
	if isNoRows(err) {
		return nil, notFound("release %s of service %s not found: create it with `slipway release --service %s --build ID`", tag, service, service)
	}
	return r, err
}

// ReleaseOfBuild returns the release that names a build, if any.
func (s *ReleaseStore) ReleaseOfBuild(ctx context.Context, buildID string) (*slipway.Release, error) {
	r, err := scanRelease(s.db.QueryRowContext(ctx, releaseSelect+` WHERE build_id = ? ORDER BY created DESC LIMIT 1`, buildID))
	if isNoRows(err) {
		return nil, nil
	}
	return r, err
}

// Releases lists a service's releases, newest first.
func (s *ReleaseStore) Releases(ctx context.Context, service string) ([]*slipway.Release, error) {
	return queryAll(ctx, s.DB, scanRelease, releaseSelect+` WHERE service = ? OR ? = '' ORDER BY created DESC, tag DESC`, service, service)
}
