package changelog

import "testing"

// localeCompareRunes is the straightforward []rune formulation that
// localeCompare must equal (it avoids the allocations).
func localeCompareRunes(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	for i := 0; i < len(ra) && i < len(rb); i++ {
		if wa, wb := primaryWeight(ra[i]), primaryWeight(rb[i]); wa != wb {
			if wa < wb {
				return -1
			}
			return 1
		}
	}
	if len(ra) != len(rb) {
		if len(ra) < len(rb) {
			return -1
		}
		return 1
	}
	for i := range ra {
		if la, lb := isUpper(ra[i]), isUpper(rb[i]); la != lb {
			if !la {
				return -1
			}
			return 1
		}
	}
	return 0
}

func FuzzLocaleCompare(f *testing.F) {
	for _, s := range [][2]string{{"a", "B"}, {"api", "API"}, {"é", "e"}, {"x\xff", "x"}, {"", "a"}, {"fix: a", "fix: A"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if got, want := localeCompare(a, b), localeCompareRunes(a, b); got != want {
			t.Fatalf("localeCompare(%q, %q) = %d, the []rune formulation says %d", a, b, got, want)
		}
	})
}
