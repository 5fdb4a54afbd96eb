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

var (
	// headerRe is the summary line of @conventional-commits/parser: a type
	// without whitespace, parentheses, colon or "!", an optional scope, "!",
	// a colon, optional whitespace and a non-empty description.
	headerRe = regexp.MustCompile(`^([^\s():!]+)(?:\(([^()\r\n]*)\))?(!)?:[ \t]*(\S.*)$`)
	// footerRe is a trailer line. Tokens use "-" for spaces, except the
	// BREAKING CHANGE token. A token may look like a commit type with a
	// scope and "!" (that is how extra commits are written).
	footerRe = regexp.MustCompile(`^(BREAKING CHANGE|BREAKING-CHANGE|[A-Za-z0-9][\w-]*(?:\([^()\r\n]*\))?!?)(: | #)(.*)$`)
	// gitRevertRe is the header `git revert` writes.
	gitRevertRe = regexp.MustCompile(`^Revert "(.*)"$`)
	// revertsRe is the body line `git revert` writes.
	revertsRe = regexp.MustCompile(`This reverts commit ([0-9a-fA-F]{4,64})\b`)
)

// Parse parses a commit message. It never fails.
func Parse(message string) Message {
	msg := normalise(message)
	lines := strings.Split(msg, "\n")
	main := parseLines(lines, true)
	var extras []Commit
	if main.Conventional {
		extras = extraCommits(main.Footers)
	}
	return Message{Commits: append(extras, main)}
}

// ParseHeader parses only a header line; the result has no body or footers.
func ParseHeader(header string) Commit {
	return parseLines([]string{strings.TrimRight(header, "\r")}, false)
}

// normalise drops CRs and surrounding blank lines. Comment lines are kept:
// git log prints messages already cleaned up by git commit.
func normalise(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.TrimLeft(s, "\n")
	return strings.TrimRight(s, " \t\n")
}

func parseLines(lines []string, findRevert bool) Commit {
	c := Commit{Header: strings.TrimSpace(lines[0])}
	if m := headerRe.FindStringSubmatch(c.Header); m != nil {
		c.Conventional = true
		c.Type, c.Scope, c.Bang = m[1], m[2], m[3] == "!"
		c.Description = strings.TrimSpace(m[4])
	}
	rest := lines[1:]
	// The body starts after the blank line that follows the header; a
	// message without that blank line still has a body (git allows it).
	for len(rest) > 0 && strings.TrimSpace(rest[0]) == "" {
		rest = rest[1:]
	}
	bodyLines, footers := splitFooters(rest)
	c.Body = strings.TrimRight(strings.Join(bodyLines, "\n"), "\n ")
	c.Footers = footers
	c.BreakingNote = breakingNote(bodyLines, footers)
	for _, f := range footers {
		if strings.EqualFold(f.Token, "Release-As") && f.Sep == ": " {
			c.ReleaseAs = strings.TrimSpace(f.Value)
		}
	}
	if findRevert {
		c.Revert = parseRevert(c, strings.Join(rest, "\n"))
	}
	return c
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
		if !footerRe.MatchString(lines[p]) {
			break
		}
		start = p
		i = p
	}
	// Conventional Commits requires a blank line before footers, so the
	// block starts at a paragraph boundary; a header followed directly by
	// footers (no body) is covered because lines then start with a footer.
	for _, l := range lines[start:] {
		if m := footerRe.FindStringSubmatch(l); m != nil {
			footers = append(footers, Footer{Token: m[1], Sep: m[2], Value: m[3]})
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

func parseRevert(c Commit, rest string) *Revert {
	m := revertsRe.FindStringSubmatch(rest)
	switch {
	case c.Conventional && strings.EqualFold(c.Type, "revert"):
		r := &Revert{Header: strings.Trim(c.Description, `"`)}
		if m != nil {
			r.SHA = strings.ToLower(m[1])
		}
		return r
	case gitRevertRe.MatchString(c.Header):
		r := &Revert{Header: gitRevertRe.FindStringSubmatch(c.Header)[1]}
		if m != nil {
			r.SHA = strings.ToLower(m[1])
		}
		return r
	}
	return nil
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
		if !headerRe.MatchString(head) || !looksLikeType(f.Token) {
			continue
		}
		sub := []string{head}
		for _, l := range lines[1:] {
			sub = append(sub, strings.TrimSpace(l))
		}
		c := parseLines(sub, false)
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

// AngularHeader parses a header with the angular preset's headerPattern
// `^(\w*)(?:\((.*)\))?: (.*)$`, which semantic-release uses by default.
// Unlike Conventional Commits it rejects "!" (so `feat!: x` is not a
// feature there) and requires exactly ": ".
func AngularHeader(header string) (typ, scope, subject string, ok bool) {
	m := angularRe.FindStringSubmatch(header)
	if m == nil {
		return "", "", "", false
	}
	return m[1], m[2], m[3], true
}

var angularRe = regexp.MustCompile(`^(\w*)(?:\((.*)\))?: (.*)$`)
