package changelog

import "unicode/utf8"

// release-please renders with conventional-changelog-writer, which sorts
// groups and entries with JavaScript's Array.prototype.sort and
// compare-func. That comparator is not a total order (any comparison that
// involves a missing scope answers "greater"), so the published order
// depends on V8's exact algorithm. To regenerate sections byte for byte we
// run the same algorithm: V8's TimSort, which for the lengths a release
// section has (< 64) is one run detection plus a binary insertion sort.
// Longer inputs fall back to a stable merge sort with the same comparator,
// which agrees whenever the comparator is consistent.

// jsSort sorts a in place as V8 would with comparator cmp.
func jsSort[T any](a []T, cmp func(x, y T) int) {
	n := len(a)
	if n < 2 {
		return
	}
	if n >= 64 {
		mergeSort(a, cmp)
		return
	}
	run := countAndMakeRun(a, cmp)
	binaryInsertionSort(a, run, cmp)
}

// countAndMakeRun finds the initial run (strictly descending runs are
// reversed) and returns its length.
func countAndMakeRun[T any](a []T, cmp func(x, y T) int) int {
	if len(a) == 1 {
		return 1
	}
	run := 2
	descending := cmp(a[1], a[0]) < 0
	for i := 2; i < len(a); i++ {
		order := cmp(a[i], a[i-1])
		if descending {
			if order >= 0 {
				break
			}
		} else if order < 0 {
			break
		}
		run++
	}
	if descending {
		for i, j := 0, run-1; i < j; i, j = i+1, j-1 {
			a[i], a[j] = a[j], a[i]
		}
	}
	return run
}

func binaryInsertionSort[T any](a []T, start int, cmp func(x, y T) int) {
	for ; start < len(a); start++ {
		pivot := a[start]
		left, right := 0, start
		for left < right {
			mid := left + (right-left)>>1
			if cmp(pivot, a[mid]) < 0 {
				right = mid
			} else {
				left = mid + 1
			}
		}
		copy(a[left+1:start+1], a[left:start])
		a[left] = pivot
	}
}

func mergeSort[T any](a []T, cmp func(x, y T) int) {
	mergeSortWith(a, make([]T, 0, len(a)), cmp)
}

// mergeSortWith is a stable top-down merge sort reusing one scratch slice.
func mergeSortWith[T any](a, scratch []T, cmp func(x, y T) int) {
	if len(a) < 2 {
		return
	}
	mid := len(a) / 2
	mergeSortWith(a[:mid], scratch, cmp)
	mergeSortWith(a[mid:], scratch, cmp)
	merged := scratch[:0]
	i, j := 0, mid
	for i < mid && j < len(a) {
		if cmp(a[j], a[i]) < 0 {
			merged = append(merged, a[j])
			j++
		} else {
			merged = append(merged, a[i])
			i++
		}
	}
	merged = append(merged, a[i:mid]...)
	merged = append(merged, a[j:]...)
	copy(a, merged)
}

// jsValue is a string property that may be null, as in a JavaScript object.
type jsValue struct {
	s     string
	valid bool
}

// compareFunc is compare-func's comparison of one property: equal values
// are 0, two strings use localeCompare, anything else answers
// `x < y ? -1 : 1`, and null < "text" is false in JavaScript.
func compareFunc(x, y jsValue) int {
	if x == y {
		return 0
	}
	if x.valid && y.valid {
		return localeCompare(x.s, y.s)
	}
	return 1
}

// localeCompare approximates ICU's root collation, which is what Node's
// String.prototype.localeCompare uses: primary weights ignore case
// (whitespace < punctuation < symbols < digits < letters), and only on a
// primary tie does lower case sort before upper case.
func localeCompare(a, b string) int {
	// Two passes over the strings, decoding runes in place: sorting a
	// 100k-commit changelog compares strings hundreds of thousands of
	// times, and converting to []rune each time was a tenth of its CPU.
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ra, na := utf8.DecodeRuneInString(a[i:])
		rb, nb := utf8.DecodeRuneInString(b[j:])
		if wa, wb := primaryWeight(ra), primaryWeight(rb); wa != wb {
			if wa < wb {
				return -1
			}
			return 1
		}
		i, j = i+na, j+nb
	}
	if la, lb := utf8.RuneCountInString(a), utf8.RuneCountInString(b); la != lb {
		if la < lb {
			return -1
		}
		return 1
	}
	for i, j = 0, 0; i < len(a) && j < len(b); {
		ra, na := utf8.DecodeRuneInString(a[i:])
		rb, nb := utf8.DecodeRuneInString(b[j:])
		if ua, ub := isUpper(ra), isUpper(rb); ua != ub {
			if !ua {
				return -1
			}
			return 1
		}
		i, j = i+na, j+nb
	}
	return 0
}

func isUpper(r rune) bool { return r >= 'A' && r <= 'Z' }

// asciiOrder lists ASCII punctuation and symbols in ICU root order.
const asciiOrder = "\t\n\v\f\r _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789"

func primaryWeight(r rune) int {
	if r >= 'A' && r <= 'Z' {
		r += 'a' - 'A'
	}
	if r >= 'a' && r <= 'z' {
		return 1000 + int(r-'a')
	}
	for i, c := range asciiOrder {
		if c == r {
			return i + 1
		}
	}
	return 2000 + int(r)
}
