package judge

import (
	"math"
	"slices"
)

// Outliers configures the removal of outliers before the comparison
// (Kayenta's analysisConfigurations.canary.outliers).
type Outliers struct {
	// Strategy is "keep" (default) or "remove".
	Strategy OutlierStrategy `json:"strategy"`
	// OutlierFactor scales the interquartile range of the fences (default 3).
	OutlierFactor float64 `json:"outlierFactor"`
}

// OutlierStrategy says whether outliers are removed.
type OutlierStrategy string

const (
	Keep          OutlierStrategy = "keep"
	RemoveOutlier OutlierStrategy = "remove"
)

// DefaultOutlierFactor is Kayenta's default fence factor.
const DefaultOutlierFactor = 3.0

// removeOutliers drops the values outside Kayenta's reduced-sensitivity
// Tukey fences: below min(P1, Q1 - factor·IQR) or above max(P99, Q3 +
// factor·IQR), with R-7 (linear) percentiles. Each side is cleaned on its
// own, after the NaN strategy. Taking the 1st and 99th percentiles into the
// fences keeps a tight sample from losing its honest extremes.
func removeOutliers(v []float64, factor float64) []float64 {
	if len(v) == 0 {
		return v
	}
	sorted := slices.Clone(v)
	slices.Sort(sorted)
	q1, q3 := percentileR7(sorted, 25), percentileR7(sorted, 75)
	iqr := q3 - q1
	lower := math.Min(percentileR7(sorted, 1), q1-factor*iqr)
	upper := math.Max(percentileR7(sorted, 99), q3+factor*iqr)
	return slices.DeleteFunc(slices.Clone(v), func(x float64) bool { return x < lower || x > upper })
}

// percentileR7 is the p-th percentile (0 < p <= 100) of sorted values by
// linear interpolation between order statistics (R's quantile type 7, the
// estimation Kayenta's DescriptiveStatistics.percentile selects).
func percentileR7(sorted []float64, p float64) float64 {
	n := len(sorted)
	pos := 1 + float64(n-1)*p/100 // 1-based position
	if p == 100 {
		pos = float64(n)
	}
	switch {
	case pos < 1:
		return sorted[0]
	case pos >= float64(n):
		return sorted[n-1]
	}
	fl := math.Floor(pos)
	lo, hi := sorted[int(fl)-1], sorted[int(fl)]
	return lo + (pos-fl)*(hi-lo)
}
