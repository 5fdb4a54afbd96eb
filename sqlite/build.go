package sqlite

import (
	"context"
	"database/sql"

	"github.com/slipway/slipway"
)

// CreateBuild records a build. Registering the same build again is a no-op
// (created=false); the same digest with another commit is a conflict, because
// a build is immutable.
func (s *BuildStore) CreateBuild(ctx context.Context, b *slipway.Build) (created bool, err error) {
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
		_, err = tx.ExecContext(ctx, `INSERT INTO builds (id, service, commit_sha, image, digest, key_id, created, signature_digest, sbom_digest, builder, platforms, rekor_entry) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
			b.ID, b.Service, b.Commit, b.Image, b.Digest, b.KeyID, ts(b.Created), b.SignatureDigest, b.SBOMDigest, b.Builder, jsonList(b.Platforms), b.RekorEntry)
		created = err == nil
		return err
	})
	return created, err
}

const buildSelect = `SELECT id, service, commit_sha, image, digest, key_id, created, signature_digest, sbom_digest, builder, platforms, rekor_entry FROM builds`

func scanBuild(r rowScanner) (*slipway.Build, error) {
	var b slipway.Build
	var created, platforms string
	if err := r.Scan(&b.ID, &b.Service, &b.Commit, &b.Image, &b.Digest, &b.KeyID, &created, &b.SignatureDigest, &b.SBOMDigest, &b.Builder, &platforms, &b.RekorEntry); err != nil {
		return nil, err
	}
	b.Created, b.Platforms = parseTS(created), parseList(platforms)
	return &b, nil
}

// Build returns a build by id.
func (s *BuildStore) Build(ctx context.Context, id string) (*slipway.Build, error) {
	b, err := scanBuild(s.db.QueryRowContext(ctx, buildSelect+` WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("build %q not found: list builds with `slipway build list`", id)
	}
	return b, err
}

// Builds lists the builds of a service, newest first.
func (s *BuildStore) Builds(ctx context.Context, service string) ([]*slipway.Build, error) {
	if service == "" {
		return queryAll(ctx, s.DB, scanBuild, buildSelect+` ORDER BY created DESC, id`)
	}
	return queryAll(ctx, s.DB, scanBuild, buildSelect+` WHERE service = ? ORDER BY created DESC, id`, service)
}

// RefuseIntake records a refused registration.
func (s *BuildStore) RefuseIntake(ctx context.Context, r *slipway.RefusedIntake) error {
	res, err := s.db.ExecContext(ctx, `INSERT INTO refused_intakes (service, image, commit_sha, rule, reason, at) VALUES (?,?,?,?,?,?)`,
		r.Service, r.Image, r.Commit, r.Rule, r.Reason, ts(r.At))
	if err != nil {
		return err
	}
	r.ID, err = res.LastInsertId()
	return err
}

// RefusedIntakes lists refused registrations, newest first.
func (s *BuildStore) RefusedIntakes(ctx context.Context, service string) ([]*slipway.RefusedIntake, error) {
	return queryAll(ctx, s.DB, func(r rowScanner) (*slipway.RefusedIntake, error) {
		var x slipway.RefusedIntake
		var at string
		if err := r.Scan(&x.ID, &x.Service, &x.Image, &x.Commit, &x.Rule, &x.Reason, &at); err != nil {
			return nil, err
		}
		x.At = parseTS(at)
		return &x, nil
	}, `SELECT id, service, image, commit_sha, rule, reason, at FROM refused_intakes WHERE service = ? OR ? = '' ORDER BY id DESC`, service, service)
}

// queryAll runs a query and scans every row.
func queryAll[T any](ctx context.Context, s *DB, scan func(rowScanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
