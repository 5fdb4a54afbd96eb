package commitlint

import (
	"strings"
	"unicode/utf8"
)

// Issue references matter to one rule, references-empty, which asks
// whether the parser found any. The parser's regular expressions are
// matched here by hand; see countReferences for what they amount to.

// referenceActions are the parser's default referenceActions, in the
// order its alternation tries them.
var referenceActions = []string{"close", "closes", "closed", "fix", "fixes", "fixed", "resolve", "resolves", "resolved"}

// countReferences is len(parseReferences(line)). A line that holds an
// action ("fixes", "closes"...) followed by blanks yields the text after
// each action, up to the next action (even inside a word) or the end;
// another line yields itself. In each such sentence without a URL, every
// "#" followed by [\w-]+ and then a blank, the end or one of ",;.)]"
// is a reference.
func countReferences(line string) int {
	n := 0
	for _, s := range referenceSentences(line) {
		if hasURL(s) {
			continue
		}
		n += countIssueRefs(s)
	}
	return n
}

func referenceSentences(line string) []string {
	var out []string
	for from := 0; ; {
		start, end, ok := nextActionSentence(line, from)
		if !ok {
			break
		}
		out = append(out, line[start:end])
		from = end
	}
	if out != nil {
		return out
	}
	// /()(.+)/gi: the runs between line terminators.
	for _, part := range strings.FieldsFunc(line, isLineTerminator) {
		out = append(out, part)
	}
	return out
}

func actionAt(s string, p int) (int, bool) {
	for _, a := range referenceActions {
		if hasPrefixFoldASCII(s[p:], a) {
			return len(a), true
		}
	}
	return 0, false
}

// nextActionSentence runs one exec of
// (actions)(?:\s+(.*?))(?=(?:actions)|$) from index from and returns the
// captured sentence. The blanks are greedy; giving some back never helps,
// because the lazy text would then only start with those blanks.
func nextActionSentence(s string, from int) (int, int, bool) {
	for p := from; p < len(s); p++ {
		for _, a := range referenceActions {
			if !hasPrefixFoldASCII(s[p:], a) {
				continue
			}
			q := p + len(a)
			r := q
			for r < len(s) {
				c, n := utf8.DecodeRuneInString(s[r:])
				if !isJSSpace(c) {
					break
				}
				r += n
			}
			if r == q {
				continue
			}
			for e := r; ; {
				if e == len(s) {
					return r, e, true
				}
				if _, ok := actionAt(s, e); ok {
					return r, e, true
				}
				c, n := utf8.DecodeRuneInString(s[e:])
				if isLineTerminator(c) {
					break
				}
				e += n
			}
		}
	}
	return 0, 0, false
}

func isRefWordByte(c byte) bool { return isWordByte(c) || c == '-' }

func countIssueRefs(s string) int {
	n := 0
	for h := strings.IndexByte(s, '#'); h >= 0; {
		e := h + 1
		for e < len(s) && isRefWordByte(s[e]) {
			e++
		}
		if e > h+1 {
			if e == len(s) || strings.IndexByte(",;.)]", s[e]) >= 0 {
				n++
			} else if r, _ := utf8.DecodeRuneInString(s[e:]); isJSSpace(r) {
				n++
			}
		}
		next := strings.IndexByte(s[h+1:], '#')
		if next < 0 {
			break
		}
		h += 1 + next
	}
	return n
}

func isURLByte(c byte) bool {
	return isWordByte(c) || strings.IndexByte("-@:%+.~#?&/=", c) >= 0
}

// hasURL is the parser's url pattern
// \b(?:https?):\/\/(?:www\.)?([-a-zA-Z0-9@:%_+.~#?&//=])+\b: a scheme at a
// word boundary whose following run of URL characters holds a word
// character (the closing \b then falls after the last one).
func hasURL(s string) bool {
	return findScheme(s, func(rest string) bool {
		for i := 0; i < len(rest) && isURLByte(rest[i]); i++ {
			if isWordByte(rest[i]) {
				return true
			}
		}
		return false
	})
}

// hasURLForLength is max-line-length's exemption /\bhttps?:\/\/\S+/.
func hasURLForLength(s string) bool {
	return findScheme(s, func(rest string) bool {
		r, n := utf8.DecodeRuneInString(rest)
		return n > 0 && !isJSSpace(r)
	})
}

// findScheme calls tail with the text after each "http://" or "https://"
// that starts at a word boundary.
func findScheme(s string, tail func(string) bool) bool {
	for i := 0; ; {
		k := strings.Index(s[i:], "http")
		if k < 0 {
			return false
		}
		p := i + k
		i = p + 1
		if p > 0 && isWordByte(s[p-1]) {
			continue
		}
		rest := s[p+4:]
		rest = strings.TrimPrefix(rest, "s")
		if strings.HasPrefix(rest, "://") && tail(rest[3:]) {
			return true
		}
	}
}
