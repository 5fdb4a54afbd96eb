// Package changelog renders release notes from parsed Conventional
// Commits. The default Markdown is release-please's (which is
// conventional-changelog's "conventionalcommits" preset as release-please
// drives it): same headings, section order, entry text, links and entry
// order, so a regenerated section equals the published one.
package changelog

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/slipway/slipway/conventional"
)

// Section maps a commit type to a changelog heading, as release-please's
// `changelog-sections` does.
type Section struct {
	Type    string `json:"type"`
	Section string `json:"section"`
	Hidden  bool   `json:"hidden,omitempty"`
}

// DefaultSections are release-please's defaults, in their order.
var DefaultSections = []Section{
	{Type: "feat", Section: "Features"},
	{Type: "feature", Section: "Features"},
	{Type: "fix", Section: "Bug Fixes"},
	{Type: "perf", Section: "Performance Improvements"},
	{Type: "revert", Section: "Reverts"},
	{Type: "docs", Section: "Documentation", Hidden: true},
	{Type: "style", Section: "Styles", Hidden: true},
	{Type: "chore", Section: "Miscellaneous Chores", Hidden: true},
	{Type: "refactor", Section: "Code Refactoring", Hidden: true},
	{Type: "test", Section: "Tests", Hidden: true},
	{Type: "build", Section: "Build System", Hidden: true},
	{Type: "ci", Section: "Continuous Integration", Hidden: true},
}

// Entry is one Conventional Commit of a release with the git commit it
// came from (a squash merge may give several entries one SHA).
type Entry struct {
	SHA    string              `json:"sha"`
	Commit conventional.Commit `json:"commit"`
}

// DependencyUpdate is a workspace dependency released with this one
// (release-please's node-workspace plugin).
type DependencyUpdate struct {
	Kind string `json:"kind"` // dependencies, devDependencies, ...
	Name string `json:"name"`
	From string `json:"from"`
	To   string `json:"to"`
}

// Release is what a changelog section is made from.
type Release struct {
	Version     string `json:"version"`
	Tag         string `json:"tag"`
	PreviousTag string `json:"previousTag,omitempty"`
	// Date is shown as YYYY-MM-DD in UTC.
	Date time.Time `json:"date"`
	// Entries in history order, newest first (as git log gives them).
	Entries      []Entry            `json:"-"`
	Dependencies []DependencyUpdate `json:"dependencies,omitempty"`
	// Supersedes are the maintenance (hotfix) releases that first released
	// some of this release's fixes; their entries are not repeated here.
	Supersedes []string `json:"supersedes,omitempty"`
	// Removed are deprecated things this release removes (from the
	// deprecation register), for the callout.
	Removed []Note `json:"removed,omitempty"`
}

// Options configure rendering.
type Options struct {
	// Sections default to DefaultSections.
	Sections []Section
	// RepoURL like https://github.com/o/r enables compare, commit, issue
	// and user links; empty renders plain text.
	RepoURL string
}

func (o Options) sections() []Section {
	if len(o.Sections) == 0 {
		return DefaultSections
	}
	return o.Sections
}

// Notes is the structured content of one release section: what the
// Markdown shows, and what --output json and templates get.
type Notes struct {
	Version     string  `json:"version"`
	Tag         string  `json:"tag"`
	PreviousTag string  `json:"previousTag,omitempty"`
	Date        string  `json:"date"`
	CompareURL  string  `json:"compareUrl,omitempty"`
	Breaking    []Note  `json:"breaking"`
	Groups      []Group `json:"groups"`
	// Deprecations come from `Deprecated:` footers.
	Deprecations []Note `json:"deprecations"`
	// Upgrade notes come from `Migration:` and `Upgrade:` footers, for
	// upgrade guides.
	Upgrade      []Note             `json:"upgrade"`
	Dependencies []DependencyUpdate `json:"dependencies,omitempty"`
	// Supersedes are the hotfix releases whose fixes this release
	// includes ("Includes fixes first released in v1.2.4").
	Supersedes []string `json:"supersedes,omitempty"`
	// Removed are deprecated things the release removes.
	Removed []Note `json:"removed,omitempty"`
}

// Note is a callout line tied to the commit it came from.
type Note struct {
	Scope string `json:"scope,omitempty"`
	Text  string `json:"text"`
	SHA   string `json:"sha"`
}

// Group is one "### Title" section.
type Group struct {
	Title   string `json:"title"`
	Entries []Line `json:"entries"`
}

// Line is one bullet of a group.
type Line struct {
	Type    string `json:"type"`
	Scope   string `json:"scope,omitempty"`
	Subject string `json:"subject"` // as rendered (links, escapes)
	SHA     string `json:"sha"`
	// Closes are issue numbers from footers such as `Fixes #12`.
	Closes []string `json:"closes,omitempty"`
	// Markdown is the whole bullet, without "* ".
	Markdown string `json:"markdown"`
}

