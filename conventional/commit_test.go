package conventional

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// The examples of https://www.conventionalcommits.org/en/v1.0.0/#examples
// and the FAQ, each with what the specification says it means.
func TestSpecificationExamples(t *testing.T) {
	tests := []struct {
		name     string
		msg      string
		typ      string
		scope    string
		bang     bool
		breaking bool
		note     string
		desc     string
		footers  []Footer
		bodyHas  string
	}{
		{
			name: "breaking change footer",
			msg:  "feat: allow provided config object to extend other configs\n\nBREAKING CHANGE: `extends` key in config file is now used for extending other config files",
			typ:  "feat", breaking: true, desc: "allow provided config object to extend other configs",
			note:    "`extends` key in config file is now used for extending other config files",
			footers: []Footer{{Token: "BREAKING CHANGE", Sep: ": ", Value: "`extends` key in config file is now used for extending other config files"}},
		},
		{
			name: "bang draws attention",
			msg:  "feat!: send an email to the customer when a product is shipped",
			typ:  "feat", bang: true, breaking: true, desc: "send an email to the customer when a product is shipped",
		},
		{
			name: "scope and bang",
			msg:  "feat(api)!: send an email to the customer when a product is shipped",
			typ:  "feat", scope: "api", bang: true, breaking: true, desc: "send an email to the customer when a product is shipped",
		},
		{
			name: "bang and footer",
			msg:  "chore!: drop support for Node 6\n\nBREAKING CHANGE: use JavaScript features not available in Node 6.",
			typ:  "chore", bang: true, breaking: true, desc: "drop support for Node 6",
			note:    "use JavaScript features not available in Node 6.",
			footers: []Footer{{Token: "BREAKING CHANGE", Sep: ": ", Value: "use JavaScript features not available in Node 6."}},
		},
		{name: "no body", msg: "docs: correct spelling of CHANGELOG", typ: "docs", desc: "correct spelling of CHANGELOG"},
		{name: "scope", msg: "feat(lang): add Polish language", typ: "feat", scope: "lang", desc: "add Polish language"},
		{
			name: "multi-paragraph body and multiple footers",
			msg: "fix: prevent racing of requests\n\nIntroduce a request id and a reference to latest request. Dismiss\nincoming responses other than from latest request.\n\n" +
				"Remove timeouts which were used to mitigate the racing issue but are\nobsolete now.\n\nReviewed-by: Z\nRefs: #123",
			typ: "fix", desc: "prevent racing of requests",
			bodyHas: "obsolete now.",
			footers: []Footer{{Token: "Reviewed-by", Sep: ": ", Value: "Z"}, {Token: "Refs", Sep: ": ", Value: "#123"}},
		},
		{
			name: "revert type from the FAQ",
			msg:  "revert: let us never again speak of the noodle incident\n\nRefs: 676104e, a215868",
			typ:  "revert", desc: "let us never again speak of the noodle incident",
			footers: []Footer{{Token: "Refs", Sep: ": ", Value: "676104e, a215868"}},
		},
		{
			name: "hash separator footer",
			msg:  "fix: close the stream\n\nFixes #42",
			typ:  "fix", desc: "close the stream",
			footers: []Footer{{Token: "Fixes", Sep: " #", Value: "42"}},
		},
		{
			name: "BREAKING-CHANGE synonym",
			msg:  "feat: x\n\nBREAKING-CHANGE: y",
			typ:  "feat", breaking: true, desc: "x", note: "y",
			footers: []Footer{{Token: "BREAKING-CHANGE", Sep: ": ", Value: "y"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Parse(tt.msg).Main()
			if !c.Conventional {
				t.Fatalf("not conventional: %q", tt.msg)
			}
			if c.Type != tt.typ || c.Scope != tt.scope || c.Bang != tt.bang || c.Description != tt.desc {
				t.Errorf("got type=%q scope=%q bang=%v desc=%q", c.Type, c.Scope, c.Bang, c.Description)
			}
			if c.Breaking() != tt.breaking || c.BreakingNote != tt.note {
				t.Errorf("breaking=%v note=%q, want %v %q", c.Breaking(), c.BreakingNote, tt.breaking, tt.note)
			}
			if !reflect.DeepEqual(c.Footers, tt.footers) {
				t.Errorf("footers = %#v, want %#v", c.Footers, tt.footers)
			}
			if !strings.Contains(c.Body, tt.bodyHas) {
				t.Errorf("body %q lacks %q", c.Body, tt.bodyHas)
			}
			if strings.Contains(c.Body, "Reviewed-by") {
				t.Errorf("footer leaked into body: %q", c.Body)
			}
		})
	}
}

func TestFootersDoNotLeakIntoBreakingNote(t *testing.T) {
	msg := "feat(api): new auth\n\nLong body.\n\nBREAKING CHANGE: tokens are now\nJWTs signed with RS256\nCo-authored-by: Ann <ann@example.com>\nRelease-As: 3.0.0"
	c := Parse(msg).Main()
	if c.BreakingNote != "tokens are now JWTs signed with RS256" {
		t.Errorf("note = %q", c.BreakingNote)
	}
	if got := c.FooterValues("co-authored-by"); len(got) != 1 || got[0] != "Ann <ann@example.com>" {
		t.Errorf("co-authors = %q", got)
	}
	if c.ReleaseAs != "3.0.0" {
		t.Errorf("release-as = %q", c.ReleaseAs)
	}
	if c.Body != "Long body." {
		t.Errorf("body = %q", c.Body)
	}
}

func TestBreakingNoteMarkdownContext(t *testing.T) {
	msg := "feat: x\n\nBREAKING CHANGE: endpoints\nwere removed\n#### Deleted\n- one\n- two"
	c := Parse(msg).Main()
	want := "endpoints were removed\n    #### Deleted\n    - one\n    - two"
	if c.BreakingNote != want {
		t.Errorf("note = %q, want %q", c.BreakingNote, want)
	}
}

func TestBreakingMarkerInBody(t *testing.T) {
	// Not a footer (a plain paragraph follows), still breaking: release-please
	// reads the marker anywhere in the body.
	msg := "fix: a\n\nBREAKING CHANGE: the flag is gone\n\nSee the docs for more."
	c := Parse(msg).Main()
	if c.BreakingNote != "the flag is gone" {
		t.Errorf("note = %q", c.BreakingNote)
	}
}

func TestNonConformingIsOther(t *testing.T) {
	for _, msg := range []string{
		"Merge pull request #12 from x/y",
		"update readme",
		"feat:",
		"feat(scope: missing paren",
		"(api): no type",
		"",
		"\n\n",
		"WIP",
	} {
		m := Parse(msg)
		if len(m.Commits) != 1 || m.Main().Conventional {
			t.Errorf("%q parsed as %+v", msg, m.Commits)
		}
	}
}

func TestSquashMergeExtraCommits(t *testing.T) {
	msg := "feat: adds v4 UUID to crypto\n\nThis adds support for v4 UUIDs to the library.\n\n" +
		"fix(utils): unicode no longer throws exception\n  PiperOrigin-RevId: 345559154\n  BREAKING-CHANGE: encode method no longer throws.\n  Source-Link: googleapis/googleapis@5e0dcb2\n\n" +
		"feat(utils): update encode to support unicode\n  PiperOrigin-RevId: 345559182\n  Source-Link: googleapis/googleapis@e5eef86\n" +
		"Co-authored-by: Bo <bo@example.com>"
	m := Parse(msg)
	if len(m.Commits) != 3 {
		t.Fatalf("commits = %d: %+v", len(m.Commits), m.Commits)
	}
	fix, feat, main := m.Commits[0], m.Commits[1], m.Main()
	if fix.Type != "fix" || fix.Scope != "utils" || fix.Description != "unicode no longer throws exception" {
		t.Errorf("fix = %+v", fix)
	}
	if fix.BreakingNote != "encode method no longer throws." {
		t.Errorf("fix note = %q", fix.BreakingNote)
	}
	if feat.Type != "feat" || feat.Breaking() {
		t.Errorf("feat = %+v", feat)
	}
	if main.Description != "adds v4 UUID to crypto" || main.Breaking() {
		t.Errorf("main = %+v", main)
	}
}

func TestReverts(t *testing.T) {
	tests := []struct {
		msg    string
		header string
		sha    string
	}{
		{"Revert \"feat: add x\"\n\nThis reverts commit 0123456789abcdef0123456789abcdef01234567.", "feat: add x", "0123456789abcdef0123456789abcdef01234567"},
		{"revert: feat: add x\n\nThis reverts commit ABCDEF1.", "feat: add x", "abcdef1"},
		{"revert: \"feat: add x\"", "feat: add x", ""},
	}
	for _, tt := range tests {
		c := Parse(tt.msg).Main()
		if c.Revert == nil || c.Revert.Header != tt.header || c.Revert.SHA != tt.sha {
			t.Errorf("%q: revert = %+v", tt.msg, c.Revert)
		}
	}
	if c := Parse("fix: revert nothing").Main(); c.Revert != nil {
		t.Errorf("fix parsed as revert: %+v", c.Revert)
	}
}

func TestAngularHeader(t *testing.T) {
	tests := []struct {
		h             string
		typ, scope, s string
		ok            bool
	}{
		{"feat(api): x", "feat", "api", "x", true},
		{"fix: y", "fix", "", "y", true},
		{"feat!: z", "", "", "", false},
		{"feat(api)!: z", "", "", "", false},
		{"feat:z", "", "", "", false},
	}
	for _, tt := range tests {
		typ, scope, s, ok := AngularHeader(tt.h)
		if typ != tt.typ || scope != tt.scope || s != tt.s || ok != tt.ok {
			t.Errorf("%q: %q %q %q %v", tt.h, typ, scope, s, ok)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"feat(api)!: x\n\nbody\n\nBREAKING CHANGE: y\nCo-authored-by: a <a@b>",
		"Revert \"feat: a\"\n\nThis reverts commit abcdef0.",
		"fix: a\n\nfeat(b): c\n  BREAKING-CHANGE: d\n",
		"x", "", ": ", "a(: b", "feat: \n\n#### x\n- y",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := Parse(s)
		if len(m.Commits) == 0 {
			t.Fatal("no commits")
		}
		for _, c := range m.Commits {
			if c.Conventional && (c.Type == "" || c.Description == "") {
				t.Fatalf("conventional without type/description: %+v", c)
			}
			if utf8.ValidString(s) && !utf8.ValidString(c.BreakingNote) {
				t.Fatalf("note not UTF-8")
			}
			if strings.Contains(c.BreakingNote, "\n\n") {
				t.Fatalf("note kept a blank line: %q", c.BreakingNote)
			}
		}
	})
}

// The regular expressions the hand-written scanners implement: the
// reference they are checked against.
var (
	headerOracle = regexp.MustCompile(`^([^\s():!]+)(?:\(([^()\r\n]*)\))?(!)?:[ \t]*(\S.*)$`)
	footerOracle = regexp.MustCompile(`^(BREAKING CHANGE|BREAKING-CHANGE|[A-Za-z0-9][\w-]*(?:\([^()\r\n]*\))?!?)(: | #)(.*)$`)
	revertOracle = regexp.MustCompile(`This reverts commit ([0-9a-fA-F]{4,64})\b`)
)

func checkScanners(t *testing.T, s string) {
	t.Helper()
	typ, scope, bang, desc, ok := matchHeader(s)
	if m := headerOracle.FindStringSubmatch(s); (m != nil) != ok || ok && (m[1] != typ || m[2] != scope || (m[3] == "!") != bang || m[4] != desc) {
		t.Errorf("header %q: scanner %q %q %v %q %v, regexp %q", s, typ, scope, bang, desc, ok, m)
	}
	token, sep, value, ok := matchFooter(s)
	if m := footerOracle.FindStringSubmatch(s); (m != nil) != ok || ok && (m[1] != token || m[2] != sep || m[3] != value) {
		t.Errorf("footer %q: scanner %q %q %q %v, regexp %q", s, token, sep, value, ok, m)
	}
	sha, ok := revertedSHA(s)
	if m := revertOracle.FindStringSubmatch(s); (m != nil) != ok || ok && m[1] != sha {
		t.Errorf("revert %q: scanner %q %v, regexp %q", s, sha, ok, m)
	}
}

func TestScannersMatchTheirRegexps(t *testing.T) {
	for _, s := range []string{
		"feat: a", "feat(api)!: a", "feat(api): ", "feat(a(b)): x", "feat(): x", "a!b: x", "fix(a)b: x", "fix(a: x",
		"feat:\tx", "feat:x", "!: x", "BREAKING CHANGE: x", "BREAKING CHANGES: x", "BREAKING-CHANGE: x", "BREAKING CHANGE #1",
		"Fixes #12", "Co-authored-by: A <a@b>", "_x: y", "Refs: #1", "x:  ", "x\v: y", "type\u00a0x: y",
		"This reverts commit abc", "This reverts commit abcd.", "This reverts commit abcdg", "x This reverts commit 12345_ This reverts commit 0123456789",
		"This reverts commit " + strings.Repeat("a", 65) + ".",
	} {
		checkScanners(t, s)
	}
}

func FuzzScanners(f *testing.F) {
	f.Add("feat(api)!: x")
	f.Add("BREAKING CHANGE: y")
	f.Add("This reverts commit abcdef1.")
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsAny(s, "\n") || !utf8.ValidString(s) {
			return
		}
		checkScanners(t, s)
	})
}

