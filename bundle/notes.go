package bundle

import (
	"strings"
	"unicode"
)

// SectionKind classifies a "### Title" section of a changelog.
type SectionKind int

const (
	// OtherSection: Features, Bug Fixes, Performance Improvements…
	OtherSection SectionKind = iota
	// BreakingSection: "### ⚠ BREAKING CHANGES" (release-please,
	// conventional-changelog's conventionalcommits preset) or "###
	// BREAKING CHANGES" (its angular preset, semantic-release).
	BreakingSection
	// DeprecationSection: "### Deprecations", as Slipway writes from
	// Deprecated: footers.
	DeprecationSection
	// MigrationSection: "### Migration(s)", "### Upgrade Notes": what a
	// changelog template renders from Migration: / Upgrade: footers.
	MigrationSection
)

// Release is one release section of a component's notes ("## 2.3.0
// (2026-11-27)" and what follows), or the whole notes when they have no
// release heading.
type Release struct {
	// Heading is the text after "## ", e.g. "[2.3.0](…) (2026-11-27)";
	// empty for notes without a release heading.
	Heading string
	// Intro is the Markdown before the first section.
	Intro    string
	Sections []Section
}

// Section is one "### Title" section of a release.
type Section struct {
	Title string
	Kind  SectionKind
	// Body is the section's Markdown without its heading, trimmed.
	Body string
}

// ParseNotes splits changelog Markdown into releases and sections the way
// release-please and Slipway lay them out: "#" and "##" headings start a
// release, "###" headings a section; deeper headings are section text.
// Headings inside fenced code blocks (``` or ~~~) are text. It never fails:
// text it cannot place goes into the release's Intro.
func ParseNotes(md string) []Release {
	var out []Release
	cur := &Release{}
	var sec *Section
	var body strings.Builder
	flush := func() {
		text := trimBlankLines(body.String())
		body.Reset()
		if sec != nil {
			sec.Body = text
			cur.Sections = append(cur.Sections, *sec)
			sec = nil
		} else if text != "" {
			cur.Intro = text
		}
	}
	closeRelease := func() {
		flush()
		if cur.Heading != "" || cur.Intro != "" || len(cur.Sections) > 0 {
			out = append(out, *cur)
		}
		cur = &Release{}
	}
	scanLines(strings.ReplaceAll(md, "\r\n", "\n"), func(_ int, line string, level int, title string) {
		switch {
		case level == 1 || level == 2:
			closeRelease()
			if level == 2 {
				cur.Heading = title
			}
		case level == 3:
			flush()
			sec = &Section{Title: title, Kind: sectionKind(title)}
		default:
			body.WriteString(line + "\n")
		}
	})
	closeRelease()
	return out
}

// trimBlankLines drops blank lines at both ends but keeps the indentation
// of the first line (four spaces make an indented code block).
func trimBlankLines(s string) string {
	s = strings.TrimRight(s, " \t\r\n")
	for {
		nl := strings.IndexByte(s, '\n')
		if nl < 0 || strings.TrimSpace(s[:nl]) != "" {
			break
		}
		s = s[nl+1:]
	}
	if strings.TrimSpace(s) == "" {
		return ""
	}
	return s
}

// scanLines calls fn for each line of md with its heading level and text
// (level 0 for text, and for every line of a fenced code block, fences
// included).
func scanLines(md string, fn func(i int, line string, level int, title string)) {
	var fence string
	for i, line := range strings.Split(md, "\n") {
		switch {
		case fence != "":
			if closesFence(line, fence) {
				fence = ""
			}
			fn(i, line, 0, "")
		case opensFence(line) != "":
			fence = opensFence(line)
			fn(i, line, 0, "")
		default:
			level, title := atxHeading(line)
			fn(i, line, level, title)
		}
	}
}

// atxHeading returns the level and text of an ATX heading line (CommonMark:
// up to three spaces, 1-6 '#', then a space or the end, optional closing
// '#'s), or 0.
func atxHeading(line string) (int, string) {
	s := line
	for i := 0; i < 3 && strings.HasPrefix(s, " "); i++ {
		s = s[1:]
	}
	n := 0
	for n < len(s) && s[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || (n < len(s) && s[n] != ' ' && s[n] != '\t') {
		return 0, ""
	}
	text := strings.TrimSpace(s[n:])
	if t := strings.TrimRight(text, "#"); t != text && (t == "" || strings.HasSuffix(t, " ") || strings.HasSuffix(t, "\t")) {
		text = strings.TrimSpace(t)
	}
	return n, text
}

// opensFence returns the fence (``` or ~~~ run) a line opens, or "".
func opensFence(line string) string {
	s := strings.TrimLeft(line, " ")
	if len(line)-len(s) > 3 {
		return ""
	}
	for _, c := range []byte{'`', '~'} {
		n := 0
		for n < len(s) && s[n] == c {
			n++
		}
		if n >= 3 {
			if c == '`' && strings.Contains(s[n:], "`") {
				return "" // an inline code span, not a fence
			}
			return s[:n]
		}
	}
	return ""
}

// closesFence: a run of the fence character at least as long, alone.
func closesFence(line, fence string) bool {
	s := strings.TrimSpace(line)
	return len(s) >= len(fence) && strings.Trim(s, fence[:1]) == ""
}

// sectionKind classifies a section title, ignoring case, a leading emoji or
// symbol ("⚠", "💥") and a trailing colon.
func sectionKind(title string) SectionKind {
	t := strings.TrimLeftFunc(title, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	t = strings.ToLower(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(t), ":")))
	switch t {
	case "breaking changes", "breaking change", "breaking":
		return BreakingSection
	case "deprecations", "deprecation", "deprecated":
		return DeprecationSection
	case "migration", "migrations", "migration notes", "upgrade notes", "upgrading", "upgrade":
		return MigrationSection
	}
	return OtherSection
}

// sectionsOf returns the bodies of kind across releases, labelled by the
// release heading when the notes hold several releases.
func sectionsOf(releases []Release, kind SectionKind) []string {
	var out []string
	for _, r := range releases {
		for _, s := range r.Sections {
			if s.Kind == kind && s.Body != "" {
				if len(releases) > 1 && r.Heading != "" {
					out = append(out, "From "+r.Heading+":\n\n"+s.Body)
				} else {
					out = append(out, s.Body)
				}
			}
		}
	}
	return out
}

// shiftHeadings adds levels to every ATX heading outside code fences (at
// most level 6), so a release's sections nest under a new parent heading.
func shiftHeadings(md string, by int) string {
	if by == 0 {
		return md
	}
	lines := strings.Split(md, "\n")
	scanLines(md, func(i int, _ string, level int, text string) {
		if level > 0 {
			lines[i] = strings.Repeat("#", min(level+by, 6)) + " " + text
		}
	})
	return strings.Join(lines, "\n")
}
