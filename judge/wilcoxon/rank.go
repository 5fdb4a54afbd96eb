package wilcoxon

import "sort"

// ranking holds the average ranks (R's rank(ties.method = "average")) of a
// vector, and the tie term sum(t^3 - t) over the groups of t equal values
// that the variance of the rank-sum statistic is corrected by.
type ranking struct {
	ranks   []float64
	tieTerm float64
	ties    bool
}

// rankAverage ranks v (1-based; tied values share the mean of their ranks).
// v must not contain NaN.
func rankAverage(v []float64) ranking {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return v[idx[a]] < v[idx[b]] })
	r := ranking{ranks: make([]float64, len(v))}
	for start := 0; start < len(idx); {
		end := start + 1
		for end < len(idx) && v[idx[end]] == v[idx[start]] {
			end++
		}
		// Positions start..end-1 hold ranks start+1..end; their mean:
		avg := float64(start+1+end) / 2
		for _, i := range idx[start:end] {
			r.ranks[i] = avg
		}
		if t := float64(end - start); t > 1 {
			r.tieTerm += t*t*t - t
			r.ties = true
		}
		start = end
	}
	return r
}

// RankSumOf is the sum of the average ranks of the first k values of v
// among all of v (the rank sum of sample x when v is x followed by y).
func RankSumOf(v []float64, k int) float64 {
	return sum(rankAverage(v).ranks[:k])
}
