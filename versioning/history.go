package versioning

import (
	"context"
	"net/mail"
	"path"
	"strings"

	"github.com/slipway/slipway/changelog"
	"github.com/slipway/slipway/conventional"
	"github.com/slipway/slipway/git"
)

// Person is an author, committer or co-author of a commit.
type Person struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Commit is one git commit of a release, with what matters downstream:
// its Conventional Commits (several for squash merges) and every person
// who wrote or committed it (the "no self-approval" gate needs them all).
type Commit struct {
	SHA       string   `json:"sha"`
	Author    Person   `json:"author"`
	Committer Person   `json:"committer"`
	CoAuthors []Person `json:"coAuthors,omitempty"`
	// Time is the committer date, Unix seconds.
	Time int64 `json:"time"`
	// Entries are the message's Conventional Commits, extra ones first and
	// the header's last (release-please's order); a non-conforming
	// message has one entry with Conventional == false.
	Entries []conventional.Commit `json:"entries"`
	// Reverted is set on both a revert and the commit it cancels when
	// both are in the range (and reverts are not kept).
	Reverted bool `json:"reverted,omitempty"`

	// message is the raw message, for presets that parse it their own
	// way (semrel), and sr that parse, made once.
	message string
	sr      *srCommit

	files   []string
	parents []string
	// reach has bit i set when the commit is reachable from base i (so
	// outside component i's range). Only history-wide passes set it.
	reach uint64
}

func newCommit(e *git.LogEntry) Commit {
	msg := conventional.Parse(e.Message)
	c := Commit{
		SHA:       e.SHA,
		Author:    Person{Name: e.AuthorName, Email: e.AuthorEmail},
		Committer: Person{Name: e.CommitterName, Email: e.CommitterEmail},
		Time:      e.Time,
		Entries:   msg.Commits,
		message:   e.Message,
		files:     e.Files,
		parents:   e.Parents,
	}
	for _, v := range msg.Main().FooterValues("Co-authored-by") {
		if a, err := mail.ParseAddress(strings.TrimSpace(v)); err == nil {
			c.CoAuthors = append(c.CoAuthors, Person{Name: a.Name, Email: a.Address})
		}
	}
	return c
}

// cancelReverts marks a revert and the commit it reverts when both are in
// commits (newest first). Walking newest first makes a revert of a revert
// cancel the first revert and leave the original in.
func cancelReverts(commits []Commit) {
	index := make(map[string]int, len(commits))
	for i, c := range commits {
		index[c.SHA] = i
	}
	find := func(sha string) int {
		if i, ok := index[sha]; ok {
			return i
		}
		if len(sha) < 40 {
			for i, c := range commits {
				if strings.HasPrefix(c.SHA, sha) {
					return i
				}
			}
		}
		return -1
	}
	for i := range commits {
		c := &commits[i]
		if c.Reverted || len(c.Entries) == 0 {
			continue
		}
		r := c.Entries[len(c.Entries)-1].Revert
		if r == nil || r.SHA == "" {
			continue
		}
		if j := find(r.SHA); j > i && !commits[j].Reverted {
			c.Reverted = true
			commits[j].Reverted = true
		}
	}
}

// live drops cancelled commits.
func live(commits []Commit) []Commit {
	out := make([]Commit, 0, len(commits))
	for _, c := range commits {
		if !c.Reverted {
			out = append(out, c)
		}
	}
	return out
}

// entries flattens commits into changelog entries.
func entries(commits []Commit) []changelog.Entry {
	n := 0
	for i := range commits {
		n += len(commits[i].Entries)
	}
	out := make([]changelog.Entry, 0, n)
	for _, c := range commits {
		for _, e := range c.Entries {
			out = append(out, changelog.Entry{SHA: c.SHA, Commit: e})
		}
	}
	return out
}

// pathFilter decides whether a commit's files touch a component.
type pathFilter struct {
	include []string // empty: the whole repository
	exclude []string
}

