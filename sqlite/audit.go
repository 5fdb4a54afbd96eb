package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/slipway/slipway"
)

// AppendAudit links e to the chain (PrevHash, Seq, Hash) and stores it, in one
// transaction so two writers cannot fork the chain.
func (s *DB) AppendAudit(ctx context.Context, e *slipway.AuditEntry) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var seq int64
		var prev string
		err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&seq, &prev)
		if err != nil && !isNoRows(err) {
			return err
		}
		e.Seq, e.PrevHash = seq+1, prev
		e.Hash = e.ComputeHash()
		body, err := json.Marshal(e)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO audit (seq, entry, hash, prev_hash) VALUES (?,?,?,?)`, e.Seq, string(body), e.Hash, e.PrevHash)
		return err
	})
}

// AuditEntries returns the whole chain, oldest first, as recorded.
func (s *DB) AuditEntries(ctx context.Context) ([]slipway.AuditEntry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, entry FROM audit ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []slipway.AuditEntry
	for rows.Next() {
		var seq int64
		var body string
		if err := rows.Scan(&seq, &body); err != nil {
			return nil, err
		}
		var e slipway.AuditEntry
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			return nil, fmt.Errorf("audit entry %d is not valid JSON: %w", seq, err)
		}
		e.Seq = seq
		out = append(out, e)
	}
	return out, rows.Err()
}

// CreateAnalysisRun starts an analysis run record.
func (s *DB) CreateAnalysisRun(ctx context.Context, r *slipway.AnalysisRun) error {
	res, err := s.db.ExecContext(ctx, `INSERT INTO analysis_runs (promotion_id, phase, message, started) VALUES (?,?,?,?)`, r.PromotionID, r.Phase, r.Message, ts(r.Started))
	if err != nil {
		return err
	}
	r.ID, err = res.LastInsertId()
	return err
}

// FinishAnalysisRun records a run's final phase.
func (s *DB) FinishAnalysisRun(ctx context.Context, r *slipway.AnalysisRun) error {
	var fin any
	if r.Finished != nil {
		fin = ts(*r.Finished)
	}
	_, err := s.db.ExecContext(ctx, `UPDATE analysis_runs SET phase = ?, message = ?, finished = ? WHERE id = ?`, r.Phase, r.Message, fin, r.ID)
	return err
}

// AddMeasurement stores one measurement; every one is kept.
func (s *DB) AddMeasurement(ctx context.Context, m *slipway.Measurement) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO measurements (run_id, metric, phase, value, message, at) VALUES (?,?,?,?,?,?)`, m.RunID, m.Metric, m.Phase, m.Value, m.Message, ts(m.At))
	return err
}

// AnalysisRuns lists a promotion's runs.
func (s *DB) AnalysisRuns(ctx context.Context, promotionID string) ([]slipway.AnalysisRun, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, promotion_id, phase, message, started, finished FROM analysis_runs WHERE promotion_id = ? ORDER BY id`, promotionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []slipway.AnalysisRun
	for rows.Next() {
		var r slipway.AnalysisRun
		var started string
		var fin sql.NullString
		if err := rows.Scan(&r.ID, &r.PromotionID, &r.Phase, &r.Message, &started, &fin); err != nil {
			return nil, err
		}
		r.Started = parseTS(started)
		if fin.Valid {
			t := parseTS(fin.String)
			r.Finished = &t
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Measurements lists a run's measurements in order.
func (s *DB) Measurements(ctx context.Context, runID int64) ([]slipway.Measurement, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT run_id, metric, phase, value, message, at FROM measurements WHERE run_id = ? ORDER BY id`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []slipway.Measurement
	for rows.Next() {
		var m slipway.Measurement
		var at string
		if err := rows.Scan(&m.RunID, &m.Metric, &m.Phase, &m.Value, &m.Message, &at); err != nil {
			return nil, err
		}
		m.At = parseTS(at)
		out = append(out, m)
	}
	return out, rows.Err()
}
