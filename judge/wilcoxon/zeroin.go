package wilcoxon

import "math"

// uniroot finds a zero of f in [lo, hi] the way R's uniroot does when it is
// given f(lo) and f(hi) (R_zeroin2: Brent's method as published by Forsythe,
// Malcolm and Moler, with at most maxIter iterations). Reproducing the very
// same sequence of steps matters: the Wilcoxon statistic is a step function
// of the shift, so any other root finder stops at a different point of the
// flat step and reports a different confidence limit than R.
//
// It reports an error-free root whenever fLo and fHi have opposite signs (or
// one is zero); callers check that precondition.
func uniroot(f func(float64) float64, lo, hi, fLo, fHi, tol float64, maxIter int) float64 {
	a, b := lo, hi
	fa, fb := fLo, fHi
	c, fc := a, fa
	if fa == 0 {
		return a
	}
	if fb == 0 {
		return b
	}
	for it := 0; it <= maxIter; it++ {
		prevStep := b - a
		if math.Abs(fc) < math.Abs(fb) {
			// Keep b the best approximation so far.
			a, b, c = b, c, b
			fa, fb, fc = fb, fc, fb
		}
		tolAct := 2*epsilon*math.Abs(b) + tol/2
		newStep := (c - b) / 2
		if math.Abs(newStep) <= tolAct || fb == 0 {
			return b
		}
		// Try interpolation when the previous step was large enough and
		// went in the right direction.
		if math.Abs(prevStep) >= tolAct && math.Abs(fa) > math.Abs(fb) {
			var p, q float64
			cb := c - b
			if a == c {
				// Two distinct points: linear interpolation (secant).
				t1 := fb / fa
				p = cb * t1
				q = 1 - t1
			} else {
				// Inverse quadratic interpolation.
				qq := fa / fc
				t1 := fb / fc
				t2 := fb / fa
				p = t2 * (cb*qq*(qq-t1) - (b-a)*(t1-1))
				q = (qq - 1) * (t1 - 1) * (t2 - 1)
			}
			if p > 0 {
				q = -q
			} else {
				p = -p
			}
			// Accept the interpolated point if it falls well inside [b, c]
			// and the step shrinks fast enough; otherwise bisect.
			if p < 0.75*cb*q-math.Abs(tolAct*q)/2 && p < math.Abs(prevStep*q/2) {
				newStep = p / q
			}
		}
		if math.Abs(newStep) < tolAct {
			if newStep > 0 {
				newStep = tolAct
			} else {
				newStep = -tolAct
			}
		}
		a, fa = b, fb
		b += newStep
		fb = f(b)
		if (fb > 0 && fc > 0) || (fb < 0 && fc < 0) {
			c, fc = a, fa
		}
	}
	return b // not converged: R warns and returns the last approximation
}

// epsilon is the C DBL_EPSILON, the spacing of float64 values at 1.
const epsilon = 2.220446049250313e-16
