package postgres

import (
	"context"

	"github.com/slipway/slipway"
)

// CreateAnalysisRun starts an analysis run record.
func (s *AnalysisStore) CreateAnalysisRun(ctx context.Context, r *slipway.AnalysisRun) error {
	err := s.pool.QueryRow(ctx, `INSERT INTO analysis_runs (promotion_id, phase, message, started) VALUES ($1,$2,$3,$4) RETURNING id`,
		r.PromotionID, r.Phase, r.Message, r.Started).Scan(&r.ID)
	return noPromotion(err, r.PromotionID)
}

// FinishAnalysisRun records a run's final phase.
func (s *AnalysisStore) FinishAnalysisRun(ctx context.Context, r *slipway.AnalysisRun) error {
	_, err := s.pool.Exec(ctx, `UPDATE analysis_runs SET phase = $1, message = $2, finished = $3 WHERE id = $4`, r.Phase, r.Message, r.Finished, r.ID)
	return err
}

// AddMeasurement stores one measurement; every one is kept.
func (s *AnalysisStore) AddMeasurement(ctx context.Context, m *slipway.Measurement) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO measurements (run_id, metric, phase, value, message, at) VALUES ($1,$2,$3,$4,$5,$6)`, m.RunID, m.Metric, m.Phase, m.Value, m.Message, m.At)
	return err
}

// AnalysisRuns lists a promotion's runs.
func (s *AnalysisStore) AnalysisRuns(ctx context.Context, promotionID string) ([]slipway.AnalysisRun, error) {
	return queryAll(ctx, s.pool, func(r rowScanner) (slipway.AnalysisRun, error) {
		var a slipway.AnalysisRun
		err := r.Scan(&a.ID, &a.PromotionID, &a.Phase, &a.Message, &a.Started, &a.Finished)
		a.Started, a.Finished = utc(a.Started), utcPtr(a.Finished)
		return a, err
	}, `SELECT id, promotion_id, phase, message, started, finished FROM analysis_runs WHERE promotion_id = $1 ORDER BY id`, promotionID)
}

// Measurements lists a run's measurements in order.
func (s *AnalysisStore) Measurements(ctx context.Context, runID int64) ([]slipway.Measurement, error) {
	return queryAll(ctx, s.pool, func(r rowScanner) (slipway.Measurement, error) {
		var m slipway.Measurement
		err := r.Scan(&m.RunID, &m.Metric, &m.Phase, &m.Value, &m.Message, &m.At)
		m.At = utc(m.At)
		return m, err
	}, `SELECT run_id, metric, phase, value, message, at FROM measurements WHERE run_id = $1 ORDER BY id`, runID)
}
