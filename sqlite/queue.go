package sqlite

import (
	"context"
	"time"

	"github.com/slipway/slipway"
)

// Enqueue adds work or moves a pending item of (kind, key) earlier.
func (s *QueueStore) Enqueue(ctx context.Context, kind, key string, notBefore time.Time) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO work (kind, key, not_before, created) VALUES (?,?,?,?)
		ON CONFLICT (kind, key) DO UPDATE SET not_before = min(not_before, excluded.not_before), version = version + 1`,
		kind, key, ts(notBefore), ts(time.Now()))
	return err
}

// Due lists up to limit items whose NotBefore has passed.
func (s *QueueStore) Due(ctx context.Context, now time.Time, limit int) ([]slipway.WorkItem, error) {
	return queryAll(ctx, s.DB, scanWork, workSelect+` WHERE not_before <= ? ORDER BY not_before, id LIMIT ?`, ts(now), limit)
}

// Done removes an item unless it was enqueued again since it was read.
func (s *QueueStore) Done(ctx context.Context, it slipway.WorkItem) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM work WHERE id = ? AND version = ?`, it.ID, it.Version)
	return err
}

// Retry records a failure and schedules the item again.
func (s *QueueStore) Retry(ctx context.Context, it slipway.WorkItem, notBefore time.Time, lastErr string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE work SET attempts = attempts + 1, last_error = ?, not_before = CASE WHEN version = ? THEN ? ELSE min(not_before, ?) END WHERE id = ?`,
		lastErr, it.Version, ts(notBefore), ts(notBefore), it.ID)
	return err
}

// Pending counts items and reports the earliest NotBefore.
func (s *QueueStore) Pending(ctx context.Context) (int, time.Time, error) {
	var n int
	var next *string
	if err := s.db.QueryRowContext(ctx, `SELECT count(*), min(not_before) FROM work`).Scan(&n, &next); err != nil {
		return 0, time.Time{}, err
	}
	if next == nil {
		return 0, time.Time{}, nil
	}
	return n, parseTS(*next), nil
}

const workSelect = `SELECT id, kind, key, not_before, attempts, last_error, version, created FROM work`

func scanWork(r rowScanner) (slipway.WorkItem, error) {
	var w slipway.WorkItem
	var nb, created string
	err := r.Scan(&w.ID, &w.Kind, &w.Key, &nb, &w.Attempts, &w.LastError, &w.Version, &created)
	w.NotBefore, w.Created = parseTS(nb), parseTS(created)
	return w, err
}
