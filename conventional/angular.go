package conventional

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// AngularCommit is a commit message as @semantic-release/commit-analyzer
// reads it with its default configuration: conventional-commits-parser 6
// with the parser options of conventional-changelog-angular 8
// (headerPattern, noteKeywords ["BREAKING CHANGE"], revertPattern
// /^(?:Revert|revert:)\s"?([\s\S]+?)"?\s*This reverts commit (\w{7,40})\b/i
// and revertCorrespondence [header, hash]). Only what the analyzer's default
// release rules and its reverted-commit filter look at is kept.
//
// The parser is mirrored step for step (gpg lines, `-name-` meta fields,
// note continuation), with JavaScript's regular-expression semantics:
// `\s` and trim() include the Unicode spaces, `.` stops at \r, U+2028 and
// U+2029, and /i folds ASCII letters only.
type AngularCommit struct {
	// Header is the parser's commit.header: the first line, or "" when the
	// message has no line (only gpg lines).
	Header string
	// Type, Scope and Subject are the header pattern's groups ("" is null:
	// no match, or an empty group).
	Type, Scope, Subject string
	// Fields are the `-name-` meta fields (a line "-name-" followed by its
	// value lines) other than those above. A field absent is null.
	Fields map[string]string
	// Notes counts the BREAKING CHANGE notes (any line starting, after
	// blanks, "|" or "*", with "breaking change" in any case followed by ":"
	// or a blank).
	Notes int
	// Revert is what revertPattern captured, nil when it did not match.
	Revert *AngularRevert
	// Throws is set when conventional-commits-parser throws on this
	// message (a TypeError in its note or meta handling); it says where.
	Throws string
}

// AngularRevert is the commit a revert names: the quoted header and the hash
// after "This reverts commit", as revertPattern captured them (untrimmed).
type AngularRevert struct {
	Header string
	Hash   string
}

// IsRevert reports the parser's commit.revert being truthy: revertPattern
// matched, or a `-revert-` meta field holds text.
func (c AngularCommit) IsRevert() bool { return c.Revert != nil || c.Fields["revert"] != "" }

// Field returns a string field of the parsed commit and whether it is set
// (not null).
func (c AngularCommit) Field(name string) (string, bool) {
	switch name {
	case "header":
		return c.Header, c.Header != ""
	case "type":
		return c.Type, c.Type != ""
	case "scope":
		return c.Scope, c.Scope != ""
	case "subject":
		return c.Subject, c.Subject != ""
	}
	v, ok := c.Fields[name]
	return v, ok
}

// jsSpace is JavaScript's \s (and the set String.prototype.trim removes).
const jsSpace = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"

// jsSpaceClass is jsSpace as a regexp class body.
const jsSpaceClass = `\t\n\v\f\r \x{00a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}`

func isJSSpace(r rune) bool { return strings.ContainsRune(jsSpace, r) }

// JSTrim is JavaScript's String.prototype.trim.
func JSTrim(s string) string { return strings.Trim(s, jsSpace) }

