package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/slipway/slipway"
)

const rolloutSelect = `SELECT id, platform, version, env, state, wave, reason, requester, rollback_all, waves, services, revision, created, updated FROM platform_rollouts`

const rolloutActive = `state IN ('running','paused','rolling-back')`

func scanRollout(r rowScanner) (*slipway.Rollout, error) {
	var ro slipway.Rollout
	var state string
	var waves, services []byte
	if err := r.Scan(&ro.ID, &ro.Platform, &ro.Version, &ro.Env, &state, &ro.Wave, &ro.Reason, &ro.Requester, &ro.RollbackAll, &waves, &services, &ro.Revision, &ro.Created, &ro.Updated); err != nil {
		return nil, err
	}
	ro.State = slipway.RolloutState(state)
	if err := json.Unmarshal(waves, &ro.Waves); err != nil {
		return nil, fmt.Errorf("rollout %s: waves: %w", ro.ID, err)
	}
	if err := json.Unmarshal(services, &ro.Services); err != nil {
		return nil, fmt.Errorf("rollout %s: services: %w", ro.ID, err)
	}
	ro.Created, ro.Updated = utc(ro.Created), utc(ro.Updated)
	return &ro, nil
}

func rolloutJSON(r *slipway.Rollout) (string, string, error) {
	waves, err := json.Marshal(r.Waves)
	if err != nil {
		return "", "", err
	}
	services, err := json.Marshal(r.Services)
	return string(waves), string(services), err
}

// CreateRollout stores r as the one active rollout of its environment; the
// partial unique index decides between two concurrent requests.
func (s *RolloutStore) CreateRollout(ctx context.Context, r *slipway.Rollout) error {
	waves, services, err := rolloutJSON(r)
	if err != nil {
		return err
	}
	err = s.pool.QueryRow(ctx, `INSERT INTO platform_rollouts (platform, version, env, state, wave, reason, requester, rollback_all, waves, services, revision, created, updated)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9::jsonb,$10::jsonb,1,$11,$11) RETURNING id`,
		r.Platform, r.Version, r.Env, string(r.State), r.Wave, r.Reason, r.Requester, r.RollbackAll, waves, services, r.Created).Scan(&r.ID)
	if isUnique(err) {
		active, aerr := queryAll(ctx, s.pool, scanRollout, rolloutSelect+` WHERE env = $1 AND `+rolloutActive, r.Env)
		if aerr == nil && len(active) > 0 {
			return slipway.Errorf(slipway.ECONFLICT, "platform rollout %s (%s %s) into %s is %s: wait for it, or see `slipway platform status --env %s`", active[0].ID, active[0].Platform, active[0].Version, r.Env, active[0].State, r.Env)
		}
		return slipway.Errorf(slipway.ECONFLICT, "another platform rollout into %s started at the same moment: see `slipway platform status --env %s`", r.Env, r.Env)
	}
	if err != nil {
		return err
	}
	r.Revision, r.Updated = 1, r.Created
	return nil
}

// Rollout returns a rollout by id.
func (s *RolloutStore) Rollout(ctx context.Context, id string) (*slipway.Rollout, error) {
	r, err := scanRollout(s.pool.QueryRow(ctx, rolloutSelect+` WHERE id = $1`, id))
	if isNoRows(err) {
		return nil, notFound("platform rollout %q not found: list them with `slipway platform status`", id)
	}
	return r, err
}

// Rollouts lists rollouts, newest first.
func (s *RolloutStore) Rollouts(ctx context.Context, f slipway.RolloutFilter) ([]*slipway.Rollout, error) {
	q := rolloutSelect + ` WHERE (env = $1 OR $1 = '')`
	if f.Active {
		q += ` AND ` + rolloutActive
	}
	return queryAll(ctx, s.pool, scanRollout, q+` ORDER BY seq DESC`, f.Env)
}

// UpdateRollout stores r if nobody updated it since it was read.
func (s *RolloutStore) UpdateRollout(ctx context.Context, r *slipway.Rollout) error {
	waves, services, err := rolloutJSON(r)
	if err != nil {
		return err
	}
	n, err := s.exec(ctx, `UPDATE platform_rollouts SET state = $1, wave = $2, reason = $3, waves = $4::jsonb, services = $5::jsonb, revision = revision + 1, updated = $6
		WHERE id = $7 AND revision = $8`, string(r.State), r.Wave, r.Reason, waves, services, r.Updated, r.ID, r.Revision)
	if isUnique(err) {
		return slipway.Errorf(slipway.ECONFLICT, "another platform rollout into %s is active: see `slipway platform status --env %s`", r.Env, r.Env)
	}
	if err != nil {
		return err
	}
	if n == 0 {
		if _, err := s.Rollout(ctx, r.ID); err != nil {
			return err
		}
		return slipway.Errorf(slipway.ECONFLICT, "platform rollout %s changed since it was read (revision %d): read it again", r.ID, r.Revision)
	}
	r.Revision++
	return nil
}
