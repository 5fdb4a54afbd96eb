package postgres

import (
	"context"
	"time"

	"github.com/slipway/slipway"
)

// Enqueue adds work or moves a pending item of (kind, key) earlier; the
// unique (kind, key) keeps one pending item per key under concurrency.
func (s *QueueStore) Enqueue(ctx context.Context, kind, key string, notBefore time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO work AS w (kind, key, not_before, created) VALUES ($1,$2,$3,clock_timestamp())
		ON CONFLICT (kind, key) DO UPDATE SET not_before = least(w.not_before, excluded.not_before), version = w.version + 1`,
		kind, key, notBefore)
	return err
}

// Due lists up to limit items whose NotBefore has passed.
func (s *QueueStore) Due(ctx context.Context, now time.Time, limit int) ([]slipway.WorkItem, error) {
	return queryAll(ctx, s.pool, scanWork, workSelect+` WHERE not_before <= $1 ORDER BY not_before, id LIMIT $2`, now, limit)
}

// Done removes an item unless it was enqueued again since it was read.
func (s *QueueStore) Done(ctx context.Context, it slipway.WorkItem) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM work WHERE id = $1 AND version = $2`, it.ID, it.Version)
	return err
}

// Retry records a failure and schedules the item again; when it was
// enqueued again meanwhile, the earlier of the two times wins.
func (s *QueueStore) Retry(ctx context.Context, it slipway.WorkItem, notBefore time.Time, lastErr string) error {
	_, err := s.pool.Exec(ctx, `UPDATE work SET attempts = attempts + 1, last_error = $1,
		not_before = CASE WHEN version = $2 THEN $3 ELSE least(not_before, $3) END WHERE id = $4`,
		lastErr, it.Version, notBefore, it.ID)
	return err
}

// Pending counts items and reports the earliest NotBefore.
func (s *QueueStore) Pending(ctx context.Context) (int, time.Time, error) {
	var n int
	var next *time.Time
	if err := s.pool.QueryRow(ctx, `SELECT count(*), min(not_before) FROM work`).Scan(&n, &next); err != nil {
		return 0, time.Time{}, err
	}
	if next == nil {
		return 0, time.Time{}, nil
	}
	return n, utc(*next), nil
}

const workSelect = `SELECT id, kind, key, not_before, attempts, last_error, version, created FROM work`

func scanWork(r rowScanner) (slipway.WorkItem, error) {
	var w slipway.WorkItem
	err := r.Scan(&w.ID, &w.Kind, &w.Key, &w.NotBefore, &w.Attempts, &w.LastError, &w.Version, &w.Created)
	w.NotBefore, w.Created = utc(w.NotBefore), utc(w.Created)
	return w, err
}
