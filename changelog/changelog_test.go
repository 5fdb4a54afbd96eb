package changelog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/conventional"
)

const rpURL = "https://github.com/googleapis/release-please"

// entries parses (sha, message) pairs the way versioning does: every
// Conventional Commit of a message becomes an entry with the commit's SHA.
func entries(pairs ...string) []Entry {
	var out []Entry
	for i := 0; i < len(pairs); i += 2 {
		for _, c := range conventional.Parse(pairs[i+1]).Commits {
			out = append(out, Entry{SHA: pairs[i], Commit: c})
		}
	}
	return out
}

func golden(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimRight(string(b), "\n")
}

func day(s string) time.Time {
	d, _ := time.Parse("2006-01-02", s)
	return d
}

// Sections published by release-please itself, regenerated from the
// commits they list: the output must be byte-identical.
func TestRegeneratesReleasePleaseSections(t *testing.T) {
	tests := []struct {
		golden string
		rel    Release
	}{
		{
			golden: "release-please-15.11.0.md",
			rel: Release{Version: "15.11.0", Tag: "v15.11.0", PreviousTag: "v15.10.5", Date: day("2023-05-31"),
				Entries: entries(
					"77de40e6f8ceaac87d90948c0d7fa618dcd01163", "fix(helm): Maintain any existing comments in Chart.yaml (#1968)",
					"77d80fb0c324cfadb91fd4a7ec656b2eb8eaeccb", "feat(node): Support package-lock.json version 3 (#1940)\n\nFixes #1939",
					"0000000000000000000000000000000000000000", "chore(deps): update dependency x to v2 (#1970)",
				)},
		},
		{
			golden: "release-please-16.0.0.md",
			rel: Release{Version: "16.0.0", Tag: "v16.0.0", PreviousTag: "v15.13.0", Date: day("2023-09-18"),
				Entries: entries(
					"1ee162b3344e986afd09275f6762624e4a49faae", "feat: Use default updaters based on file extension (#2072)",
					"cc50a34dee16115c07e574b05552678108f9e0c3", "fix(deps): Upgrade http-proxy-agent to v7 (#2071)\n\n* fix(deps): upgrade\n\nfix(deps): Upgrade https-proxy-agent to v7",
					"5a5024727b93d0ba557b6f7ee5c6c1bab8d723d6", "feat!: Require node 18+ (#2069)\n\nBREAKING-CHANGE: require node 18+ (#2069)",
					"cd0bd853ac23087e5d5348c22f032fe0e533451d", "fix(deps): Bump semver dependency version (#2068)",
					"13cba14225cb836c74199d726a996f83122fab07", "feat: Support pnpm workspaces (#2058)\n\nfix(deps): Replace lerna dependency with lerna-lite",
					"0e11d4c019f1e33cd713a237e037f31397d5371a", "feat: Fallback to root package version if package ignores github release (#1935)",
				)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			got := Markdown(tt.rel, Options{RepoURL: rpURL})
			if want := golden(t, tt.golden); got != want {
				t.Errorf("got:\n%s\n\nwant:\n%s", got, want)
			}
		})
	}
}

