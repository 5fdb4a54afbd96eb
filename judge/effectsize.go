package judge

import "github.com/slipway/slipway/judge/wilcoxon"

// mean is the arithmetic mean; NaN for no values.
func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// meanRatio is mean(experiment) / mean(control), Kayenta's deviation and
// default effect size. It is NaN when either mean is 0, where a ratio says
// nothing (Kayenta then skips the effect-size gate).
func meanRatio(control, experiment []float64) float64 {
	c, e := mean(control), mean(experiment)
	if c == 0 || e == 0 {
		return nanValue
	}
	return e / c
}

// cles is the common language effect size of Vargha and Delaney: the
// probability that a random experiment value exceeds a random control value,
// counting ties as one half, computed from the rank sum of the experiment.
func cles(control, experiment []float64) float64 {
	m, n := float64(len(experiment)), float64(len(control))
	all := append(append([]float64(nil), experiment...), control...)
	r1 := wilcoxon.RankSumOf(all, len(experiment))
	return (2*r1 - m*(m+1)) / (2 * n * m)
}

// effectSize measures the change between control and experiment.
func effectSize(m EffectSizeMeasure, control, experiment []float64) float64 {
	if m == CLES {
		return cles(control, experiment)
	}
	return meanRatio(control, experiment)
}
