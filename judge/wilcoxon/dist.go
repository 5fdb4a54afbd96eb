package wilcoxon

import (
	"math"
	"math/big"
)

// rankSumDist is the null distribution of the Mann-Whitney statistic
// W = sum of the x ranks - m(m+1)/2 for samples of sizes m and n without
// ties: W takes the values 0..m*n, and count(k) is the number of the
// C(m+n, n) equally likely rank arrangements with W = k.
//
// The counts come from the classic recursion (R's cwilcox)
//
//	count(k; m, n) = count(k-n; m-1, n) + count(k; m, n-1)
//
// (the largest of the m+n values is either an x, adding n to W, or a y),
// memoized per (m, n). Counts are float64 like R's, so that the quantiles
// agree with R even where the counts exceed 2^53.
type rankSumDist struct {
	m, n  int
	total float64 // C(m+n, n)
	// memo[i*stride+j] holds the counts for sizes i <= j (nil until used),
	// indexed by k <= i*j/2, -1 where not yet computed.
	memo   [][]float64
	stride int
}

func newRankSumDist(m, n int) *rankSumDist {
	big := max(m, n) + 1
	return &rankSumDist{m: m, n: n, total: choose(m+n, n), memo: make([][]float64, big*big), stride: big}
}

// count is the number of arrangements of m x's and n y's with W = k.
func (d *rankSumDist) count(k, m, n int) float64 {
	u := m * n
	if k < 0 || k > u {
		return 0
	}
	if c := u / 2; k > c {
		k = u - k // the distribution is symmetric
	}
	i, j := m, n
	if m >= n {
		i, j = n, m
	}
	if j == 0 {
		if k == 0 {
			return 1
		}
		return 0
	}
	// With W = k < j, at most k of the y's lie below any x, so only the
	// first k y's matter.
	if k < j {
		return d.count(k, i, k)
	}
	w := d.memo[i*d.stride+j]
	if w == nil {
		w = make([]float64, i*j/2+1)
		for l := range w {
			w[l] = -1
		}
		d.memo[i*d.stride+j] = w
	}
	if w[k] < 0 {
		w[k] = d.count(k-j, i-1, j) + d.count(k, i, j-1)
	}
	return w[k]
}

// cdf is P(W <= q) (R's pwilcox(q, m, n)), or P(W > q) when upper is set.
func (d *rankSumDist) cdf(q float64, upper bool) float64 {
	mn := float64(d.m * d.n)
	q = math.Floor(q + 1e-7)
	if q < 0 {
		return boolProb(upper)
	}
	if q >= mn {
		return boolProb(!upper)
	}
	p := 0.0
	if q <= mn/2 {
		for i := 0; i <= int(q); i++ {
			p += d.count(i, d.m, d.n) / d.total
		}
	} else {
		// Sum the shorter tail and flip it.
		for i := 0; i < int(mn-q); i++ {
			p += d.count(i, d.m, d.n) / d.total
		}
		upper = !upper
	}
	if upper {
		return 0.5 - p + 0.5
	}
	return p
}

// boolProb is 1 for the upper tail and 0 for the lower one at q < 0.
func boolProb(upper bool) float64 {
	if upper {
		return 1
	}
	return 0
}

// quantile is the smallest w with P(W <= w) >= p (R's qwilcox(p, m, n)),
// including R's allowance of 10 machine epsilons for rounding in the sum.
func (d *rankSumDist) quantile(p float64) int {
	mn := d.m * d.n
	switch {
	case p <= 0:
		return 0
	case p >= 1:
		return mn
	}
	acc, q := 0.0, 0
	if p <= 0.5 {
		p -= 10 * epsilon
		for {
			acc += d.count(q, d.m, d.n) / d.total
			if acc >= p {
				return q
			}
			q++
		}
	}
	p = 1 - p + 10*epsilon
	for {
		acc += d.count(q, d.m, d.n) / d.total
		if acc > p {
			return mn - q
		}
		q++
	}
}

// choose is the binomial coefficient C(n, k) as R's choose computes it: a
// running product for small k, which R rounds to the nearest integer, and
// (where R uses exp(lchoose), accurate to a few ulps) the exactly rounded
// value.
func choose(n, k int) float64 {
	if n-k < k {
		k = n - k
	}
	if k < 0 {
		return 0
	}
	if k == 0 {
		return 1
	}
	if k < 30 {
		r := float64(n)
		for j := 2; j <= k; j++ {
			r *= float64(n-j+1) / float64(j)
		}
		return math.RoundToEven(r)
	}
	f, _ := new(big.Float).SetInt(new(big.Int).Binomial(int64(n), int64(k))).Float64()
	return f
}
