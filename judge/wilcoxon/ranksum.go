package wilcoxon

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
)

// Result is the outcome of the two-sided rank-sum test of x against y.
type Result struct {
	// Estimate is the Hodges-Lehmann estimate of the location shift x - y:
	// the median of all differences x[i]-y[j] (exact method) or the root
	// of the standardized statistic (normal approximation).
	Estimate float64
	// Lower and Upper bound the confidence interval of the shift.
	Lower, Upper float64
	// ConfLevel is the confidence level the interval really has. It is the
	// requested level unless the samples are too small to reach it, in which
	// case R (and this package) report the achieved level instead.
	ConfLevel float64
	// PValue is the two-sided p-value of "no shift".
	PValue float64
	// W is the Mann-Whitney statistic: the rank sum of x minus m(m+1)/2.
	W float64
	// Exact tells whether the exact distribution was used (both samples
	// shorter than 50 and no ties) rather than the normal approximation.
	Exact bool
}

// ExactLimit is the sample size from which R switches to the normal
// approximation even without ties.
const ExactLimit = 50

// rootTolerance is R's default tol.root for wilcox.test's uniroot calls.
const rootTolerance = 1e-4

// maxRootIterations is uniroot's default maxiter.
const maxRootIterations = 1000

// ErrAllTied is returned when every value of x and y is equal to every other
// after shifting, so no interval can be computed (R stops the same way).
var ErrAllTied = errors.New("cannot compute a confidence interval when all observations are tied")

// RankSum runs the two-sided Wilcoxon rank-sum test of x against y with a
// confidence interval at confLevel (0 < confLevel < 1), exactly as R's
// wilcox.test(x, y, conf.int = TRUE, conf.level = confLevel). Both samples
// must be non-empty and finite; the caller removes NaN first.
func RankSum(x, y []float64, confLevel float64) (Result, error) {
	if err := check(x, y, confLevel); err != nil {
		return Result{}, err
	}
	r := rankAverage(slices.Concat(x, y))
	m := float64(len(x))
	w := sum(r.ranks[:len(x)]) - m*(m+1)/2
	if len(x) < ExactLimit && len(y) < ExactLimit && !r.ties {
		return exact(x, y, w, confLevel), nil
	}
	return asymptotic(x, y, w, r, confLevel)
}

func check(x, y []float64, confLevel float64) error {
	if !(confLevel > 0 && confLevel < 1) {
		return fmt.Errorf("confidence level %v must lie strictly between 0 and 1", confLevel)
	}
	if len(x) == 0 || len(y) == 0 {
		return fmt.Errorf("both samples need at least one value (have %d and %d)", len(x), len(y))
	}
	for name, s := range map[string][]float64{"x": x, "y": y} {
		for i, v := range s {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%s[%d] is %v; the test needs finite values", name, i, v)
			}
		}
	}
	return nil
}

// exact computes the interval from the sorted pairwise differences at the
// quantile of the exact null distribution of W.
func exact(x, y []float64, w, confLevel float64) Result {
	m, n := len(x), len(y)
	dist := newRankSumDist(m, n)
	alpha := 1 - confLevel

	diffs := make([]float64, 0, m*n)
	for _, xi := range x {
		for _, yj := range y {
			diffs = append(diffs, xi-yj)
		}
	}
	slices.Sort(diffs)

	qu := dist.quantile(alpha / 2)
	if qu == 0 {
		qu = 1 // the widest interval the data allow
	}
	ql := m*n - qu
	achievedAlpha := 2 * dist.cdf(float64(qu-1), false)
	if achievedAlpha-alpha > alpha/2 {
		confLevel = 1 - achievedAlpha
	}

	mn := float64(m * n)
	var p float64
	if w > mn/2 {
		p = dist.cdf(w-1, true)
	} else {
		p = dist.cdf(w, false)
	}
	return Result{
		Estimate:  median(diffs),
		Lower:     diffs[qu-1],
		Upper:     diffs[ql],
		ConfLevel: confLevel,
		PValue:    math.Min(2*p, 1),
		W:         w,
		Exact:     true,
	}
}

