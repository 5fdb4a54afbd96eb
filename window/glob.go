package window

import (
	"fmt"
	"regexp"
	"strings"
)

// glob is a selector pattern with the syntax Argo CD accepts for sync
// windows (gobwas/glob without separators): * any run of characters, ? one
// character, [abc] [a-z] [!a-z] character classes, {a,b} alternatives, and \
// to escape; ] outside a class and } outside {…} are text. It is compiled
// to an anchored regular expression, which keeps matching linear in the
// input whatever the pattern.
type glob struct {
	literal string // pattern without metacharacters: compare directly
	any     bool   // "*": matches everything
	re      *regexp.Regexp
}

func (g *glob) match(s string) bool {
	switch {
	case g.any:
		return true
	case g.re == nil:
		return s == g.literal
	default:
		return g.re.MatchString(s)
	}
}

func compileGlob(pattern string) (*glob, error) {
	if pattern == "*" {
		return &glob{any: true}, nil
	}
	if !strings.ContainsAny(pattern, `*?[]{}\,`) {
		return &glob{literal: pattern}, nil
	}
	expr, err := globToRegexp(pattern)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("not a valid pattern: %v", err)
	}
	return &glob{re: re}, nil
}

func globToRegexp(pattern string) (string, error) {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	rs := []rune(pattern)
	depth := 0 // nesting of {…}
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch r {
		case '\\':
			if i+1 == len(rs) {
				return "", fmt.Errorf(`pattern ends with a lone \: escape it as \\`)
			}
			i++
			b.WriteString(regexp.QuoteMeta(string(rs[i])))
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '[':
			n, class, err := globClass(rs[i+1:])
			if err != nil {
				return "", err
			}
			b.WriteString(class)
			i += n
		case '{':
			depth++
			b.WriteString(`(?:`)
		case '}':
			if depth == 0 { // outside {…} a brace is text, as in gobwas/glob
				b.WriteString(`\}`)
				continue
			}
			depth--
			b.WriteString(`)`)
		case ',':
			if depth > 0 {
				b.WriteString(`|`)
			} else {
				b.WriteString(`,`)
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	if depth > 0 {
		return "", fmt.Errorf("unclosed {: close it with }")
	}
	b.WriteString(`$`)
	return b.String(), nil
}

// globClass converts the body of a [...] class (rs starts after '[') and
// returns how many runes it consumed, including the closing ']'.
func globClass(rs []rune) (int, string, error) {
	var b strings.Builder
	b.WriteString(`[`)
	i := 0
	if i < len(rs) && rs[i] == '!' {
		b.WriteString(`^`)
		i++
	}
	start := i
	for ; i < len(rs); i++ {
		r := rs[i]
		if r == ']' {
			if i == start {
				return 0, "", fmt.Errorf("empty character class []: remove it or list characters")
			}
			b.WriteString(`]`)
			return i + 1, b.String(), nil
		}
		if i+2 < len(rs) && rs[i+1] == '-' && rs[i+2] != ']' {
			lo, hi := r, rs[i+2]
			if lo > hi {
				return 0, "", fmt.Errorf("character range %c-%c is reversed: write %c-%c", lo, hi, hi, lo)
			}
			fmt.Fprintf(&b, `\x{%x}-\x{%x}`, lo, hi)
			i += 2
			continue
		}
		fmt.Fprintf(&b, `\x{%x}`, r)
	}
	return 0, "", fmt.Errorf("unclosed [: close the character class with ]")
}
