package commitlint

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Commit is a message as @commitlint/parse sees it with config-conventional's
// parser preset (conventional-changelog-conventionalcommits over the
// angular defaults, fieldPattern off). A nil Header, Body or Footer is
// JavaScript's null; Type, Scope and Subject are "" when null.
type Commit struct {
	Raw     string
	Header  *string
	Body    *string
	Footer  *string
	Type    string
	Scope   string
	Subject string
	// Notes counts BREAKING CHANGE notes found in the footer.
	Notes int
	// References counts issue references (#123) the parser found.
	References int
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// headerRe and breakingHeaderRe are the preset's patterns
// /^(\w*)(?:\((.*)\))?!?: (.*)$/ and /^(\w*)(?:\((.*)\))?!: (.*)$/.
// Go's leftmost-first submatches equal JavaScript's; "." differs only on
// CR, U+2028 and U+2029, which parseHeader rules out first.
var (
	headerRe         = regexp.MustCompile(`^(\w*)(?:\((.*)\))?!?: (.*)$`)
	breakingHeaderRe = regexp.MustCompile(`^(\w*)(?:\((.*)\))?!: (.*)$`)
)

// parse is conventional-commits-parser's CommitParser.parse with the
// options commitlint passes. commentChar is set only for a message file
// (commitlint --edit): comment lines go, and so does everything below a
// scissors line.
func parse(raw, commentChar string) Commit {
	c := Commit{Raw: raw}
	lines := toLines(trimNewLines(raw))
	kept := lines[:0:0]
	if commentChar != "" {
		scissors := commentChar + " ------------------------ >8 ------------------------"
		for i, l := range lines {
			if l == scissors {
				lines = lines[:i]
				break
			}
		}
	}
	for _, l := range lines {
		if commentChar != "" && strings.HasPrefix(l, commentChar) || isGPGLine(l) {
			continue
		}
		kept = append(kept, l)
	}
	p := &parser{lines: kept, c: &c}
	p.header()
	isBody := true
	for p.available() {
		if p.notes() {
			isBody = false
		}
		if !p.bodyAndFooter(isBody) {
			isBody = false
		}
	}
	c.Body = p.body.value()
	c.Footer = p.footer.value()
	return c
}

// lineAcc collects lines as the parser's appendLine does: a falsy (empty)
// text is replaced by the next line, so leading empty lines vanish; once a
// line was added the text is no longer null. Joining once at the end keeps
// a long message linear.
type lineAcc struct {
	lines []string
	set   bool
}

func (a *lineAcc) add(line string) {
	a.set = true
	if len(a.lines) == 0 && line == "" {
		return
	}
	a.lines = append(a.lines, line)
}

// value is the text after the parser's cleanup (trimNewLines when not
// empty), or nil when no line was added.
func (a *lineAcc) value() *string {
	if !a.set {
		return nil
	}
	s := strings.Join(a.lines, "\n")
	if s != "" {
		s = trimNewLines(s)
	}
	return &s
}

// isGPGLine is /^\s*gpg:/: git log --show-signature output mixed in.
func isGPGLine(l string) bool {
	return strings.HasPrefix(jsTrimStart(l), "gpg:")
}

type parser struct {
	lines  []string
	i      int
	c      *Commit
	body   lineAcc
	footer lineAcc
}

func (p *parser) available() bool { return p.i < len(p.lines) }

func (p *parser) header() {
	if !p.available() {
		p.i++
		return
	}
	h := p.lines[p.i]
	p.i++
	if h == "" {
		return
	}
	p.c.Header = &h
	if !strings.ContainsFunc(h, func(r rune) bool { return r == '\r' || r == 0x2028 || r == 0x2029 }) {
		m := breakingHeaderRe.FindStringSubmatch(h)
		if m == nil {
			m = headerRe.FindStringSubmatch(h)
		}
		if m != nil {
			p.c.Type, p.c.Scope, p.c.Subject = m[1], m[2], m[3]
		}
	}
	p.c.References += countReferences(h, false)
}

// notes consumes a BREAKING CHANGE note and the lines that continue it,
// up to and including the next footer token.
func (p *parser) notes() bool {
	if !p.available() || !isNoteLine(p.lines[p.i]) {
		return false
	}
	p.c.Notes++
	p.footer.add(p.lines[p.i])
	p.i++
	for p.available() {
		if p.notes() {
			return true
		}
		l := p.lines[p.i]
		token := isFooterToken(l)
		p.c.References += countReferences(l, token)
		p.footer.add(l)
		p.i++
		if token {
			break
		}
	}
	return true
}

// bodyAndFooter files one line: body until the first footer token, then
// footer for good.
func (p *parser) bodyAndFooter(isBody bool) bool {
	if !p.available() {
		return isBody
	}
	l := p.lines[p.i]
	token := isFooterToken(l)
	still := isBody && !token
	p.c.References += countReferences(l, token)
	if still {
		p.body.add(l)
	} else {
		p.footer.add(l)
	}
	p.i++
	return still
}

// hasPrefixFoldASCII is a case-insensitive prefix test that folds ASCII
// letters only, as a JavaScript /i pattern without the u flag does here.
func hasPrefixFoldASCII(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) && isASCII(s[:len(prefix)])
}