func TestFirstReleaseHasNoCompareLink(t *testing.T) {
	got := Markdown(Release{Version: "1.0.0", Tag: "v1.0.0", Date: day("2026-01-02"),
		Entries: entries("abcdef0123456789", "feat: start")}, Options{RepoURL: "https://github.com/o/r"})
	want := "## 1.0.0 (2026-01-02)\n\n\n### Features\n\n* start ([abcdef0](https://github.com/o/r/commit/abcdef0123456789))"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestVisibility(t *testing.T) {
	tests := []struct {
		msg   string
		title string
		ok    bool
	}{
		{"feat: a", "Features", true},
		{"feature: a", "Features", true},
		{"Fix: a", "Bug Fixes", true},
		{"chore: a", "", false},
		{"chore!: drop node 8", "Miscellaneous Chores", true},
		{"chore: release 2.0.0\n\nRelease-As: 2.0.0", "Miscellaneous Chores", true},
		{"wip!: odd", "wip", true},
		{"wip: odd", "", false},
		{"not conventional", "", false},
	}
	for _, tt := range tests {
		title, ok := Visible(conventional.Parse(tt.msg).Main(), nil)
		if title != tt.title || ok != tt.ok {
			t.Errorf("%q: %q %v", tt.msg, title, ok)
		}
	}
}

func TestCustomSectionsRenameHideAndOrder(t *testing.T) {
	sections := []Section{
		{Type: "fix", Section: "Fixes"},
		{Type: "docs", Section: "Docs"},
		{Type: "feat", Section: "New"},
	}
	rel := Release{Version: "1.1.0", Tag: "v1.1.0", PreviousTag: "v1.0.0", Date: day("2026-01-01"),
		Entries: entries("a1", "feat: f", "b2", "docs: d", "c3", "fix: x", "d4", "perf: hidden now")}
	n := Build(rel, Options{Sections: sections})
	var titles []string
	for _, g := range n.Groups {
		titles = append(titles, g.Title)
	}
	if strings.Join(titles, ",") != "Fixes,Docs,New" {
		t.Errorf("groups = %v", titles)
	}
}

func TestEntryOrderFollowsTheWriter(t *testing.T) {
	// Scoped entries sort by scope, then subject; unscoped ones compare
	// "greater" than anything (compare-func with a null scope), so where
	// they land depends on the input order exactly as in V8.
	rel := Release{Version: "1.1.0", Date: day("2026-01-01"), Entries: entries(
		"1", "feat(node): Add support for changelog.json",
		"2", "feat(java-monorepo): Switch to using .repo-metadata.json",
		"3", "feat: Add support for yarn workspace versions",
		"4", "feat: Add Salesforce strategy",
	)}
	var got []string
	for _, l := range Build(rel, Options{}).Groups[0].Entries {
		got = append(got, l.SHA)
	}
	if strings.Join(got, "") != "2143" {
		t.Errorf("order = %v", got)
	}
}

func TestLocaleCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"apple", "Banana", -1},
		{"a", "A", -1},
		{"Add S", "Add s", 1},
		{"Add Salesforce", "Add support", -1},
		{"x-y", "x_y", 1},
		{"v2", "va", -1},
		{"same", "same", 0},
		{"ab", "abc", -1},
	}
	for _, tt := range tests {
		if got := localeCompare(tt.a, tt.b); got != tt.want {
			t.Errorf("localeCompare(%q,%q)=%d want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestSubjectEscapingAndLinks(t *testing.T) {
	rel := Release{Version: "1.0.1", Date: day("2026-01-01"), Entries: entries(
		"abc1234567", "fix: handle <a> and <b> for @octo-cat in #12\n\nRefs: #12\nCloses #13")}
	n := Build(rel, Options{RepoURL: "https://github.com/o/r"})
	l := n.Groups[0].Entries[0]
	want := "handle &lt;a&gt; and <b> for [@octo-cat](https://github.com/octo-cat) in [#12](https://github.com/o/r/issues/12) ([abc1234](https://github.com/o/r/commit/abc1234567)), closes [#13](https://github.com/o/r/issues/13)"
	if l.Markdown != want {
		t.Errorf("got  %s\nwant %s", l.Markdown, want)
	}
}

func TestCalloutsForDeprecationsAndUpgradeNotes(t *testing.T) {
	rel := Release{Version: "2.0.0", Date: day("2026-01-01"), Entries: entries(
		"1111111", "feat(api)!: v2 endpoints\n\nBREAKING CHANGE: v1 is gone\nDeprecated: the /old path\nMigration: call /v2 instead\nCo-authored-by: A <a@x>")}
	n := Build(rel, Options{})
	if len(n.Breaking) != 1 || n.Breaking[0].Text != "v1 is gone" || n.Breaking[0].Scope != "api" {
		t.Errorf("breaking = %+v", n.Breaking)
	}
	if len(n.Deprecations) != 1 || n.Deprecations[0].Text != "the /old path" {
		t.Errorf("deprecations = %+v", n.Deprecations)
	}
	if len(n.Upgrade) != 1 || n.Upgrade[0].Text != "call /v2 instead" {
		t.Errorf("upgrade = %+v", n.Upgrade)
	}
	md := MarkdownNotes(n)
	if !strings.Contains(md, "### Deprecations\n\n* **api:** the /old path") {
		t.Errorf("markdown:\n%s", md)
	}
}

func TestDependenciesSection(t *testing.T) {
	rel := Release{Version: "1.0.1", Date: day("2026-01-01"), Dependencies: []DependencyUpdate{
		{Kind: "dependencies", Name: "@acme/core", From: "^1.0.0", To: "^1.1.0"}}}
	got := Markdown(rel, Options{})
	want := "## 1.0.1 (2026-01-01)\n\n\n### Dependencies\n\n* The following workspace dependencies were updated\n  * dependencies\n    * @acme/core bumped from ^1.0.0 to ^1.1.0"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestPrepend(t *testing.T) {
	if got := Prepend("", "## 1.0.0 (x)"); got != "# Changelog\n\n## 1.0.0 (x)\n" {
		t.Errorf("new file: %q", got)
	}
	old := "# Changelog\n\nSome preamble.\n\n## [1.0.0](u) (d)\n\n* a\n"
	want := "# Changelog\n\nSome preamble.\n\n## [1.1.0](u) (e)\n\n## [1.0.0](u) (d)\n\n* a\n"
	if got := Prepend(old, "## [1.1.0](u) (e)"); got != want {
		t.Errorf("got %q", got)
	}
}

func TestTemplate(t *testing.T) {
	tpl, err := ParseTemplate("t", "{{.Version}}:{{range .Groups}}{{.Title}}={{len .Entries}};{{end}}")
	if err != nil {
		t.Fatal(err)
	}
	n := Build(Release{Version: "1.2.0", Entries: entries("1", "feat: a", "2", "fix: b", "3", "feat: c")}, Options{})
	got, err := tpl.Render(n)
	if err != nil || got != "1.2.0:Features=2;Bug Fixes=1;" {
		t.Errorf("got %q %v", got, err)
	}
	if _, err := ParseTemplate("bad.tmpl", "{{.Version"); err == nil || !strings.Contains(err.Error(), "bad.tmpl") {
		t.Errorf("bad template error = %v", err)
	}
}

func TestJSSortMatchesV8OnConsistentComparators(t *testing.T) {
	a := []int{5, 3, 9, 1, 1, 8, 2, 7, 0, 6, 4}
	jsSort(a, func(x, y int) int { return x - y })
	for i := 1; i < len(a); i++ {
		if a[i-1] > a[i] {
			t.Fatalf("not sorted: %v", a)
		}
	}
	long := make([]int, 200)
	for i := range long {
		long[i] = (i * 7919) % 200
	}
	jsSort(long, func(x, y int) int { return x - y })
	for i := range long {
		if long[i] != i {
			t.Fatalf("long sort wrong at %d: %d", i, long[i])
		}
	}
}

func TestRepoURLFromRemote(t *testing.T) {
	tests := map[string]string{
		"git@github.com:o/r.git":                "https://github.com/o/r",
		"https://github.com/o/r.git":            "https://github.com/o/r",
		"https://tok@github.com/o/r":            "https://github.com/o/r",
		"ssh://git@gitlab.example.com:22/g/s/r": "https://gitlab.example.com/g/s/r",
		"/srv/git/r.git":                        "",
		"file:///srv/git/r.git":                 "",
		"https://github.com":                    "",
	}
	for in, want := range tests {
		if got := RepoURLFromRemote(in); got != want {
			t.Errorf("%q -> %q, want %q", in, got, want)
		}
	}
}

func FuzzRepoURLFromRemote(f *testing.F) {
	f.Add("git@github.com:o/r.git")
	f.Add("https://a@b/c/d")
	f.Fuzz(func(t *testing.T, s string) {
		if u := RepoURLFromRemote(s); u != "" && !strings.HasPrefix(u, "https://") {
			t.Fatalf("%q -> %q", s, u)
		}
	})
}

// TestCalloutHeadsReleasesWithDeprecations: a release that deprecates or
// removes something starts with a warning block naming the sections to
// read; the hotfix releases it supersedes are named under it; a chore's
// deprecation shows too.
func TestCalloutHeadsReleasesWithDeprecations(t *testing.T) {
	rel := Release{Version: "2.0.0", Tag: "v2.0.0", PreviousTag: "v1.4.0", Date: day("2027-01-02"),
		Supersedes: []string{"v1.3.4", "v1.3.5"},
		Removed:    []Note{{Text: "the /v1/orders endpoint (deprecated in 1.3.0)"}},
		Entries: entries(
			"2222222", "feat(api)!: drop v1\n\nBREAKING CHANGE: the /v1/orders endpoint is gone",
			"3333333", "chore(config): rename retries\n\nDeprecated: the retries key; remove after 2027-06-01",
		)}
	got := Markdown(rel, Options{})
	want := `## 2.0.0 (2027-01-02)

> [!WARNING]
> This release has 1 breaking change and 1 deprecation: read ⚠ BREAKING CHANGES and Deprecations below before upgrading.
> Removes the /v1/orders endpoint (deprecated in 1.3.0).

Includes fixes first released in v1.3.4 and v1.3.5.

### ⚠ BREAKING CHANGES

* **api:** the /v1/orders endpoint is gone

### Deprecations

* **config:** the retries key; remove after 2027-06-01

### Features

* **api:** drop v1 2222222`
	if got != want {
		t.Errorf("got:\n%s\n\nwant:\n%s", got, want)
	}
	n := Build(rel, Options{})
	if len(n.Supersedes) != 2 || len(n.Removed) != 1 || len(n.Deprecations) != 1 {
		t.Errorf("notes: %+v", n)
	}
	// Without deprecations or removals the layout is release-please's.
	plain := Release{Version: "1.3.1", Date: day("2027-01-02"), Supersedes: []string{"v1.2.4"}, Entries: entries("4444444", "fix: x")}
	if got := Markdown(plain, Options{}); got != "## 1.3.1 (2027-01-02)\n\nIncludes fixes first released in v1.2.4.\n\n### Bug Fixes\n\n* x 4444444" {
		t.Errorf("supersedes only: %q", got)
	}
}
