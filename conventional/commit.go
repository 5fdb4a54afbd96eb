// Package conventional parses commit messages as Conventional Commits 1.0
// (https://www.conventionalcommits.org/en/v1.0.0/).
//
// Parsing never fails: a message that does not conform is returned with
// Conventional == false ("other"), because history is what it is and a
// release must still be computable from it. Lint is the place that judges.
//
// The parser follows the grammar of @conventional-commits/parser, which is
// what release-please uses, so that a repository switching to Slipway sees the
// same types, scopes, breaking notes and the same extra commits found at the
// bottom of squash-merge bodies.
package conventional

import (
	"regexp"
	"strings"
)

// Footer is one trailer of a message: `Token: value` or `Token #value`.
// Value keeps its continuation lines, joined by "\n".
type Footer struct {
	Token string `json:"token"`
	// Sep is ": " or " #", as written.
	Sep   string `json:"sep"`
	Value string `json:"value"`
}

// Revert names the commit a revert commit undoes.
type Revert struct {
	// Header is the reverted commit's first line, when the message quotes it.
	Header string `json:"header,omitempty"`
	// SHA is the (possibly abbreviated) hash from "This reverts commit <sha>.".
	SHA string `json:"sha,omitempty"`
}

// Commit is one parsed Conventional Commit. A git commit may carry several
// (see Message.Commits).
type Commit struct {
	// Conventional is false when the header does not match
	// `type(scope)!: description`; the other fields are then empty except
	// Header, Body, Footers and Revert.
	Conventional bool   `json:"conventional"`
	Header       string `json:"header"`
	Type         string `json:"type,omitempty"`
	Scope        string `json:"scope,omitempty"`
	// Bang is true when the header carries "!" before the colon.
	Bang        bool     `json:"bang,omitempty"`
	Description string   `json:"description,omitempty"`
	Body        string   `json:"body,omitempty"`
	Footers     []Footer `json:"footers,omitempty"`
	// BreakingNote is the text of a BREAKING CHANGE / BREAKING-CHANGE footer
	// or body paragraph, normalised like release-please does (lines joined
	// until the first blank line; markdown "####" and list lines kept).
	// Empty when the only sign of breaking is "!".
	BreakingNote string `json:"breakingNote,omitempty"`
	// ReleaseAs is the value of a `Release-As:` footer, trimmed.
	ReleaseAs string  `json:"releaseAs,omitempty"`
	Revert    *Revert `json:"revert,omitempty"`
}

// Breaking reports a breaking change by the Conventional Commits rules:
// "!" in the header or a BREAKING CHANGE footer.
func (c Commit) Breaking() bool { return c.Bang || c.BreakingNote != "" }

// FooterValues returns the values of every footer whose token equals token,
// case-insensitively (footer tokens are not case sensitive, except BREAKING
// CHANGE, which callers never ask for here).
func (c Commit) FooterValues(token string) []string {
	var out []string
	for _, f := range c.Footers {
		if strings.EqualFold(f.Token, token) {
			out = append(out, f.Value)
		}
	}
	return out
}

// Message is a whole commit message: its first Conventional Commit and any
// further ones release-please finds among its footers (squash merges list
// each original commit as `type(scope): description` at the bottom).
type Message struct {
	Commits []Commit
}

// Main is the commit of the message's header.
func (m Message) Main() Commit { return m.Commits[len(m.Commits)-1] }

// The grammar is matched by hand rather than with regexp: parsing is on
// the path of every commit of a release, and these scanners are several
// times faster. commit_test.go checks them against the equivalent regular
// expressions, by table and by fuzzing.

