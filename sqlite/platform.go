package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/slipway/slipway"
)

const rolloutSelect = `SELECT id, platform, version, env, state, wave, reason, requester, rollback_all, waves, services, revision, created, updated FROM platform_rollouts`

func scanRollout(r rowScanner) (*slipway.Rollout, error) {
	var ro slipway.Rollout
	var state, waves, services, created, updated string
	if err := r.Scan(&ro.ID, &ro.Platform, &ro.Version, &ro.Env, &state, &ro.Wave, &ro.Reason, &ro.Requester, &ro.RollbackAll, &waves, &services, &ro.Revision, &created, &updated); err != nil {
		return nil, err
	}
	ro.State = slipway.RolloutState(state)
	if err := json.Unmarshal([]byte(waves), &ro.Waves); err != nil {
		return nil, fmt.Errorf("rollout %s: waves: %w", ro.ID, err)
	}
	if err := json.Unmarshal([]byte(services), &ro.Services); err != nil {
		return nil, fmt.Errorf("rollout %s: services: %w", ro.ID, err)
	}
	ro.Created, ro.Updated = parseTS(created), parseTS(updated)
	return &ro, nil
}

// CreateRollout stores r as the one active rollout of its environment.
func (s *RolloutStore) CreateRollout(ctx context.Context, r *slipway.Rollout) error {
	waves, services, err := rolloutJSON(r)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		active, err := scanRollout(tx.QueryRowContext(ctx, rolloutSelect+` WHERE env = ? AND state IN ('running','paused','rolling-back')`, r.Env))
		switch {
		case err == nil:
			return rolloutConflict(active)
		case !isNoRows(err):
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO platform_rollouts (id, platform, version, env, state, wave, reason, requester, rollback_all, waves, services, revision, created, updated)
			VALUES ('', ?,?,?,?,?,?,?,?,?,?,1,?,?)`,
			r.Platform, r.Version, r.Env, string(r.State), r.Wave, r.Reason, r.Requester, r.RollbackAll, waves, services, ts(r.Created), ts(r.Created))
		if isUnique(err) {
			return slipway.Errorf(slipway.ECONFLICT, "another platform rollout into %s started at the same moment: see `slipway platform status --env %s`", r.Env, r.Env)
		}
		if err != nil {
			return err
		}
		seq, err := res.LastInsertId()
		if err != nil {
			return err
		}
		r.ID, r.Revision, r.Updated = fmt.Sprintf("r-%d", seq), 1, r.Created
		_, err = tx.ExecContext(ctx, `UPDATE platform_rollouts SET id = ? WHERE seq = ?`, r.ID, seq)
		return err
	})
}

// rolloutConflict is the refusal that names the rollout in the way.
func rolloutConflict(a *slipway.Rollout) error {
	return slipway.Errorf(slipway.ECONFLICT, "platform rollout %s (%s %s) into %s is %s: wait for it, or see `slipway platform status --env %s`", a.ID, a.Platform, a.Version, a.Env, a.State, a.Env)
}

func rolloutJSON(r *slipway.Rollout) (string, string, error) {
	waves, err := json.Marshal(r.Waves)
	if err != nil {
		return "", "", err
	}
	services, err := json.Marshal(r.Services)
	return string(waves), string(services), err
}

// Rollout returns a rollout by id.
func (s *RolloutStore) Rollout(ctx context.Context, id string) (*slipway.Rollout, error) {
	r, err := scanRollout(s.db.QueryRowContext(ctx, rolloutSelect+` WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("platform rollout %q not found: list them with `slipway platform status`", id)
	}
	return r, err
}

// Rollouts lists rollouts, newest first.
func (s *RolloutStore) Rollouts(ctx context.Context, f slipway.RolloutFilter) ([]*slipway.Rollout, error) {
	q := rolloutSelect + ` WHERE (env = ? OR ? = '')`
	if f.Active {
		q += ` AND state IN ('running','paused','rolling-back')`
	}
	return queryAll(ctx, s.DB, scanRollout, q+` ORDER BY seq DESC`, f.Env, f.Env)
}

// UpdateRollout stores r if nobody updated it since it was read.
func (s *RolloutStore) UpdateRollout(ctx context.Context, r *slipway.Rollout) error {
	waves, services, err := rolloutJSON(r)
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE platform_rollouts SET state = ?, wave = ?, reason = ?, waves = ?, services = ?, revision = revision + 1, updated = ?
		WHERE id = ? AND revision = ?`, string(r.State), r.Wave, r.Reason, waves, services, ts(r.Updated), r.ID, r.Revision)
	if isUnique(err) {
		return slipway.Errorf(slipway.ECONFLICT, "another platform rollout into %s is active: see `slipway platform status --env %s`", r.Env, r.Env)
	}
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.Rollout(ctx, r.ID); err != nil {
			return err
		}
		return slipway.Errorf(slipway.ECONFLICT, "platform rollout %s changed since it was read (revision %d): read it again", r.ID, r.Revision)
	}
	r.Revision++
	return nil
}
