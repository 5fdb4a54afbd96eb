package sqlite

import (
	"context"
	"database/sql"

	"github.com/slipway/slipway"
)

// CreateAnalysisRun starts an analysis run record.
func (s *AnalysisStore) CreateAnalysisRun(ctx context.Context, r *slipway.AnalysisRun) error {
	res, err := s.db.ExecContext(ctx, `INSERT INTO analysis_runs (promotion_id, phase, message, started) VALUES (?,?,?,?)`, r.PromotionID, r.Phase, r.Message, ts(r.Started))
	if err != nil {
		return err
	}
	r.ID, err = res.LastInsertId()
	return err
}

// FinishAnalysisRun records a run's final phase.
func (s *AnalysisStore) FinishAnalysisRun(ctx context.Context, r *slipway.AnalysisRun) error {
	var fin any
	if r.Finished != nil {
		fin = ts(*r.Finished)
	}
	_, err := s.db.ExecContext(ctx, `UPDATE analysis_runs SET phase = ?, message = ?, finished = ? WHERE id = ?`, r.Phase, r.Message, fin, r.ID)
	return err
}

// AddMeasurement stores one measurement; every one is kept.
func (s *AnalysisStore) AddMeasurement(ctx context.Context, m *slipway.Measurement) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO measurements (run_id, metric, phase, value, message, at) VALUES (?,?,?,?,?,?)`, m.RunID, m.Metric, m.Phase, m.Value, m.Message, ts(m.At))
	return err
}

// AnalysisRuns lists a promotion's runs.
func (s *AnalysisStore) AnalysisRuns(ctx context.Context, promotionID string) ([]slipway.AnalysisRun, error) {
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
func (s *AnalysisStore) Measurements(ctx context.Context, runID int64) ([]slipway.Measurement, error) {
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