// matchHeader parses a summary line of @conventional-commits/parser: a type
// without whitespace, parentheses, colon or "!", an optional scope, "!", a
// colon, optional blanks and a non-empty description.
func matchHeader(h string) (typ, scope string, bang bool, desc string, ok bool) {
	i := 0
	for i < len(h) && !isTypeStop(h[i]) {
		i++
	}
	if i == 0 {
		return "", "", false, "", false
	}
	typ = h[:i]
	if i < len(h) && h[i] == '(' {
		j := i + 1
		for j < len(h) && h[j] != ')' && h[j] != '(' && h[j] != '\n' && h[j] != '\r' {
			j++
		}
		if j >= len(h) || h[j] != ')' {
			return "", "", false, "", false
		}
		scope, i = h[i+1:j], j+1
	}
	if i < len(h) && h[i] == '!' {
		bang = true
		i++
	}
	if i >= len(h) || h[i] != ':' {
		return "", "", false, "", false
	}
	i++
	for i < len(h) && (h[i] == ' ' || h[i] == '\t') {
		i++
	}
	if i >= len(h) || isSpace(h[i]) {
		return "", "", false, "", false
	}
	desc = h[i:]
	if strings.ContainsAny(desc, "\n") {
		return "", "", false, "", false
	}
	return typ, scope, bang, desc, true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

func isTypeStop(c byte) bool {
	return isSpace(c) || c == '(' || c == ')' || c == ':' || c == '!'
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// matchFooter parses a trailer line: `Token: value` or `Token #value`.
// Tokens use "-" for spaces, except BREAKING CHANGE; a token may look like
// a commit type with a scope and "!" (that is how extra commits are
// written).
func matchFooter(l string) (token, sep, value string, ok bool) {
	end := -1
	if strings.HasPrefix(l, "BREAKING CHANGE") && hasSep(l[15:]) {
		end = 15
	} else if len(l) > 0 && isAlnum(l[0]) {
		i := 1
		for i < len(l) && (isAlnum(l[i]) || l[i] == '_' || l[i] == '-') {
			i++
		}
		if i < len(l) && l[i] == '(' {
			j := i + 1
			for j < len(l) && l[j] != ')' && l[j] != '(' && l[j] != '\n' && l[j] != '\r' {
				j++
			}
			if j < len(l) && l[j] == ')' {
				i = j + 1
			}
		}
		if i < len(l) && l[i] == '!' && hasSep(l[i+1:]) {
			i++
		}
		end = i
	}
	if end < 0 || !hasSep(l[end:]) || strings.ContainsAny(l[end+2:], "\n") {
		return "", "", "", false
	}
	return l[:end], l[end : end+2], l[end+2:], true
}

func hasSep(s string) bool { return strings.HasPrefix(s, ": ") || strings.HasPrefix(s, " #") }

// gitRevertHeader returns the quoted header of `Revert "<header>"`.
func gitRevertHeader(h string) (string, bool) {
	if len(h) >= len(`Revert ""`) && strings.HasPrefix(h, `Revert "`) && strings.HasSuffix(h, `"`) && !strings.Contains(h, "\n") {
		return h[len(`Revert "`) : len(h)-1], true
	}
	return "", false
}

// revertedSHA finds `This reverts commit <hex>` (4 to 64 hex digits ending
// at a word boundary), as git revert writes it.
func revertedSHA(s string) (string, bool) {
	const marker = "This reverts commit "
	for {
		i := strings.Index(s, marker)
		if i < 0 {
			return "", false
		}
		s = s[i+len(marker):]
		n := 0
		for n < len(s) && isHex(s[n]) {
			n++
		}
		if n >= 4 && n <= 64 && (n == len(s) || !isWord(s[n])) {
			return s[:n], true
		}
	}
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func isWord(c byte) bool { return isAlnum(c) || c == '_' }

// Parse parses a commit message. It never fails.
func Parse(message string) Message {
	msg := normalise(message)
	lines := strings.Split(msg, "\n")
	main := parseLines(lines, msg, true)
	var extras []Commit
	if main.Conventional {
		extras = extraCommits(main.Footers)
	}
	return Message{Commits: append(extras, main)}
}

// ParseHeader parses only a header line; the result has no body or footers.
func ParseHeader(header string) Commit {
	return parseLines([]string{strings.TrimRight(header, "\r")}, "", false)
}

// normalise drops CRs and surrounding blank lines. Comment lines are kept:
// git log prints messages already cleaned up by git commit.
func normalise(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.TrimLeft(s, "\n")
	return strings.TrimRight(s, " \t\n")
}

// parseLines parses a message split into lines. src, when not empty, is
// the string lines were split from (on "\n"), so the body can be a slice
// of it instead of a copy.
func parseLines(lines []string, src string, findRevert bool) Commit {
	c := Commit{Header: strings.TrimSpace(lines[0])}
	if typ, scope, bang, desc, ok := matchHeader(c.Header); ok {
		c.Conventional = true
		c.Type, c.Scope, c.Bang = typ, scope, bang
		c.Description = strings.TrimSpace(desc)
	}
	rest := lines[1:]
	start := 1 // index in lines of rest[0]
	// The body starts after the blank line that follows the header; a
	// message without that blank line still has a body (git allows it).
	for len(rest) > 0 && strings.TrimSpace(rest[0]) == "" {
		rest = rest[1:]
		start++
	}
	bodyLines, footers := splitFooters(rest)
	c.Body = strings.TrimRight(joinLines(lines, start, start+len(bodyLines), src), "\n ")
	c.Footers = footers
	c.BreakingNote = breakingNote(bodyLines, footers)
	for _, f := range footers {
		if strings.EqualFold(f.Token, "Release-As") && f.Sep == ": " {
			c.ReleaseAs = strings.TrimSpace(f.Value)
		}
	}
	if findRevert {
		c.Revert = parseRevert(c, rest)
	}
	return c
}

// joinLines is strings.Join(lines[from:to], "\n"), sliced out of src when
// lines were split from it.
func joinLines(lines []string, from, to int, src string) string {
	if src == "" || from >= to {
		return strings.Join(lines[from:to], "\n")
	}
	off := 0
	for _, l := range lines[:from] {
		off += len(l) + 1
	}
	end := off - 1
	for _, l := range lines[from:to] {
		end += len(l) + 1
	}
	return src[off:end]
}

// splitFooters separates the trailing footer block from the body. The block
// is the longest run of trailing paragraphs that each start with a footer
// line; within it, lines that are not footers continue the previous value
// (this is how multi-line values are written).
func splitFooters(lines []string) (body []string, footers []Footer) {
	start := len(lines)
	// Walk paragraphs from the end.
	i := len(lines)
	for i > 0 {
		// find paragraph [p, i)
		for i > 0 && strings.TrimSpace(lines[i-1]) == "" {
			i--
		}
		if i == 0 {
			break
		}
		p := i - 1
		for p > 0 && strings.TrimSpace(lines[p-1]) != "" {
			p--
		}
		if _, _, _, ok := matchFooter(lines[p]); !ok {
			break
		}
		start = p
		i = p
	}
	// Conventional Commits requires a blank line before footers, so the
	// block starts at a paragraph boundary; a header followed directly by
	// footers (no body) is covered because lines then start with a footer.
	for _, l := range lines[start:] {
		if token, sep, value, ok := matchFooter(l); ok {
			footers = append(footers, Footer{Token: token, Sep: sep, Value: value})
			continue
		}
		if len(footers) > 0 {
			footers[len(footers)-1].Value += "\n" + l
		}
	}
	for k := range footers {
		footers[k].Value = strings.TrimRight(footers[k].Value, "\n ")
	}
	return lines[:start], footers
}

func isBreakingToken(t string) bool { return t == "BREAKING CHANGE" || t == "BREAKING-CHANGE" }

// breakingNote finds the breaking-change text: a footer first, else a
// `BREAKING CHANGE:` marker inside the body, whose text runs to the end of
// the body (release-please reads it that way).
func breakingNote(body []string, footers []Footer) string {
	for _, f := range footers {
		if isBreakingToken(f.Token) && f.Sep == ": " {
			return tidyNote(f.Value)
		}
	}
	for i, l := range body {
		for _, marker := range []string{"BREAKING CHANGE:", "BREAKING-CHANGE:"} {
			if strings.HasPrefix(l, marker) {
				text := strings.TrimLeft(l[len(marker):], " \t")
				rest := append([]string{text}, body[i+1:]...)
				return tidyNote(strings.Join(rest, "\n"))
			}
		}
	}
	return ""
}

// extendedRe marks markdown that keeps its own line in a note: a "####"
// heading or a list item.
var extendedRe = regexp.MustCompile(`^#### |^[*-] `)

// tidyNote joins a note's lines with spaces until the first blank line;
// from the first markdown heading or list item on, lines are kept, indented
// by four spaces so they nest under the changelog bullet. This is
// release-please's rule, so notes read the same as in its changelogs.
func tidyNote(text string) string {
	var b strings.Builder
	extended := false
	for i, chunk := range strings.Split(text, "\n") {
		if i > 0 && !extended && extendedRe.MatchString(chunk) {
			s := strings.TrimSpace(b.String())
			b.Reset()
			b.WriteString(s + "\n")
			extended = true
		}
		if chunk == "" {
			break
		}
		if extended {
			b.WriteString("    " + chunk + "\n")
		} else {
			b.WriteString(chunk + " ")
		}
	}
	return strings.TrimSpace(b.String())
}

func parseRevert(c Commit, rest []string) *Revert {
	var r *Revert
	if c.Conventional && strings.EqualFold(c.Type, "revert") {
		r = &Revert{Header: strings.Trim(c.Description, `"`)}
	} else if h, ok := gitRevertHeader(c.Header); ok {
		r = &Revert{Header: h}
	} else {
		return nil
	}
	// Only now, for the few reverts, join the lines to search them.
	if sha, ok := revertedSHA(strings.Join(rest, "\n")); ok {
		r.SHA = strings.ToLower(sha)
	}
	return r
}

// extraCommits turns footers that read as Conventional Commit headers into
// commits of their own, as release-please does for squash merges. Their
// continuation lines, dedented, are their own footers (e.g. an indented
// `BREAKING-CHANGE:` under a listed commit belongs to that commit).
func extraCommits(footers []Footer) []Commit {
	var out []Commit
	for _, f := range footers {
		if f.Sep != ": " || isBreakingToken(f.Token) {
			continue
		}
		lines := strings.Split(f.Value, "\n")
		head := f.Token + ": " + lines[0]
		if _, _, _, _, ok := matchHeader(head); !ok || !looksLikeType(f.Token) {
			continue
		}
		sub := []string{head}
		for _, l := range lines[1:] {
			sub = append(sub, strings.TrimSpace(l))
		}
		c := parseLines(sub, "", false)
		// A continuation block without a blank line after the header is
		// all footers in practice; parse it as such.
		if c.Body != "" {
			_, fs := splitFooters(sub[1:])
			if len(fs) > 0 {
				c.Footers = fs
				c.Body = ""
				c.BreakingNote = breakingNote(nil, fs)
			}
		}
		out = append(out, c)
	}
	return out
}

// looksLikeType rejects git trailers that merely parse as a header
// ("Signed-off-by: …", "Co-authored-by: …", "Refs: …"): a type is a single
// lower-case word in practice, and trailers carry capitals or dashes. The
// decision only matters for extra commits; release-please would create a
// commit of type "Co-authored-by" that no changelog section shows, so
// skipping them changes neither versions nor changelogs.
func looksLikeType(token string) bool {
	t := token
	if i := strings.IndexAny(t, "(!"); i >= 0 {
		t = t[:i]
	}
	if t == "" {
		return false
	}
	for _, r := range t {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}