// asymptotic computes the interval and estimate by inverting the normal
// approximation of W with tie and continuity correction, as R does: the
// limits are the shifts d at which the standardized statistic of x-d
// against y equals the normal quantiles.
func asymptotic(x, y []float64, w float64, r ranking, confLevel float64) (Result, error) {
	m, n := float64(len(x)), float64(len(y))
	alpha := 1 - confLevel

	z := w - m*n/2
	sigma := math.Sqrt((m * n / 12) * ((m + n + 1) - r.tieTerm/((m+n)*(m+n-1))))
	z = (z - sign(z)*0.5) / sigma
	pval := 2 * math.Min(pnorm(z), pnorm(-z))

	s := shiftStatistic{x: x, y: y, buf: make([]float64, len(x)+len(y))}
	muMin := slices.Min(x) - slices.Max(y)
	muMax := slices.Max(x) - slices.Min(y)

	s.correct = true
	wMin, wMax := s.at(muMin), s.at(muMax)
	root := func(zq float64) (float64, error) {
		fLo := wMin - zq
		if fLo <= 0 {
			return muMin, nil
		}
		fHi := wMax - zq
		if fHi >= 0 {
			return muMax, nil
		}
		if math.IsNaN(fLo) || math.IsNaN(fHi) {
			return math.NaN(), ErrAllTied
		}
		return uniroot(func(d float64) float64 { return s.at(d) - zq }, muMin, muMax, fLo, fHi, rootTolerance, maxRootIterations), nil
	}
	lower, err := root(qnorm(1 - alpha/2))
	if err != nil {
		return Result{}, err
	}
	upper, err := root(qnorm(alpha / 2))
	if err != nil {
		return Result{}, err
	}

	// The estimate is the root of the statistic without continuity correction.
	s.correct = false
	if !(muMin < muMax) {
		return Result{}, ErrAllTied
	}
	fLo, fHi := s.at(muMin), s.at(muMax)
	if math.IsNaN(fLo) || math.IsNaN(fHi) || !(sign(fLo)*sign(fHi) <= 0) {
		return Result{}, ErrAllTied
	}
	estimate := uniroot(s.at, muMin, muMax, fLo, fHi, rootTolerance, maxRootIterations)

	return Result{
		Estimate:  estimate,
		Lower:     lower,
		Upper:     upper,
		ConfLevel: confLevel,
		PValue:    pval,
		W:         w,
	}, nil
}

// shiftStatistic is the standardized rank-sum statistic of x-d against y as a
// function of the shift d (R's W(d) inside wilcox.test), optionally with the
// continuity correction. It reuses one buffer across the many evaluations a
// root search makes.
type shiftStatistic struct {
	x, y    []float64
	buf     []float64
	correct bool
}

func (s *shiftStatistic) at(d float64) float64 {
	for i, v := range s.x {
		s.buf[i] = v - d
	}
	copy(s.buf[len(s.x):], s.y)
	r := rankAverage(s.buf)
	m, n := float64(len(s.x)), float64(len(s.y))
	dz := sum(r.ranks[:len(s.x)]) - m*(m+1)/2 - m*n/2
	correction := 0.0
	if s.correct {
		correction = sign(dz) * 0.5
	}
	sigma := math.Sqrt((m * n / 12) * ((m + n + 1) - r.tieTerm/((m+n)*(m+n-1))))
	return (dz - correction) / sigma
}

// sign is R's sign(): -1, 0 or 1.
func sign(v float64) float64 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

func sum(v []float64) float64 {
	t := 0.0
	for _, x := range v {
		t += x
	}
	return t
}

// median of sorted values; the middle pair is averaged with one rounding,
// as R's mean() (which accumulates in extended precision) does.
func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return midpoint(sorted[n/2-1], sorted[n/2])
}

// midpoint is (a+b)/2 rounded once, without overflow or double rounding.
func midpoint(a, b float64) float64 {
	s := new(big.Float).SetPrec(2100).SetFloat64(a)
	s.Add(s, new(big.Float).SetPrec(2100).SetFloat64(b))
	s.Quo(s, big.NewFloat(2))
	f, _ := s.Float64()
	return f
}
