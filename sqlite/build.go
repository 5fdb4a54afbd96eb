package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/slipway/slipway"
)

// CreateBuild records a build. Registering the same build again is a no-op
// (created=false); the same digest with another commit is a conflict, because
// a build is immutable.
func (s *DB) CreateBuild(ctx context.Context, b *slipway.Build) (created bool, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		old, err := scanBuild(tx.QueryRowContext(ctx, buildSelect+` WHERE id = ?`, b.ID))
		if err == nil {
			if old.Commit != b.Commit || old.Image != b.Image {
				return slipway.Errorf(slipway.ECONFLICT, "build %s is already registered with commit %s and image %s; builds are immutable: a different commit must produce a different digest", b.ID, old.Commit, old.Image)
			}
			*b = *old
			return nil
		}
		if !isNoRows(err) {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO builds (id, service, commit_sha, image, digest, key_id, created) VALUES (?,?,?,?,?,?,?)`,
			b.ID, b.Service, b.Commit, b.Image, b.Digest, b.KeyID, ts(b.Created))
		created = err == nil
		return err
	})
	return created, err
}

const buildSelect = `SELECT id, service, commit_sha, image, digest, key_id, created FROM builds`

type rowScanner interface{ Scan(...any) error }

func scanBuild(r rowScanner) (*slipway.Build, error) {
	var b slipway.Build
	var created string
	if err := r.Scan(&b.ID, &b.Service, &b.Commit, &b.Image, &b.Digest, &b.KeyID, &created); err != nil {
		return nil, err
	}
	b.Created = parseTS(created)
	return &b, nil
}

// Build returns a build by id.
func (s *DB) Build(ctx context.Context, id string) (*slipway.Build, error) {
	b, err := scanBuild(s.db.QueryRowContext(ctx, buildSelect+` WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("build %q not found: list builds with `slipway build list`", id)
	}
	return b, err
}

// Builds lists the builds of a service, newest first.
func (s *DB) Builds(ctx context.Context, service string) ([]*slipway.Build, error) {
	rows, err := s.db.QueryContext(ctx, buildSelect+` WHERE service = ? OR ? = '' ORDER BY created DESC, id`, service, service)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*slipway.Build
	for rows.Next() {
		b, err := scanBuild(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// CreateRelease records a release; the same tag for the same build is a no-op.
func (s *DB) CreateRelease(ctx context.Context, r *slipway.Release) error {
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
func (s *DB) Release(ctx context.Context, service, tag string) (*slipway.Release, error) {
	r, err := scanRelease(s.db.QueryRowContext(ctx, releaseSelect+` WHERE service = ? AND tag = ?`, service, tag))
	if isNoRows(err) {
		return nil, notFound("release %s of service %s not found: create it with `slipway release --service %s --build ID`", tag, service, service)
	}
	return r, err
}

// ReleaseOfBuild returns the release that names a build, if any.
func (s *DB) ReleaseOfBuild(ctx context.Context, buildID string) (*slipway.Release, error) {
	r, err := scanRelease(s.db.QueryRowContext(ctx, releaseSelect+` WHERE build_id = ? ORDER BY created DESC LIMIT 1`, buildID))
	if isNoRows(err) {
		return nil, nil
	}
	return r, err
}