// The specification: BREAKING CHANGE must be upper case; other tokens are
// case-insensitive.
func TestBreakingChangeIsUpperCaseOnly(t *testing.T) {
	for msg, breaking := range map[string]bool{
		"fix: a\n\nbreaking change: b":   false,
		"fix: a\n\nBreaking-Change: b":   false,
		"fix: a\n\nBREAKING CHANGE: b":   true,
		"fix: a\n\nrelease-as: 2.0.0":    false,
		"fix: a\n\nBREAKING CHANGE #123": false,
	} {
		if c := Parse(msg).Main(); c.Breaking() != breaking {
			t.Errorf("%q: breaking = %v", msg, c.Breaking())
		}
	}
	if c := Parse("fix: a\n\nrelease-as: 2.0.0").Main(); c.ReleaseAs != "2.0.0" {
		t.Errorf("release-as token is case-insensitive: %q", c.ReleaseAs)
	}
}

// joinLines slices the source instead of copying: it must equal the copy.
func FuzzJoinLines(f *testing.F) {
	f.Add("a\nbb\n\nccc\n", uint8(1), uint8(3))
	f.Fuzz(func(t *testing.T, s string, a, b uint8) {
		lines := strings.Split(s, "\n")
		from, to := int(a)%(len(lines)+1), int(b)%(len(lines)+1)
		if from > to {
			from, to = to, from
		}
		if got, want := joinLines(lines, from, to, s), strings.Join(lines[from:to], "\n"); got != want {
			t.Fatalf("joinLines(%q, %d, %d) = %q, want %q", s, from, to, got, want)
		}
	})
}
