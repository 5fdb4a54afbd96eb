package wilcoxon

import "math"

// qnorm is the standard normal quantile function, Wichura's algorithm AS 241
// (Applied Statistics 37(3), 1988), the algorithm behind R's qnorm. It is
// accurate to about 1e-16, and it evaluates its rational functions in the
// same order as R so that the confidence limits found by root finding
// (which compare the statistic with these quantiles) agree with R's.
func qnorm(p float64) float64 {
	switch {
	case math.IsNaN(p) || p < 0 || p > 1:
		return math.NaN()
	case p == 0:
		return math.Inf(-1)
	case p == 1:
		return math.Inf(1)
	}
	q := p - 0.5
	if math.Abs(q) <= 0.425 {
		r := 0.180625 - q*q
		return q * horner(r, as241A) / horner(r, as241B)
	}
	r := p
	if q > 0 {
		r = 1 - p
	}
	r = math.Sqrt(-math.Log(r))
	var val float64
	if r <= 5 {
		r -= 1.6
		val = horner(r, as241C) / horner(r, as241D)
	} else {
		r -= 5
		val = horner(r, as241E) / horner(r, as241F)
	}
	if q < 0 {
		val = -val
	}
	return val
}

// horner evaluates the polynomial whose coefficients are given from the
// highest power down, as ((c0*x + c1)*x + c2)...
func horner(x float64, coef []float64) float64 {
	v := coef[0]
	for _, c := range coef[1:] {
		v = v*x + c
	}
	return v
}

// The AS 241 coefficients, highest power first.
var (
	as241A = []float64{2509.0809287301226727, 33430.575583588128105, 67265.770927008700853,
		45921.953931549871457, 13731.693765509461125, 1971.5909503065514427,
		133.14166789178437745, 3.387132872796366608}
	as241B = []float64{5226.495278852854561, 28729.085735721942674, 39307.89580009271061,
		21213.794301586595867, 5394.1960214247511077, 687.1870074920579083,
		42.313330701600911252, 1.0}
	as241C = []float64{7.7454501427834140764e-4, 0.0227238449892691845833, 0.24178072517745061177,
		1.27045825245236838258, 3.64784832476320460504, 5.7694972214606914055,
		4.6303378461565452959, 1.42343711074968357734}
	as241D = []float64{1.05075007164441684324e-9, 5.475938084995344946e-4, 0.0151986665636164571966,
		0.14810397642748007459, 0.68976733498510000455, 1.6763848301838038494,
		2.05319162663775882187, 1.0}
	as241E = []float64{2.01033439929228813265e-7, 2.71155556874348757815e-5, 0.0012426609473880784386,
		0.026532189526576123093, 0.29656057182850489123, 1.7848265399172913358,
		5.4637849111641143699, 6.6579046435011037772}
	as241F = []float64{2.04426310338993978564e-15, 1.4215117583164458887e-7, 1.8463183175100546818e-5,
		7.868691311456132591e-4, 0.0148753612908506148525, 0.13692988092273580531,
		0.59983220655588793769, 1.0}
)

// pnorm is the standard normal distribution function. Only p-values, which
// the judge reports but never decides on, use it.
func pnorm(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }
