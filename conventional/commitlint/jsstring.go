package commitlint

// commitlint runs on JavaScript strings: lengths count UTF-16 code units,
// trim() and \s know Unicode spaces, "." stops at four line terminators,
// and toUpperCase() applies full case mappings ("ß" -> "SS"). The helpers
// here give Go strings those semantics, so that a verdict never depends on
// which language computed it.

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

// decodeUTF8 turns bytes into a valid string the way Node's UTF-8 decoder
// does (the WHATWG algorithm): each maximal ill-formed subsequence becomes
// one U+FFFD. Go's per-byte replacement would give different lengths.
func decodeUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var out strings.Builder
	out.Grow(len(b) + 8)
	need, cp := 0, rune(0)
	lower, upper := byte(0x80), byte(0xBF)
	for i := 0; i < len(b); {
		c := b[i]
		if need == 0 {
			i++
			switch {
			case c <= 0x7F:
				out.WriteByte(c)
			case c >= 0xC2 && c <= 0xDF:
				need, cp = 1, rune(c&0x1F)
			case c >= 0xE0 && c <= 0xEF:
				if c == 0xE0 {
					lower = 0xA0
				}
				if c == 0xED {
					upper = 0x9F
				}
				need, cp = 2, rune(c&0x0F)
			case c >= 0xF0 && c <= 0xF4:
				if c == 0xF0 {
					lower = 0x90
				}
				if c == 0xF4 {
					upper = 0x8F
				}
				need, cp = 3, rune(c&0x07)
			default:
				out.WriteRune(utf8.RuneError)
			}
			continue
		}
		if c < lower || c > upper {
			// The byte is not a continuation: the sequence so far is
			// one error, and the byte is read again as a new start.
			need, cp, lower, upper = 0, 0, 0x80, 0xBF
			out.WriteRune(utf8.RuneError)
			continue
		}
		lower, upper = 0x80, 0xBF
		cp = cp<<6 | rune(c&0x3F)
		i++
		need--
		if need == 0 {
			out.WriteRune(cp)
			cp = 0
		}
	}
	if need != 0 {
		out.WriteRune(utf8.RuneError)
	}
	return out.String()
}

// len16 is String.prototype.length: UTF-16 code units.
func len16(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
}

// isJSSpace is JavaScript's \s and the set trim() removes: WhiteSpace and
// LineTerminator. Unlike unicode.IsSpace it has U+FEFF and lacks U+0085.
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

// isLineTerminator reports the characters "." does not match and at which
// a multiline "^" or "$" anchors.
func isLineTerminator(r rune) bool {
	return r == '\n' || r == '\r' || r == 0x2028 || r == 0x2029
}

func jsTrim(s string) string      { return strings.TrimFunc(s, isJSSpace) }
func jsTrimStart(s string) string { return strings.TrimLeftFunc(s, isJSSpace) }
func jsTrimEnd(s string) string   { return strings.TrimRightFunc(s, isJSSpace) }

// isWordByte is JavaScript's \w without the u flag.
func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// jsUpper and jsLower are toUpperCase and toLowerCase: Unicode default
// full case conversion, as x/text/cases implements it for the root locale.
func jsUpper(s string) string {
	if isASCII(s) {
		return strings.ToUpper(s)
	}
	return cases.Upper(language.Und).String(s)
}

func jsLower(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	return cases.Lower(language.Und).String(s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// upperFirst is str.substring(0, 1).toUpperCase() + str.substring(1): it
// upper-cases the first UTF-16 code unit, so a character outside the BMP
// (a lone surrogate there) is left as it is.
func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || r > 0xFFFF {
		return s
	}
	return jsUpper(s[:n]) + s[n:]
}

// capitalize is charAt(0).toUpperCase() + slice(1).toLowerCase().
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	if r > 0xFFFF {
		return s[:n] + jsLower(s[n:])
	}
	return jsUpper(s[:n]) + jsLower(s[n:])
}

// toLines is @commitlint/to-lines: split on /\r?\n/.
func toLines(s string) []string {
	if !strings.Contains(s, "\r\n") {
		return strings.Split(s, "\n")
	}
	parts := strings.Split(s, "\n")
	for i := 0; i < len(parts)-1; i++ {
		parts[i] = strings.TrimSuffix(parts[i], "\r")
	}
	return parts
}

// trimNewLines removes leading and trailing CR and LF characters only.
func trimNewLines(s string) string {
	return strings.Trim(s, "\r\n")
}

// jsNumber formats a number as JavaScript's String(n) does for the values
// a rule takes (integers and short decimals).
func jsNumber(f float64) string {
	if f == float64(int64(f)) && f < 1e21 && f > -1e21 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// lastUnitIs reports input[input.length - 1] === value: the last UTF-16
// code unit of s equals value (so a value longer than one unit never does).
func lastUnitIs(s, value string) bool {
	if s == "" || len16(value) != 1 {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(s)
	if r > 0xFFFF {
		return false
	}
	v, _ := utf8.DecodeRuneInString(value)
	return r == v
}
