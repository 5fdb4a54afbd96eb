package commitlint

// Word splitting as lodash's words() does it (es-toolkit/compat, which
// commitlint's case checks use, reproduces lodash's patterns). The
// patterns work on UTF-16 code units and classify only Latin-1 letters as
// upper or lower case; every other letter is "misc". They are matched here
// by hand, alternative by alternative, in the order and with the
// backtracking the regular expression would use.

import (
	"strings"
	"unicode/utf16"

	"golang.org/x/text/unicode/norm"
)

func isUpper16(c uint16) bool {
	return c >= 'A' && c <= 'Z' || c >= 0xC0 && c <= 0xD6 || c >= 0xD8 && c <= 0xDE
}
func isLower16(c uint16) bool {
	return c >= 'a' && c <= 'z' || c >= 0xDF && c <= 0xF6 || c >= 0xF8 && c <= 0xFF
}
func isDigit16(c uint16) bool { return c >= '0' && c <= '9' }
func isSurr16(c uint16) bool  { return c >= 0xD800 && c <= 0xDFFF }
func isDingbat16(c uint16) bool {
	return c >= 0x2700 && c <= 0x27BF
}

// isBreak16 is lodash's rsBreakRange: ASCII punctuation and controls,
// Latin-1 symbols, general punctuation and the Unicode spaces.
func isBreak16(c uint16) bool {
	switch {
	case c <= 0x2F, c >= 0x3A && c <= 0x40, c >= 0x5B && c <= 0x60, c >= 0x7B && c <= 0xBF,
		c >= 0x2000 && c <= 0x206F:
		return true
	}
	switch c {
	case 0xAC, 0xB1, 0xD7, 0xF7, 0xFEFF, 0x1680, 0x180E, 0x3000:
		return true
	}
	return false
}

// isMisc16 is every BMP unit that is not a break, digit, dingbat or Latin-1
// letter: other scripts' letters land here.
func isMisc16(c uint16) bool {
	return !isSurr16(c) && !isBreak16(c) && !isDigit16(c) && !isDingbat16(c) && !isLower16(c) && !isUpper16(c)
}

func isLowerOrMisc16(c uint16) bool { return isLower16(c) || isMisc16(c) }
func isUpperOrMisc16(c uint16) bool { return isUpper16(c) || isMisc16(c) }

// hasUnicodeWord is lodash's reHasUnicodeWord: does the string need the
// full pattern rather than runs of ASCII letters and digits?
func hasUnicodeWord(s []uint16) bool {
	isAZ := func(c uint16) bool { return c >= 'a' && c <= 'z' }
	isUAZ := func(c uint16) bool { return c >= 'A' && c <= 'Z' }
	isAlpha := func(c uint16) bool { return isAZ(c) || isUAZ(c) }
	for i, c := range s {
		if !isAlpha(c) && !isDigit16(c) && c != ' ' {
			return true
		}
		if i+1 < len(s) {
			n := s[i+1]
			if isAZ(c) && isUAZ(n) || isDigit16(c) && isAlpha(n) || isAlpha(c) && isDigit16(n) {
				return true
			}
			if i+2 < len(s) && isUAZ(c) && isUAZ(n) && isAZ(s[i+2]) {
				return true
			}
		}
	}
	return false
}

// words splits s into words.
func words(str string) []string {
	s := utf16.Encode([]rune(str))
	var out []string
	if !hasUnicodeWord(s) {
		// reAsciiWord: runs of characters outside ASCII punctuation and
		// controls (only letters, digits and spaces are present here).
		for i := 0; i < len(s); {
			if s[i] == ' ' {
				i++
				continue
			}
			j := i
			for j < len(s) && s[j] != ' ' {
				j++
			}
			out = append(out, string(utf16.Decode(s[i:j])))
			i = j
		}
		return out
	}
	for i := 0; i < len(s); {
		end := matchWordAt(s, i)
		if end <= i {
			i++
			continue
		}
		out = append(out, string(utf16.Decode(s[i:end])))
		i = end
	}
	return out
}

