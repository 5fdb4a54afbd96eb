package wilcoxon

import (
	"encoding/binary"
	"math"
	"testing"
)

// FuzzRankSum checks invariants on arbitrary samples: the interval is
// ordered and, for the exact method, brackets the estimate and spans order
// statistics of the pairwise differences.
func FuzzRankSum(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, uint8(2), uint8(95))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}, uint8(1), uint8(50))
	f.Fuzz(func(t *testing.T, raw []byte, split, conf uint8) {
		var v []float64
		for len(raw) >= 2 {
			// Small integers (many ties) and fractions both appear.
			v = append(v, float64(int16(binary.LittleEndian.Uint16(raw)))/8)
			raw = raw[2:]
		}
		if len(v) < 2 || len(v) > 200 {
			return
		}
		k := 1 + int(split)%(len(v)-1)
		x, y := v[:k], v[k:]
		level := 0.5 + float64(conf%50)/100 // 0.50 .. 0.99
		r, err := RankSum(x, y, level)
		if err != nil {
			if err != ErrAllTied {
				t.Fatalf("RankSum(%v, %v, %v): %v", x, y, level, err)
			}
			return
		}
		// Root finding stops within rootTolerance of a step of the statistic,
		// so with heavy ties R's own limits may cross by that much (see the
		// "ties-crossed-limits" case of the R table).
		slack := 0.0
		if !r.Exact {
			slack = 2 * rootTolerance
		}
		if math.IsNaN(r.Lower) || math.IsNaN(r.Upper) || r.Lower > r.Upper+slack {
			t.Fatalf("interval [%v, %v] for %v vs %v", r.Lower, r.Upper, x, y)
		}
		if r.Exact && (r.Estimate < r.Lower || r.Estimate > r.Upper) {
			t.Fatalf("estimate %v outside [%v, %v]", r.Estimate, r.Lower, r.Upper)
		}
		if !(r.PValue >= 0 && r.PValue <= 1) || !(r.ConfLevel >= 0 && r.ConfLevel <= level) {
			t.Fatalf("p-value %v, level %v", r.PValue, r.ConfLevel)
		}
	})
}