// asciiFold writes a literal as a pattern matching it under JavaScript's
// /i flag without the u flag, which folds ASCII letters only (Go's (?i)
// would also let "K" match the Kelvin sign).
func asciiFold(lit string) string {
	var b strings.Builder
	for _, r := range lit {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteString("[" + string(r-32) + string(r) + "]")
		case r >= 'A' && r <= 'Z':
			b.WriteString("[" + string(r) + string(r+32) + "]")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	return b.String()
}

var (
	// revertPattern: /^(?:Revert|revert:)\s"?([\s\S]+?)"?\s*This reverts commit (\w{7,40})\b/i
	angularRevertRe = regexp.MustCompile(`^(?:` + asciiFold("Revert") + `|` + asciiFold("revert:") + `)[` + jsSpaceClass + `]"?((?s:.)+?)"?[` +
		jsSpaceClass + `]*` + asciiFold("This reverts commit ") + `(\w{7,40})\b`)
	// mentions: /@([\w-]+)/g
	mentionRe = regexp.MustCompile(`@[\w-]`)
)

// ParseAngular parses a commit message as semantic-release's commit
// analyzer does: semantic-release trims it, the analyzer skips it when
// nothing is left (ok is false), and parses the rest.
func ParseAngular(message string) (c AngularCommit, ok bool) {
	msg := JSTrim(message)
	if msg == "" {
		return AngularCommit{}, false
	}
	p := angularParser{input: msg}
	for _, l := range splitJSLines(trimNewLines(msg)) {
		if !isGPGLine(l) {
			p.lines = append(p.lines, l)
		}
	}
	p.parse()
	return p.c, true
}

// AngularHeader parses a header with the angular preset's headerPattern
// /^(\w*)(?:\((.*)\))?: (.*)$/, which semantic-release uses by default.
// Unlike Conventional Commits it rejects "!" (so `feat!: x` is not a
// feature there) and requires exactly ": ". Matched by hand: the type is
// the whole run of word characters (a shorter one leaves a word character
// where "(" or ":" must be); the greedy scope reaches the last "): "; and
// "." matches neither \r, U+2028 nor U+2029, so a header holding one does
// not match.
func AngularHeader(header string) (typ, scope, subject string, ok bool) {
	i := 0
	for i < len(header) && isWord(header[i]) {
		i++
	}
	rest := header[i:]
	if strings.ContainsAny(rest, "\r\n\u2028\u2029") {
		return "", "", "", false
	}
	switch {
	case strings.HasPrefix(rest, "("):
		end := strings.LastIndex(rest, "): ")
		if end < 0 {
			return "", "", "", false
		}
		return header[:i], rest[1:end], rest[end+3:], true
	case strings.HasPrefix(rest, ": "):
		return header[:i], "", rest[2:], true
	}
	return "", "", "", false
}

// fieldName matches the parser's fieldPattern /^-(.*?)-$/ (a "-name-" line).
func fieldName(line string) (string, bool) {
	if len(line) < 2 || line[0] != '-' || line[len(line)-1] != '-' || strings.ContainsAny(line, "\r\u2028\u2029") {
		return "", false
	}
	return line[1 : len(line)-1], true
}

// isBreakingNote matches the notes regex built from noteKeywords,
// /^[\s|*]*(BREAKING CHANGE)[:\s]+(.*)/i.
func isBreakingNote(line string) bool {
	rest := strings.TrimLeftFunc(line, func(r rune) bool { return r == '|' || r == '*' || isJSSpace(r) })
	const kw = "breaking change"
	if len(rest) <= len(kw) || !strings.EqualFold(rest[:len(kw)], kw) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(rest[len(kw):])
	return r == ':' || isJSSpace(r)
}

// isGPGLine matches /^\s*gpg:/, the lines the parser drops.
func isGPGLine(line string) bool {
	return strings.HasPrefix(strings.TrimLeftFunc(line, isJSSpace), "gpg:")
}

// trimNewLines drops leading and trailing \r and \n (the parser's
// trimNewLines).
func trimNewLines(s string) string { return strings.Trim(s, "\r\n") }

// splitJSLines is input.split(/\r?\n/).
func splitJSLines(s string) []string {
	lines := strings.Split(s, "\n")
	for i, l := range lines[:len(lines)-1] {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// angularParser mirrors CommitParser.parse of conventional-commits-parser
// for the angular options (no merge pattern, no comment character). Its
// methods keep the names and the control flow of the JavaScript ones,
// because the order in which lines are consumed decides which lines are
// looked at as notes or meta fields.
type angularParser struct {
	input string
	lines []string
	i     int
	c     AngularCommit
}

// parserThrow carries a TypeError of the JavaScript parser out of the
// recursion, as the exception does there.
type parserThrow struct{ msg string }

func (p *angularParser) parse() {
	defer func() {
		if r := recover(); r != nil {
			t, ok := r.(parserThrow)
			if !ok {
				panic(r)
			}
			p.c.Throws = t.msg
		}
	}()
	if len(p.lines) > 0 && p.lines[0] != "" {
		p.c.Header = p.lines[0]
		p.i = 1
		// assignMatchedCorrespondence: an empty group is null ("").
		p.c.Type, p.c.Scope, p.c.Subject, _ = AngularHeader(p.c.Header)
	} else if len(p.lines) > 0 {
		p.i = 1 // an empty first line is consumed as a header that is not set
	}
	for p.available() {
		p.parseMeta()
		p.parseNotes()
		p.parseBodyAndFooter()
	}
	// Only a message starting "revert" can match; skip the regexp for the
	// others (this runs for every commit of a range).
	if len(p.input) >= 6 && strings.EqualFold(p.input[:6], "revert") {
		if m := angularRevertRe.FindStringSubmatch(p.input); m != nil {
			p.c.Revert = &AngularRevert{Header: m[1], Hash: m[2]}
		}
	}
}

func (p *angularParser) available() bool { return p.i < len(p.lines) }

func (p *angularParser) set(k, v string) {
	if p.c.Fields == nil {
		p.c.Fields = map[string]string{}
	}
	p.c.Fields[k] = v
}

// parseMeta consumes a run of `-name-` lines and the value lines after a
// named one (all of them, up to a `--` line); it reports whether a value
// line was stored.
func (p *angularParser) parseMeta() bool {
	if !p.available() {
		return false
	}
	field, parsed := "", false
	for p.available() {
		line := p.lines[p.i]
		if name, ok := fieldName(line); ok {
			field = name // "" (from "--") is null: no field
			p.i++
			continue
		}
		if field == "" {
			break
		}
		parsed = true
		p.appendField(field, line)
		p.i++
	}
	return parsed
}

// appendField is commit[field] = appendLine(commit[field], line).
func (p *angularParser) appendField(field, line string) {
	switch field {
	case "header":
		p.c.Header = appendLine(p.c.Header, line)
	case "type":
		p.c.Type = appendLine(p.c.Type, line)
	case "scope":
		p.c.Scope = appendLine(p.c.Scope, line)
	case "subject":
		p.c.Subject = appendLine(p.c.Subject, line)
	case "notes", "references":
		// The array becomes a string; cleanupCommit then calls
		// .forEach / .filter on it.
		panic(parserThrow{"a `-" + field + "-` meta field turns commit." + field + " into text and the parser's cleanup fails on it"})
	case "mentions":
		if mentionRe.MatchString(p.input) {
			panic(parserThrow{"a `-mentions-` meta field turns commit.mentions into text and the parser fails adding an @mention to it"})
		}
	default:
		p.set(field, appendLine(p.c.Fields[field], line))
	}
}

// appendLine is the parser's appendLine: src ? `${src}\n${line}` : line.
func appendLine(src, line string) string {
	if src == "" {
		return line
	}
	return src + "\n" + line
}

// parseNotes consumes a BREAKING CHANGE note and its continuation lines.
func (p *angularParser) parseNotes() bool {
	if !p.available() || !isBreakingNote(p.lines[p.i]) {
		return false
	}
	p.c.Notes++
	p.i++
	for p.available() {
		if p.parseMeta() {
			return true
		}
		if p.parseNotes() {
			return true
		}
		if !p.available() {
			// parseReferences(this.currentLine()) with no line left.
			panic(parserThrow{"a meta field line (`-name-` or `--`) ends a BREAKING CHANGE note at the end of the message"})
		}
		refs := hasReferences(p.lines[p.i])
		p.i++
		if refs {
			break
		}
	}
	return true
}

// parseBodyAndFooter consumes one line of body or footer.
func (p *angularParser) parseBodyAndFooter() {
	if p.available() {
		p.i++
	}
}

// referenceActions are the parser's default reference keywords.
var referenceActions = []string{"close", "closes", "closed", "fix", "fixes", "fixed", "resolve", "resolves", "resolved"}

// hasReferences reports whether parseReferences finds an issue reference
// ("#12") in a line, which ends a note's continuation. The line is cut into
// sentences after each reference keyword (closes, fixes, resolves, ...,
// anywhere, followed by blanks) when it has one, else into its runs of
// characters; a sentence holding a URL has no reference.
func hasReferences(line string) bool {
	for _, s := range referenceSentences(line) {
		if !hasURL(s) && hasIssueRef(s) {
			return true
		}
	}
	return false
}

// referenceSentences mirrors the references regex
// /(close|closes|...|resolved)(?:\s+(.*?))(?=(?:close|...|resolved)|$)/gi
// and its fallback /()(.+)/gi.
func referenceSentences(line string) []string {
	var out []string
	pos := 0
	for pos < len(line) {
		start, end, ok := nextActionSentence(line, pos)
		if !ok {
			break
		}
		out = append(out, line[start:end])
		pos = end // past the keyword at least: the search moves on
	}
	if out != nil {
		return out
	}
	// /()(.+)/g: each run of characters other than line terminators.
	for _, run := range strings.FieldsFunc(line, func(r rune) bool { return r == '\r' || r == '\u2028' || r == '\u2029' }) {
		out = append(out, run)
	}
	return out
}

// nextActionSentence finds the first match of the references regex at or
// after pos and returns its sentence (group 2).
func nextActionSentence(line string, pos int) (start, end int, ok bool) {
	for at := pos; at < len(line); at++ {
		for _, kw := range referenceActions {
			if len(line)-at < len(kw) || !strings.EqualFold(line[at:at+len(kw)], kw) {
				continue
			}
			// \s+ (greedy), then the shortest (.*?) followed by a keyword
			// or the end; "." cannot cross \r, U+2028, U+2029.
			j := at + len(kw)
			k := j
			for k < len(line) {
				r, n := utf8.DecodeRuneInString(line[k:])
				if !isJSSpace(r) {
					break
				}
				k += n
			}
			if k == j {
				continue
			}
			if e, ok := sentenceEnd(line, k); ok {
				return k, e, true
			}
		}
	}
	return 0, 0, false
}

// sentenceEnd is the first position e >= from where a keyword starts or the
// line ends, with no line terminator in between.
func sentenceEnd(line string, from int) (int, bool) {
	for e := from; ; {
		if e == len(line) {
			return e, true
		}
		for _, kw := range referenceActions {
			if len(line)-e >= len(kw) && strings.EqualFold(line[e:e+len(kw)], kw) {
				return e, true
			}
		}
		r, n := utf8.DecodeRuneInString(line[e:])
		if r == '\r' || r == '\n' || r == '\u2028' || r == '\u2029' {
			return 0, false
		}
		e += n
	}
}

// hasIssueRef mirrors referenceParts for the "#" prefix: a "#" followed by
// word characters or "-", then a blank, the end, or one of ",;)]".
func hasIssueRef(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '#' {
			continue
		}
		j := i + 1
		for j < len(s) && (isWord(s[j]) || s[j] == '-') {
			j++
		}
		if j == i+1 {
			continue
		}
		if j == len(s) || strings.ContainsRune(",;)]", rune(s[j])) {
			return true
		}
		if r, _ := utf8.DecodeRuneInString(s[j:]); isJSSpace(r) {
			return true
		}
	}
	return false
}

// hasURL mirrors /\b(?:https?):\/\/(?:www\.)?([-a-zA-Z0-9@:%_+.~#?&//=])+\b/.
func hasURL(s string) bool {
	for i := 0; i < len(s); i++ {
		var rest string
		switch {
		case strings.HasPrefix(s[i:], "http://"):
			rest = s[i+7:]
		case strings.HasPrefix(s[i:], "https://"):
			rest = s[i+8:]
		default:
			continue
		}
		if i > 0 && isWord(s[i-1]) {
			continue // no word boundary before "http"
		}
		n := 0
		for n < len(rest) && isURLByte(rest[n]) {
			n++
		}
		// Some prefix of the run, at least one character long, must end
		// on a word boundary.
		for k := 1; k <= n; k++ {
			after := k < len(rest) && isWord(rest[k])
			if isWord(rest[k-1]) != after {
				return true
			}
		}
	}
	return false
}

func isURLByte(c byte) bool {
	return isAlnum(c) || strings.IndexByte("-@:%_+.~#?&/=", c) >= 0
}