// isNoteLine is /^(?:\*\s+)?(BREAKING CHANGE|BREAKING-CHANGE):\s*(.*)/i.
func isNoteLine(l string) bool {
	if strings.HasPrefix(l, "*") {
		rest := strings.TrimLeftFunc(l[1:], isJSSpace)
		if len(rest) < len(l)-1 && isNoteKeyword(rest) {
			return true
		}
	}
	return isNoteKeyword(l)
}

func isNoteKeyword(s string) bool {
	for _, k := range []string{"BREAKING CHANGE:", "BREAKING-CHANGE:"} {
		if hasPrefixFoldASCII(s, k) {
			return true
		}
	}
	return false
}

// isFooterToken is /^(?:BREAKING CHANGE|[\w-]+)(?::\s+|\s+(?:#)).+/i: a
// git-trailer-like token followed by ": " or " #" and at least one more
// character on the line.
func isFooterToken(l string) bool {
	if hasPrefixFoldASCII(l, "BREAKING CHANGE") && tokenTail(l[len("BREAKING CHANGE"):]) {
		return true
	}
	n := 0
	for n < len(l) && (isWordByte(l[n]) || l[n] == '-') {
		n++
	}
	// A shorter token would leave a word character where ":" or a space
	// must be, so only the longest run can match.
	return n > 0 && tokenTail(l[n:])
}

// tokenTail matches (?::\s+|\s+#).+ at the start of s, with backtracking.
func tokenTail(s string) bool {
	if strings.HasPrefix(s, ":") {
		rest := s[1:]
		// \s+ then .+: some split leaves a non-terminator character
		// after at least one space.
		first := true
		for j := 0; j < len(rest); {
			r, n := utf8.DecodeRuneInString(rest[j:])
			if !first && !isLineTerminator(r) {
				return true
			}
			if !isJSSpace(r) {
				return false
			}
			first = false
			j += n
		}
		return false
	}
	rest := strings.TrimLeftFunc(s, isJSSpace)
	if len(rest) == len(s) || !strings.HasPrefix(rest, "#") {
		return false
	}
	r, n := utf8.DecodeRuneInString(rest[1:])
	return n > 0 && !isLineTerminator(r)
}

// buildInput is @commitlint/lint's buildCommitMessage: the message as
// parsed, shown back in reports.
func buildInput(c Commit) string {
	s := str(c.Header)
	if str(c.Body) != "" {
		s += "\n\n" + *c.Body
	}
	if str(c.Footer) != "" {
		s += "\n\n" + *c.Footer
	}
	return s
}