// matchWordAt tries the alternatives of lodash's reUnicodeWord at i, in
// order, and returns the end of the first that matches (or i).
func matchWordAt(s []uint16, i int) int {
	n := len(s)
	at := func(k int) (uint16, bool) {
		if k < n {
			return s[k], true
		}
		return 0, false
	}
	run := func(from int, in func(uint16) bool) int {
		for from < n && in(s[from]) {
			from++
		}
		return from
	}
	// 1. upper? lower+ (?=break|upper|$)
	{
		j := i
		if j < n && isUpper16(s[j]) {
			j++
		}
		if k := run(j, isLower16); k > j {
			if c, ok := at(k); !ok || isBreak16(c) || isUpper16(c) {
				return k
			}
		}
	}
	// 2. (upper|misc)+ (?=break|upper(lower|misc)|$), backtracking from
	// the longest run.
	if j := run(i, isUpperOrMisc16); j > i {
		for e := j; e > i; e-- {
			c, ok := at(e)
			if !ok || isBreak16(c) {
				return e
			}
			if isUpper16(c) {
				if d, ok := at(e + 1); ok && isLowerOrMisc16(d) {
					return e
				}
			}
		}
	}
	// 3. upper? (lower|misc)+
	if i+1 < n && isUpper16(s[i]) && isLowerOrMisc16(s[i+1]) {
		return run(i+1, isLowerOrMisc16)
	}
	if i < n && isLowerOrMisc16(s[i]) {
		return run(i, isLowerOrMisc16)
	}
	// 4. upper+
	if j := run(i, isUpper16); j > i {
		return j
	}
	// 5. and 6. ordinals: 1ST 2ND 3RD 4TH ... and 1st 2nd ...
	if e := matchOrdinal(s, i, true); e > i {
		return e
	}
	if e := matchOrdinal(s, i, false); e > i {
		return e
	}
	// 7. digits
	if j := run(i, isDigit16); j > i {
		return j
	}
	// 8. emoji: dingbat | regional pair | surrogate pair, then a sequence
	// of variation selectors, modifiers and zero-width joins.
	if e := matchEmojiHead(s, i); e > i {
		return matchEmojiSeq(s, e)
	}
	return i
}

// matchOrdinal is \d*(?:1ST|2ND|3RD|(?![123])\dTH)(?=\b|[a-z_]) (upper)
// or its lower-case twin with (?=\b|[A-Z_]).
func matchOrdinal(s []uint16, i int, upper bool) int {
	n := len(s)
	suffixes := [3]string{"st", "nd", "rd"}
	th := "th"
	if upper {
		suffixes = [3]string{"ST", "ND", "RD"}
		th = "TH"
	}
	has := func(p int, lit string) bool {
		if p+len(lit) > n {
			return false
		}
		for k := 0; k < len(lit); k++ {
			if s[p+k] != uint16(lit[k]) {
				return false
			}
		}
		return true
	}
	d := i
	for d < n && isDigit16(s[d]) {
		d++
	}
	for p := d; p >= i; p-- {
		e := -1
		if p < n {
			switch {
			case s[p] == '1' && has(p+1, suffixes[0]), s[p] == '2' && has(p+1, suffixes[1]), s[p] == '3' && has(p+1, suffixes[2]):
				e = p + 3
			case isDigit16(s[p]) && s[p] != '1' && s[p] != '2' && s[p] != '3' && has(p+1, th):
				e = p + 3
			}
		}
		if e < 0 {
			continue
		}
		// The last matched unit is a word character, so \b holds
		// exactly when the next one is not.
		if e == n || !isWordUnit(s[e]) {
			return e
		}
		c := s[e]
		if upper && (c >= 'a' && c <= 'z' || c == '_') || !upper && (c >= 'A' && c <= 'Z' || c == '_') {
			return e
		}
	}
	return i
}

func isWordUnit(c uint16) bool { return c < 0x80 && isWordByte(byte(c)) }

func isRegional(s []uint16, i int) bool {
	return i+1 < len(s) && s[i] == 0xD83C && s[i+1] >= 0xDDE6 && s[i+1] <= 0xDDFF
}

func isPair(s []uint16, i int) bool {
	return i+1 < len(s) && s[i] >= 0xD800 && s[i] <= 0xDBFF && s[i+1] >= 0xDC00 && s[i+1] <= 0xDFFF
}

func matchEmojiHead(s []uint16, i int) int {
	switch {
	case i < len(s) && isDingbat16(s[i]):
		return i + 1
	case isRegional(s, i) && isRegional(s, i+2):
		return i + 4
	case isPair(s, i):
		return i + 2
	}
	return i
}

