package slipway

import "time"

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
