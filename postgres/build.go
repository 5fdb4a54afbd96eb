package postgres

import (
	"context"

	"github.com/slipway/slipway"
)

// CreateBuild records a build. Registering the same build again is a no-op
// (created=false); the same digest with another commit is a conflict, because
// a build is immutable. ON CONFLICT DO NOTHING makes two concurrent
// registrations of one build agree (one inserts, the other reads it back)
// instead of one failing on the primary key.
func (s *BuildStore) CreateBuild(ctx context.Context, b *slipway.Build) (created bool, err error) {
	n, err := s.exec(ctx, `INSERT INTO builds (id, service, commit_sha, image, digest, key_id, created, signature_digest, sbom_digest, builder, platforms, rekor_entry)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) ON CONFLICT DO NOTHING`,
		b.ID, b.Service, b.Commit, b.Image, b.Digest, b.KeyID, b.Created, b.SignatureDigest, b.SBOMDigest, b.Builder, list(b.Platforms), b.RekorEntry)
	if err != nil || n == 1 {
		return n == 1, err
	}
	// Not inserted: a build with this id, or this service and digest, exists.
	old, err := scanBuild(s.pool.QueryRow(ctx, buildSelect+` WHERE id = $1 OR (service = $2 AND digest = $3) ORDER BY id = $1 DESC LIMIT 1`, b.ID, b.Service, b.Digest))
	if err != nil {
		return false, err
	}
	if old.ID != b.ID || old.Commit != b.Commit || old.Image != b.Image {
		return false, slipway.Errorf(slipway.ECONFLICT, "build %s is already registered with commit %s and image %s; builds are immutable: a different commit must produce a different digest", old.ID, old.Commit, old.Image)
	}
	*b = *old
	return false, nil
}

const buildSelect = `SELECT id, service, commit_sha, image, digest, key_id, created, signature_digest, sbom_digest, builder, platforms, rekor_entry FROM builds`

func scanBuild(r rowScanner) (*slipway.Build, error) {
	var b slipway.Build
	if err := r.Scan(&b.ID, &b.Service, &b.Commit, &b.Image, &b.Digest, &b.KeyID, &b.Created, &b.SignatureDigest, &b.SBOMDigest, &b.Builder, &b.Platforms, &b.RekorEntry); err != nil {
		return nil, err
	}
	b.Created = utc(b.Created)
	return &b, nil
}

// Build returns a build by id.
func (s *BuildStore) Build(ctx context.Context, id string) (*slipway.Build, error) {
	b, err := scanBuild(s.pool.QueryRow(ctx, buildSelect+` WHERE id = $1`, id))
	if isNoRows(err) {
		return nil, notFound("build %q not found: list builds with `slipway build list`", id)
	}
	return b, err
}

// Builds lists the builds of a service, newest first.
func (s *BuildStore) Builds(ctx context.Context, service string) ([]*slipway.Build, error) {
	if service == "" {
		return queryAll(ctx, s.pool, scanBuild, buildSelect+` ORDER BY created DESC, id`)
	}
	return queryAll(ctx, s.pool, scanBuild, buildSelect+` WHERE service = $1 ORDER BY created DESC, id`, service)
}

// RefuseIntake records a refused registration.
func (s *BuildStore) RefuseIntake(ctx context.Context, r *slipway.RefusedIntake) error {
	return s.pool.QueryRow(ctx, `INSERT INTO refused_intakes (service, image, commit_sha, rule, reason, at) VALUES ($1,$2,$3,$4,$5,$6) RETURNING id`,
		r.Service, r.Image, r.Commit, r.Rule, r.Reason, r.At).Scan(&r.ID)
}

// RefusedIntakes lists refused registrations, newest first.
func (s *BuildStore) RefusedIntakes(ctx context.Context, service string) ([]*slipway.RefusedIntake, error) {
	return queryAll(ctx, s.pool, func(r rowScanner) (*slipway.RefusedIntake, error) {
		var x slipway.RefusedIntake
		if err := r.Scan(&x.ID, &x.Service, &x.Image, &x.Commit, &x.Rule, &x.Reason, &x.At); err != nil {
			return nil, err
		}
		x.At = utc(x.At)
		return &x, nil
	}, `SELECT id, service, image, commit_sha, rule, reason, at FROM refused_intakes WHERE service = $1 OR $1 = '' ORDER BY id DESC`, service)
}