// matchEmojiSeq is rsOptVar + reOptMod + (ZWJ (nonAstral|regional|pair)
// rsOptVar reOptMod)*.
func matchEmojiSeq(s []uint16, i int) int {
	n := len(s)
	optVarMod := func(k int) int {
		if k < n && (s[k] == 0xFE0E || s[k] == 0xFE0F) {
			k++
		}
		if k < n && (s[k] >= 0x300 && s[k] <= 0x36F || s[k] >= 0xFE20 && s[k] <= 0xFE2F || s[k] >= 0x20D0 && s[k] <= 0x20FF) {
			k++
		} else if k+1 < n && s[k] == 0xD83C && s[k+1] >= 0xDFFB && s[k+1] <= 0xDFFF {
			k += 2
		}
		return k
	}
	i = optVarMod(i)
	for i < n && s[i] == 0x200D {
		k := i + 1
		switch {
		case k < n && !isSurr16(s[k]):
			k++
		case isRegional(s, k) && isRegional(s, k+2):
			k += 4
		case isPair(s, k):
			k += 2
		default:
			return i
		}
		i = optVarMod(k)
	}
	return i
}

// deburr is es-toolkit/compat's: Latin-1 Supplement and Latin Extended-A
// letters lose their marks (via NFD, with a few letters spelt out), and
// combining marks are dropped. Other characters stay.
func deburr(s string) string {
	var b strings.Builder
	changed := false
	for _, r := range s {
		switch {
		case r >= 0xC0 && r <= 0x17F:
			b.WriteString(deburredLatin[r-0xC0])
			changed = true
		case isCombiningMark(r):
			changed = true
		default:
			b.WriteRune(r)
		}
	}
	if !changed {
		return s
	}
	return b.String()
}

func isCombiningMark(r rune) bool {
	return r >= 0x300 && r <= 0x36F || r >= 0x20D0 && r <= 0x20FF || r >= 0xFE20 && r <= 0xFE2F
}

// deburredLatin holds the replacement of U+00C0..U+017F, computed once.
var deburredLatin = func() []string {
	// Letters without a canonical decomposition that deburr spells out.
	spelt := map[rune]string{
		'Æ': "Ae", 'Ð': "D", 'Ø': "O", 'Þ': "Th", 'ß': "ss", 'æ': "ae", 'ð': "d", 'ø': "o", 'þ': "th",
		'Đ': "D", 'đ': "d", 'Ħ': "H", 'ħ': "h", 'ı': "i", 'Ĳ': "IJ", 'ĳ': "ij", 'ĸ': "k", 'Ŀ': "L",
		'ŀ': "l", 'Ł': "L", 'ł': "l", 'ŉ': "'n", 'Ŋ': "N", 'ŋ': "n", 'Œ': "Oe", 'œ': "oe", 'Ŧ': "T",
		'ŧ': "t", 'ſ': "s",
	}
	out := make([]string, 0x17F-0xC0+1)
	for r := rune(0xC0); r <= 0x17F; r++ {
		if v, ok := spelt[r]; ok {
			out[r-0xC0] = v
			continue
		}
		var b strings.Builder
		for _, d := range norm.NFD.String(string(r)) {
			if isCombiningMark(d) {
				continue
			}
			if v, ok := spelt[d]; ok {
				b.WriteString(v)
			} else {
				b.WriteRune(d)
			}
		}
		out[r-0xC0] = b.String()
	}
	return out
}()

// normalizeForCase drops apostrophes (' and ’) before splitting words.
func normalizeForCase(s string) string {
	if !strings.ContainsAny(s, "'\u2019") {
		return s
	}
	return strings.NewReplacer("'", "", "\u2019", "").Replace(s)
}

func caseWords(s string) []string { return words(normalizeForCase(deburr(s))) }

func camelCase(s string) string {
	ws := caseWords(s)
	if len(ws) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(jsLower(ws[0]))
	for _, w := range ws[1:] {
		b.WriteString(capitalize(w))
	}
	return b.String()
}

func joinLowerWords(s, sep string) string {
	ws := caseWords(s)
	for i, w := range ws {
		ws[i] = jsLower(w)
	}
	return strings.Join(ws, sep)
}

// startCase upper-cases the first code point of each word (a whole
// surrogate pair, unlike upperFirst) and joins the words with spaces.
func startCase(s string) string {
	ws := words(jsTrim(normalizeForCase(deburr(s))))
	for i, w := range ws {
		r := []rune(w)
		ws[i] = jsUpper(string(r[:1])) + string(r[1:])
	}
	return strings.Join(ws, " ")
}