// Visible reports whether an entry appears in the changelog and under
// which title: a type of a non-hidden section; or any type when the commit
// is breaking or carries Release-As (release-please shows those even for
// hidden types, under the hidden section's name or the raw type).
func Visible(c conventional.Commit, sections []Section) (title string, ok bool) {
	if len(sections) == 0 {
		sections = DefaultSections
	}
	if !c.Conventional {
		return "", false
	}
	key := strings.ToLower(c.Type)
	var entry *Section
	for i := range sections {
		if sections[i].Type == key {
			entry = &sections[i]
			break
		}
	}
	forced := c.Breaking() || c.ReleaseAs != ""
	if !forced && (entry == nil || entry.Hidden) {
		return "", false
	}
	if entry != nil {
		return entry.Section, true
	}
	return c.Type, true
}

// Build turns a release into structured notes.
func Build(rel Release, opts Options) Notes {
	n := Notes{
		Version: rel.Version, Tag: rel.Tag, PreviousTag: rel.PreviousTag,
		Date:         rel.Date.UTC().Format("2006-01-02"),
		Breaking:     []Note{},
		Groups:       []Group{},
		Deprecations: []Note{},
		Upgrade:      []Note{},
		Dependencies: rel.Dependencies,
		Supersedes:   rel.Supersedes,
		Removed:      rel.Removed,
	}
	if opts.RepoURL != "" && rel.PreviousTag != "" {
		n.CompareURL = fmt.Sprintf("%s/compare/%s...%s", opts.RepoURL, rel.PreviousTag, rel.Tag)
	}
	type item struct {
		title string
		scope jsValue
		subj  jsValue
		line  Line
	}
	var items []item
	for _, e := range rel.Entries {
		c := e.Commit
		scope := c.Scope
		if scope == "*" {
			scope = ""
		}
		// Deprecations and upgrade notes show whatever the commit's type:
		// a chore may deprecate a setting.
		for _, v := range c.FooterValues("Deprecated") {
			n.Deprecations = append(n.Deprecations, Note{Scope: scope, Text: strings.TrimSpace(v), SHA: e.SHA})
		}
		for _, tok := range []string{"Migration", "Upgrade"} {
			for _, v := range c.FooterValues(tok) {
				n.Upgrade = append(n.Upgrade, Note{Scope: scope, Text: strings.TrimSpace(v), SHA: e.SHA})
			}
		}
		title, ok := Visible(c, opts.sections())
		if !ok {
			continue
		}
		if c.Breaking() {
			text := c.BreakingNote
			if text == "" {
				text = c.Description
			}
			n.Breaking = append(n.Breaking, Note{Scope: scope, Text: linkFirstIssue(text, opts.RepoURL), SHA: e.SHA})
		}
		subject, inSubject := linkSubject(htmlEscapeFirst(c.Description), opts.RepoURL)
		line := Line{Type: c.Type, Scope: scope, Subject: subject, SHA: e.SHA}
		for _, ref := range references(c) {
			if !inSubject[ref] {
				line.Closes = append(line.Closes, ref)
			}
		}
		line.Markdown = entryMarkdown(line, opts.RepoURL)
		items = append(items, item{title: title, scope: jsValue{scope, scope != ""}, subj: jsValue{subject, true}, line: line})
	}
	// Groups in order of first appearance, then sorted by section rank
	// (types missing from the list rank -1, i.e. first, as in the writer).
	var order []string
	byTitle := map[string][]item{}
	for _, it := range items {
		if _, ok := byTitle[it.title]; !ok {
			order = append(order, it.title)
		}
		byTitle[it.title] = append(byTitle[it.title], it)
	}
	var rank []string
	for _, s := range opts.sections() {
		if s.Section != "" && indexOf(rank, s.Section) < 0 {
			rank = append(rank, s.Section)
		}
	}
	jsSort(order, func(a, b string) int { return indexOf(rank, a) - indexOf(rank, b) })
	for _, title := range order {
		group := byTitle[title]
		jsSort(group, func(a, b item) int {
			if r := compareFunc(a.scope, b.scope); r != 0 {
				return r
			}
			return compareFunc(a.subj, b.subj)
		})
		g := Group{Title: title}
		for _, it := range group {
			g.Entries = append(g.Entries, it.line)
		}
		n.Groups = append(n.Groups, g)
	}
	return n
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// htmlEscapeFirst is release-please's escape: JavaScript's
// String.replace with a string pattern replaces the first match only.
func htmlEscapeFirst(s string) string {
	s = strings.Replace(s, "<", "&lt;", 1)
	return strings.Replace(s, ">", "&gt;", 1)
}

var (
	issueRe     = regexp.MustCompile(`#([a-z0-9]+)`)
	userRe      = regexp.MustCompile(`\B@([a-z0-9](?:-?[a-z0-9/]){0,38})`)
	noteIssueRe = regexp.MustCompile(`\(#(\d+)\)`)
)

// linkSubject links `#123` to issues and `@user` to profiles, and returns
// the issues it linked (the writer drops those from "closes").
func linkSubject(s, repoURL string) (string, map[string]bool) {
	seen := map[string]bool{}
	if repoURL == "" {
		return s, seen
	}
	s = issueRe.ReplaceAllStringFunc(s, func(m string) string {
		id := m[1:]
		seen[id] = true
		return fmt.Sprintf("[#%s](%s/issues/%s)", id, repoURL, id)
	})
	host := hostOf(repoURL)
	s = userRe.ReplaceAllStringFunc(s, func(m string) string {
		user := m[1:]
		if strings.Contains(user, "/") {
			return m
		}
		return fmt.Sprintf("[@%s](%s/%s)", user, host, user)
	})
	return s, seen
}

// linkFirstIssue links the first "(#123)" of a breaking note, as
// release-please does.
func linkFirstIssue(s, repoURL string) string {
	if repoURL == "" {
		return s
	}
	loc := noteIssueRe.FindStringSubmatchIndex(s)
	if loc == nil {
		return s
	}
	id := s[loc[2]:loc[3]]
	return s[:loc[0]] + fmt.Sprintf("([#%s](%s/issues/%s))", id, repoURL, id) + s[loc[1]:]
}

func hostOf(repoURL string) string {
	i := strings.Index(repoURL, "://")
	if i < 0 {
		return repoURL
	}
	if j := strings.Index(repoURL[i+3:], "/"); j >= 0 {
		return repoURL[:i+3+j]
	}
	return repoURL
}

var numberRe = regexp.MustCompile(`^[0-9]+$`)

// references are the numeric issues of footers like `Fixes #12` or
// `Refs: #12`.
func references(c conventional.Commit) []string {
	var out []string
	for _, f := range c.Footers {
		issue := strings.TrimSpace(f.Value)
		hash := f.Sep == " #"
		if strings.HasPrefix(issue, "#") {
			hash, issue = true, issue[1:]
		}
		if hash && numberRe.MatchString(issue) {
			out = append(out, issue)
		}
	}
	return out
}

func entryMarkdown(l Line, repoURL string) string {
	var b strings.Builder
	if l.Scope != "" {
		b.WriteString("**" + l.Scope + ":** ")
	}
	b.WriteString(l.Subject)
	short := l.SHA
	if len(short) > 7 {
		short = short[:7]
	}
	if repoURL != "" {
		fmt.Fprintf(&b, " ([%s](%s/commit/%s))", short, repoURL, l.SHA)
	} else if short != "" {
		b.WriteString(" " + short)
	}
	if len(l.Closes) > 0 {
		b.WriteString(", closes")
		for _, id := range l.Closes {
			if repoURL != "" {
				fmt.Fprintf(&b, " [#%s](%s/issues/%s)", id, repoURL, id)
			} else {
				b.WriteString(" #" + id)
			}
		}
	}
	return b.String()
}

// Empty reports whether the notes have nothing to show. release-please
// skips a release whose changelog would be only its heading.
func (n Notes) Empty() bool {
	return len(n.Breaking) == 0 && len(n.Groups) == 0 && len(n.Dependencies) == 0
}

// Markdown renders one release section in release-please's layout.
func Markdown(rel Release, opts Options) string {
	return MarkdownNotes(Build(rel, opts))
}

// MarkdownNotes renders already-built notes.
func MarkdownNotes(n Notes) string {
	var b strings.Builder
	b.WriteString("## ")
	if n.CompareURL != "" {
		fmt.Fprintf(&b, "[%s](%s)", n.Version, n.CompareURL)
	} else {
		b.WriteString(n.Version)
	}
	fmt.Fprintf(&b, " (%s)\n\n", n.Date)
	writeCallout(&b, n)
	if len(n.Supersedes) > 0 {
		fmt.Fprintf(&b, "Includes fixes first released in %s.\n", joinAnd(n.Supersedes))
	}
	if len(n.Breaking) > 0 {
		b.WriteString("\n### ⚠ BREAKING CHANGES\n\n")
		writeNotes(&b, n.Breaking)
	}
	if len(n.Deprecations) > 0 {
		b.WriteString("\n### Deprecations\n\n")
		writeNotes(&b, n.Deprecations)
	}
	for _, g := range n.Groups {
		b.WriteString("\n### " + g.Title + "\n\n")
		for _, l := range g.Entries {
			b.WriteString("* " + l.Markdown + "\n")
		}
		b.WriteString("\n")
	}
	if len(n.Dependencies) > 0 {
		b.WriteString("\n### Dependencies\n\n* The following workspace dependencies were updated\n")
		var kind string
		for _, d := range n.Dependencies {
			if d.Kind != kind {
				kind = d.Kind
				b.WriteString("  * " + kind + "\n")
			}
			fmt.Fprintf(&b, "    * %s bumped from %s to %s\n", d.Name, d.From, d.To)
		}
	}
	return strings.TrimSpace(b.String())
}

// writeCallout heads a release that deprecates or removes deprecated
// things with a GitHub alert block naming what to read first. Releases
// without either keep release-please's layout byte for byte (its breaking
// changes section already comes first).
func writeCallout(b *strings.Builder, n Notes) {
	if len(n.Deprecations) == 0 && len(n.Removed) == 0 {
		return
	}
	var parts, read []string
	if k := len(n.Breaking); k > 0 {
		parts = append(parts, count(k, "breaking change"))
		read = append(read, "⚠ BREAKING CHANGES")
	}
	if k := len(n.Deprecations); k > 0 {
		parts = append(parts, count(k, "deprecation"))
		read = append(read, "Deprecations")
	}
	b.WriteString("> [!WARNING]\n")
	if len(parts) > 0 {
		fmt.Fprintf(b, "> This release has %s: read %s below before upgrading.\n", joinAnd(parts), joinAnd(read))
	}
	for _, r := range n.Removed {
		b.WriteString("> Removes " + r.Text + ".\n")
	}
	b.WriteString("\n")
}

func count(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// joinAnd joins "a", "a and b", "a, b and c".
func joinAnd(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

func writeNotes(b *strings.Builder, notes []Note) {
	for _, n := range notes {
		b.WriteString("* ")
		if n.Scope != "" {
			b.WriteString("**" + n.Scope + ":** ")
		}
		b.WriteString(n.Text + "\n")
	}
}

// JSON renders notes of several releases as a JSON array.
func JSON(notes []Notes) ([]byte, error) {
	if notes == nil {
		notes = []Notes{}
	}
	return json.MarshalIndent(notes, "", "  ")
}

// Prepend inserts a section into an existing changelog file's content the
// way release-please does: before the first release heading, keeping any
// preamble; a new file gets the "# Changelog" title.
func Prepend(existing, section string) string {
	if strings.TrimSpace(existing) == "" {
		return "# Changelog\n\n" + section + "\n"
	}
	if loc := releaseHeadingRe.FindStringIndex(existing); loc != nil {
		return existing[:loc[0]] + section + "\n\n" + existing[loc[0]:]
	}
	return strings.TrimRight(existing, "\n") + "\n\n" + section + "\n"
}

// releaseHeadingRe finds the first "## [1.2.3]" / "### 1.2.3" heading.
var releaseHeadingRe = regexp.MustCompile(`(?m)^#{2,3} \[?v?[0-9]+\.[0-9]+\.[0-9]+`)

// RepoURLFromRemote turns a git remote URL into the web URL links use:
// "git@github.com:o/r.git" and "https://user@github.com/o/r.git" both give
// "https://github.com/o/r". Remotes that are not a host/owner/repo (local
// paths, file:// URLs) give "".
func RepoURLFromRemote(remote string) string {
	r := strings.TrimSpace(remote)
	r = strings.TrimSuffix(strings.TrimSuffix(r, "/"), ".git")
	var host, repoPath string
	switch {
	case strings.HasPrefix(r, "https://") || strings.HasPrefix(r, "http://") || strings.HasPrefix(r, "ssh://"):
		rest := r[strings.Index(r, "://")+3:]
		if i := strings.LastIndex(rest[:max(strings.Index(rest, "/"), 0)], "@"); i >= 0 {
			rest = rest[i+1:]
		}
		i := strings.Index(rest, "/")
		if i < 0 {
			return ""
		}
		host, repoPath = rest[:i], rest[i+1:]
		if j := strings.Index(host, ":"); j >= 0 && strings.HasPrefix(r, "ssh://") {
			host = host[:j]
		}
	case strings.Contains(r, "@") && strings.Contains(r, ":") && !strings.Contains(r, "://"):
		rest := r[strings.Index(r, "@")+1:]
		i := strings.Index(rest, ":")
		host, repoPath = rest[:i], rest[i+1:]
	default:
		return ""
	}
	if host == "" || strings.Count(repoPath, "/") < 1 {
		return ""
	}
	return "https://" + host + "/" + strings.Trim(repoPath, "/")
}
