package commitlint

import (
	"strings"
	"unicode/utf8"
)

// Issue references matter to one rule, references-empty, which asks
// whether the parser found any. The regular expressions of
// conventional-commits-parser 7.1 (what @commitlint/parse 21.2 installs)
// are matched here by hand; see countReferences for what they amount to.

// referenceActions are the parser's default referenceActions, in the
// order its alternation tries them.
var referenceActions = []string{"close", "closes", "closed", "fix", "fixes", "fixed", "resolve", "resolves", "resolved"}

// countReferences is len(parseReferences(line, footerToken)). A line is cut
// into sentences at each action word ("fixes", "closes"... a whole word,
// followed by blanks; on a footer-token line "Closes:" too): the text after
// each action up to the next one, and the text between. In each sentence
// without a URL, a reference is "#" plus a word holding a digit, followed
// by a blank, the end or one of ",;.)]", and preceded by either a
// non-word character or a whole [\w./-] word (a repository: "org/repo#12").
// A line terminator stops the scan of a sentence.
func countReferences(line string, footerToken bool) int {
	n := 0
	for _, s := range referenceSentences(line, footerToken) {
		if hasURL(s) {
			continue
		}
		n += countIssueRefs(s)
	}
	return n
}

func referenceSentences(line string, footerToken bool) []string {
	var out []string
	last := 0
	for from := 0; ; {
		mStart, sStart, end, ok := nextActionSentence(line, from, footerToken)
		if !ok {
			break
		}
		out = append(out, line[last:mStart], line[sStart:end])
		last, from = end, end
	}
	return append(out, line[last:])
}

// keywordAt reports an action word at p in the lookahead's sense: no word
// character on either side.
func keywordAt(s string, p int) bool {
	if p > 0 && isWordByte(s[p-1]) {
		return false
	}
	for _, a := range referenceActions {
		if hasPrefixFoldASCII(s[p:], a) && (p+len(a) == len(s) || !isWordByte(s[p+len(a)])) {
			return true
		}
	}
	return false
}

// nextActionSentence runs one exec of
// (?<!\w)(actions)(:?)(?:\s+(.*?))(?=(?<!\w)(?:actions)(?!\w)|$) from
// index from, returning where the match starts and its captured sentence.
// The blanks are greedy; giving some back never helps, because the lazy
// text would then only start with those blanks.
func nextActionSentence(s string, from int, colon bool) (int, int, int, bool) {
	for p := from; p < len(s); p++ {
		if p > 0 && isWordByte(s[p-1]) {
			continue
		}
		for _, a := range referenceActions {
			if !hasPrefixFoldASCII(s[p:], a) {
				continue
			}
			q := p + len(a)
			if colon && q < len(s) && s[q] == ':' {
				q++
			}
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
				if e == len(s) || keywordAt(s, e) {
					return p, r, e, true
				}
				c, n := utf8.DecodeRuneInString(s[e:])
				if isLineTerminator(c) {
					break
				}
				e += n
			}
		}
	}
	return 0, 0, 0, false
}

// isRepoByte is [\w-\.\/]: the characters of a repository name.
func isRepoByte(c byte) bool { return isWordByte(c) || c == '-' || c == '.' || c == '/' }

func isRefWordByte(c byte) bool { return isWordByte(c) || c == '-' }

// countIssueRefs runs the sticky, global referenceParts pattern over a
// sentence until it fails: each exec takes the first valid reference from
// where the last one ended, and fails at a line terminator.
func countIssueRefs(s string) int {
	n := 0
	for from := 0; ; {
		end, ok := nextIssueRef(s, from)
		if !ok {
			return n
		}
		n++
		from = end
	}
}

func nextIssueRef(s string, from int) (int, bool) {
	for h := from; h < len(s); h++ {
		c := s[h]
		if c == '\n' || c == '\r' || c >= 0x80 && isLineTerminatorAt(s, h) {
			return 0, false
		}
		if c != '#' {
			continue
		}
		// The "#" needs a whole word (or nothing) before it that starts
		// at or after from.
		if h > 0 && isRepoByte(s[h-1]) {
			q := h - 1
			for q > 0 && isRepoByte(s[q-1]) {
				q--
			}
			if q < from {
				continue
			}
		}
		e := h + 1
		digit := false
		for e < len(s) && isRefWordByte(s[e]) {
			digit = digit || s[e] >= '0' && s[e] <= '9'
			e++
		}
		if !digit {
			continue
		}
		if e == len(s) || strings.IndexByte(",;.)]", s[e]) >= 0 {
			return e, true
		}
		if r, _ := utf8.DecodeRuneInString(s[e:]); isJSSpace(r) {
			return e, true
		}
	}
	return 0, false
}

func isLineTerminatorAt(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return isLineTerminator(r)
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