func cleanPaths(ps []string) []string {
	var out []string
	for _, p := range ps {
		p = strings.Trim(path.Clean(strings.TrimSpace(p)), "/")
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

func under(file, dir string) bool {
	return dir == "." || file == dir || strings.HasPrefix(file, dir+"/")
}

func (f pathFilter) active() bool { return len(f.include) > 0 || len(f.exclude) > 0 }

// touches reports whether any changed file is inside include and outside
// exclude. A commit that changes no files (merges, empty commits) touches
// a path-limited component only when it has no include paths.
func (f pathFilter) touches(files []string) bool {
	if !f.active() {
		return true
	}
	for _, file := range files {
		in := len(f.include) == 0
		for _, p := range f.include {
			if under(file, p) {
				in = true
				break
			}
		}
		if !in {
			continue
		}
		excluded := false
		for _, p := range f.exclude {
			if under(file, p) {
				excluded = true
				break
			}
		}
		if !excluded {
			return true
		}
	}
	return false
}

// readRange reads the commits of revs, keeping those filter accepts.
// total is every commit of the range (the count guard's figure).
func readRange(ctx context.Context, repo *git.Repo, revs []string, filter pathFilter, onBoundary func(string)) (commits []Commit, total int, err error) {
	total, err = repo.Log(ctx, git.LogOptions{Revs: revs, Files: filter.active(), OnBoundary: onBoundary}, func(e *git.LogEntry) error {
		if filter.touches(e.Files) {
			c := newCommit(e)
			c.files = nil
			commits = append(commits, c)
		}
		return nil
	})
	return commits, total, err
}

// uniquePeople lists every distinct person (by e-mail, case-insensitive)
// of the commits: authors, committers and co-authors.
func uniquePeople(commits []Commit) []Person {
	seen := map[string]bool{}
	var out []Person
	add := func(p Person) {
		k := strings.ToLower(p.Email)
		if p.Email == "" || seen[k] {
			return
		}
		seen[k] = true
		out = append(out, p)
	}
	for _, c := range commits {
		add(c.Author)
		add(c.Committer)
		for _, p := range c.CoAuthors {
			add(p)
		}
	}
	return out
}

// summarizeRange reads revs and decides them on the fly, keeping no
// commits: the path of `version next` over long ranges. git log gives
// newest first, so a revert is always read before the commit it reverts;
// under the rules that drop reverts it waits (uncounted) until that commit
// shows up, and both drop out, or the range ends and it counts.
func summarizeRange(ctx context.Context, repo *git.Repo, revs []string, filter pathFilter, rules Rules, onBoundary func(string)) (t tally, kept int, err error) {
	st := newStreamTally(rules)
	// The decision needs messages only: no identities.
	_, err = repo.Log(ctx, git.LogOptions{Revs: revs, Files: filter.active(), NoIdentity: true, OnBoundary: onBoundary}, func(e *git.LogEntry) error {
		if !filter.touches(e.Files) {
			return nil
		}
		kept++
		c := newCommit(e)
		c.files, c.parents = nil, nil
		return st.add(c)
	})
	return st.close(), kept, err
}

// streamTally decides a range commit by commit, newest first, applying the
// revert rule as it goes.
type streamTally struct {
	t      tally
	rule   RevertRule
	cancel cancelStream
	sr     srFilter
}

func newStreamTally(rules Rules) *streamTally {
	return &streamTally{t: tally{rules: rules}, rule: rules.revertRule()}
}

// add takes the next (older) commit of the range.
func (s *streamTally) add(c Commit) error {
	switch s.rule {
	case RevertsCancel:
		if s.cancel.process(&c) {
			s.t.add(&c)
		}
	case revertsSemanticRelease:
		if err := srThrows(&c); err != nil {
			return err
		}
		if s.sr.process(&c) {
			s.t.add(&c)
		}
		c.message = "" // parsed (c.sr): a held revert needs it no more
	default:
		s.t.add(&c)
	}
	return nil
}

// close counts the reverts whose target never came and returns the tally.
func (s *streamTally) close() tally {
	for _, c := range s.cancel.flush() {
		s.t.add(c)
	}
	for _, c := range s.sr.held {
		s.t.add(c)
	}
	return s.t
}

// cancelStream is cancelReverts for a range read as it streams.
type cancelStream struct {
	pending  []*waiting
	byTarget map[string]*waiting
}

type waiting struct {
	target    string
	commit    Commit
	cancelled bool
}

// process returns whether c counts now: not when it is a revert (it waits)
// or the commit a waiting revert names (both drop).
func (s *cancelStream) process(c *Commit) bool {
	w := s.byTarget[c.SHA]
	if w == nil {
		for _, p := range s.pending {
			if len(p.target) < 40 && !p.cancelled && strings.HasPrefix(c.SHA, p.target) {
				w = p
				break
			}
		}
	}
	if w != nil && !w.cancelled {
		w.cancelled = true
		return false
	}
	if r := c.Entries[len(c.Entries)-1].Revert; r != nil && r.SHA != "" {
		w := &waiting{target: r.SHA, commit: *c}
		s.pending = append(s.pending, w)
		if s.byTarget == nil {
			s.byTarget = map[string]*waiting{}
		}
		if s.byTarget[r.SHA] == nil {
			s.byTarget[r.SHA] = w
		}
		return false
	}
	return true
}

// flush returns the reverts whose target never came.
func (s *cancelStream) flush() []*Commit {
	var out []*Commit
	for _, w := range s.pending {
		if !w.cancelled {
			out = append(out, &w.commit)
		}
	}
	return out
}

// compactForChangelog trims a commit to what a changelog shows and reports
// whether anything is left (Header and Body are dropped). History-wide
// passes keep thousands of
// commits; without this each would pin its whole message in memory
// (every parsed field is a substring of it). Entries the sections hide
// are dropped, reverts are kept (they may cancel a shown commit), and the
// fields a changelog reads are copied out of the message.
// keepAll keeps every entry (a commit that a revert read earlier targets:
// the revert must find it to cancel it).
func compactForChangelog(c *Commit, sections []changelog.Section, keepAll bool) bool {
	c.files, c.parents, c.message = nil, nil, ""
	c.Author, c.Committer, c.CoAuthors = Person{}, Person{}, nil
	kept := c.Entries[:0]
	for _, e := range c.Entries {
		_, visible := changelog.Visible(e, sections)
		if !visible && e.Revert == nil && !keepAll && !hasNoteFooter(e) {
			continue
		}
		e.Header = "" // a changelog shows type, scope and description
		e.Type, e.Scope = strings.Clone(e.Type), strings.Clone(e.Scope)
		e.Description = strings.Clone(e.Description)
		e.BreakingNote, e.ReleaseAs = strings.Clone(e.BreakingNote), strings.Clone(e.ReleaseAs)
		e.Body = ""
		var footers []conventional.Footer
		for _, f := range e.Footers {
			if f.Sep == " #" || strings.HasPrefix(f.Value, "#") || isNoteToken(f.Token) {
				footers = append(footers, conventional.Footer{Token: strings.Clone(f.Token), Sep: f.Sep, Value: strings.Clone(f.Value)})
			}
		}
		e.Footers = footers
		if e.Revert != nil {
			e.Revert = &conventional.Revert{Header: strings.Clone(e.Revert.Header), SHA: strings.Clone(e.Revert.SHA)}
		}
		kept = append(kept, e)
	}
	c.Entries = kept
	return len(kept) > 0
}

// hasNoteFooter reports a footer the changelog shows whatever the type.
func hasNoteFooter(e conventional.Commit) bool {
	for _, f := range e.Footers {
		if isNoteToken(f.Token) {
			return true
		}
	}
	return false
}

// isNoteToken names footers the changelog turns into callouts.
func isNoteToken(t string) bool {
	for _, n := range []string{"Deprecated", "Migration", "Upgrade"} {
		if strings.EqualFold(t, n) {
			return true
		}
	}
	return false
}
