package commitlint

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Case names commitlint accepts (@commitlint/types TargetCaseType),
// including the legacy spellings.
var caseNames = []string{
	"camel-case", "kebab-case", "snake-case", "pascal-case", "start-case",
	"upper-case", "uppercase", "sentence-case", "sentencecase",
	"lower-case", "lowercase", "lowerCase",
}

func knownCase(name string) bool {
	for _, c := range caseNames {
		if c == name {
			return true
		}
	}
	return false
}

// toCase is @commitlint/ensure's toCase. Unknown targets are refused when
// the configuration is read, so this never sees one.
func toCase(input, target string) string {
	switch target {
	case "camel-case":
		return camelCase(input)
	case "kebab-case":
		return joinLowerWords(input, "-")
	case "snake-case":
		return joinLowerWords(input, "_")
	case "pascal-case":
		return upperFirst(camelCase(input))
	case "start-case":
		return startCase(input)
	case "upper-case", "uppercase":
		return jsUpper(input)
	case "sentence-case", "sentencecase":
		return upperFirst(input)
	case "lower-case", "lowercase", "lowerCase":
		return jsLower(input)
	}
	panic(fmt.Sprintf("commitlint: unknown case %q", target))
}

// ensureCase decides whether raw is already in the target case: quoted
// parts are removed first (they may hold proper names), and a text that
// transforms to nothing or to a leading digit passes every case.
func ensureCase(raw, target string) bool {
	input := jsTrim(stripQuoted(raw))
	t := toCase(input, target)
	if t == "" || t[0] >= '0' && t[0] <= '9' {
		return true
	}
	return t == input
}

// stripQuoted is raw.replace(/`.*?`|".*?"|'.*?'/g, ""): at each position a
// quote character opens a span closed by the next same quote on the same
// line (JavaScript's "." does not cross line terminators).
func stripQuoted(s string) string {
	if !strings.ContainsAny(s, "`\"'") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		q := s[i]
		if q == '`' || q == '"' || q == '\'' {
			if end, ok := closingQuote(s, i+1, q); ok {
				i = end + 1
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

func closingQuote(s string, from int, q byte) (int, bool) {
	for j := from; j < len(s); {
		r, n := utf8.DecodeRuneInString(s[j:])
		if isLineTerminator(r) {
			return 0, false
		}
		if s[j] == q {
			return j, true
		}
		j += n
	}
	return 0, false
}

// startsWithCasedLetter is /^[\p{Ll}\p{Lu}\p{Lt}]/iu: a cased letter, or
// (the i flag) a character whose simple case folding is shared with one,
// such as U+0345.
func startsWithCasedLetter(s string) bool {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return false
	}
	for f := r; ; {
		if unicode.In(f, unicode.Ll, unicode.Lu, unicode.Lt) {
			return true
		}
		f = unicode.SimpleFold(f)
		if f == r {
			return false
		}
	}
}

// caseCheck is one entry of a case rule's value: a case, or a case with
// its own "when".
type caseCheck struct {
	When string
	Case string
}

// runCaseChecks is the shared body of the *-case rules: which checks
// match, and the message listing the cases that decided.
func runCaseChecks(field, when string, checks []caseCheck, ok func(string) bool) (bool, string) {
	var matched []caseCheck
	for _, c := range checks {
		r := ok(c.Case)
		if c.When == "never" {
			r = !r
		}
		if r {
			matched = append(matched, c)
		}
	}
	result := len(matched) > 0
	reported := checks
	if when == "never" && result {
		reported = matched
	}
	names := make([]string, len(reported))
	for i, c := range reported {
		names[i] = c.Case
	}
	msg := field + " must be " + strings.Join(names, ", ")
	if when == "never" {
		msg = field + " must not be " + strings.Join(names, ", ")
		return !result, msg
	}
	return result, msg
}
