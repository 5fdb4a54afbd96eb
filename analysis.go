package slipway

import (
	"context"
	"time"
)

// AnalysisRun is one analysis of a promotion's canary; its measurements are
// all kept (no retention limit), so a verdict can always be explained.
type AnalysisRun struct {
	ID          int64
	PromotionID string
	Phase       string // Running, Successful, Failed, Error, Inconclusive, Terminated
	Message     string
	Started     time.Time
	Finished    *time.Time
}

// Measurement is one provider reading of one metric, with its verdict.
type Measurement struct {
	RunID   int64
	Metric  string
	Phase   string // Successful, Failed, Inconclusive, Error
	Value   string
	Message string
	At      time.Time
}

// AnalysisStore persists analysis runs and every measurement.
type AnalysisStore interface {
	// CreateAnalysisRun records a started run, assigning r.ID.
	CreateAnalysisRun(ctx context.Context, r *AnalysisRun) error
	// FinishAnalysisRun records a run's phase, message and end.
	FinishAnalysisRun(ctx context.Context, r *AnalysisRun) error
	// AddMeasurement stores one measurement.
	AddMeasurement(ctx context.Context, m *Measurement) error
	// AnalysisRuns lists a promotion's runs, oldest first.
	AnalysisRuns(ctx context.Context, promotionID string) ([]AnalysisRun, error)
	// Measurements lists a run's measurements in order.
	Measurements(ctx context.Context, runID int64) ([]Measurement, error)
}
