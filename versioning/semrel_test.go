package versioning

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
	"github.com/slipway/slipway/git"
)

// TestSemanticReleaseMatchesTheAnalyzer replays testdata/semantic-release:
// for each range (newest first), the release type that
// @semantic-release/commit-analyzer 13.0.1 itself returned (expected.json,
// written by oracle.mjs) or its failure. Both of Slipway's paths are
// checked: the commits kept (Next) and streamed (SummaryOnly).
func TestSemanticReleaseMatchesTheAnalyzer(t *testing.T) {
	var cases []struct {
		Name    string `json:"name"`
		Commits []struct {
			Hash    string `json:"hash"`
			Message string `json:"message"`
		} `json:"commits"`
	}
	var expected []struct {
		Name    string  `json:"name"`
		Release *string `json:"release"`
		Error   bool    `json:"error"`
	}
	for file, v := range map[string]any{"cases.json": &cases, "expected.json": &expected} {
		data, err := os.ReadFile("testdata/semantic-release/" + file)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, v); err != nil {
			t.Fatal(err)
		}
	}
	if len(cases) != len(expected) {
		t.Fatalf("%d cases, %d results: run oracle.mjs", len(cases), len(expected))
	}
	rules := Rules{Preset: PresetSemanticRelease}
	cur := semver.MustParse("1.0.0")
	for i, c := range cases {
		want := "none"
		if r := expected[i].Release; r != nil {
			want = *r
		}
		t.Run(c.Name, func(t *testing.T) {
			load := func() []Commit {
				var commits []Commit
				for _, m := range c.Commits {
					commits = append(commits, newCommit(&git.LogEntry{SHA: m.Hash, Message: m.Message}))
				}
				return commits
			}
			counted, err := rules.counted(load())
			if (err != nil) != expected[i].Error {
				t.Fatalf("error %v; the analyzer failed: %v", err, expected[i].Error)
			}
			st := newStreamTally(rules)
			var streamErr error
			for _, c := range load() {
				if streamErr = st.add(c); streamErr != nil {
					break
				}
			}
			if (streamErr != nil) != expected[i].Error {
				t.Fatalf("streaming error %v; the analyzer failed: %v", streamErr, expected[i].Error)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "semantic-release's commit parser fails") {
					t.Errorf("error does not say why: %v", err)
				}
				return
			}
			if got := rules.decide(cur, counted).bump.String(); got != want {
				t.Errorf("kept: %s, the analyzer says %s", got, want)
			}
			tl := st.close()
			if got := tl.decision(cur).bump.String(); got != want {
				t.Errorf("streamed: %s, the analyzer says %s", got, want)
			}
		})
	}
}

// TestSemanticReleaseRevertsInGit: reverts as git and people write them,
// committed to a real repository, under the semantic-release preset. The
// expectations are the analyzer's (the same shapes are in the oracle).
func TestSemanticReleaseRevertsInGit(t *testing.T) {
	sr := Rules{Preset: PresetSemanticRelease}
	for _, c := range []struct {
		name string
		// build makes the range after v1.0.0; before is committed first,
		// below the tag.
		before func(f *fixture) string
		build  func(f *fixture, old string)
		next   string
	}{
		{name: "git revert of a feature in the range: both drop", build: func(f *fixture, _ string) {
			f.commit("feat(api): add export")
			f.git("revert", "--no-edit", "HEAD")
		}, next: "1.0.0"},
		{name: "git revert of a feature in the range, with a fix", build: func(f *fixture, _ string) {
			f.commit("feat(api): add export")
			f.git("revert", "--no-edit", "HEAD")
			f.commit("fix(api): keep the old export")
		}, next: "1.0.1"},
		{name: "git revert of a feature released before: patch", before: func(f *fixture) string {
			return f.commit("feat(api): add export")
		}, build: func(f *fixture, old string) {
			f.git("revert", "--no-edit", old)
		}, next: "1.0.1"},
		{name: "revert of a revert: the feature is back", build: func(f *fixture, _ string) {
			f.commit("feat(api)!: drop the v1 routes\n\nBREAKING CHANGE: /v1 is gone")
			f.git("revert", "--no-edit", "HEAD")
			f.git("revert", "--no-edit", "HEAD")
		}, next: "2.0.0"},
		{name: "CRLF bodies: revert and target", build: func(f *fixture, _ string) {
			feat := f.commit("feat(ui): dark mode\r\n\r\nToggle in settings.\r\n")
			f.commit("Revert \"feat(ui): dark mode\"\r\n\r\nThis reverts commit " + feat + ".\r\n")
		}, next: "1.0.0"},
		{name: "CRLF revert of an older commit", before: func(f *fixture) string {
			return f.commit("feat(ui): dark mode")
		}, build: func(f *fixture, old string) {
			f.commit("Revert \"feat(ui): dark mode\"\r\n\r\nThis reverts commit " + old + ".\r\n")
		}, next: "1.0.1"},
		{name: "revert: header form", build: func(f *fixture, _ string) {
			feat := f.commit("feat(search): fuzzy matching")
			f.commit("revert: feat(search): fuzzy matching\n\nThis reverts commit " + feat + ".")
		}, next: "1.0.0"},
		{name: "lowercase revert with a quoted header", build: func(f *fixture, _ string) {
			feat := f.commit("feat(search): fuzzy matching")
			f.commit("revert \"feat(search): fuzzy matching\"\n\nThis reverts commit " + feat + ".")
		}, next: "1.0.0"},
		{name: "abbreviated hash: the feature still counts", build: func(f *fixture, _ string) {
			feat := f.commit("feat(search): fuzzy matching")
			f.commit("Revert \"feat(search): fuzzy matching\"\n\nThis reverts commit " + feat[:10] + ".")
		}, next: "1.1.0"},
		{name: "explanation above the hash line: the feature still counts", build: func(f *fixture, _ string) {
			feat := f.commit("feat(search): fuzzy matching")
			f.commit("Revert \"feat(search): fuzzy matching\"\n\nToo slow on large indexes.\n\nThis reverts commit " + feat + ".")
		}, next: "1.1.0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.commit("chore: init")
			old := ""
			if c.before != nil {
				old = c.before(f)
			}
			f.tag("v1.0.0")
			c.build(f, old)
			if r := f.next(Request{Rules: sr}); r.Next != c.next {
				t.Fatalf("next %s (%s), want %s\n%s", r.Next, r.Bump, c.next, f.git("log", "--format=%H %B", "v1.0.0..HEAD"))
			}
		})
	}
}

// TestSemanticReleaseParserFailure: a message the analyzer's parser throws
// on stops the release with an error naming the commit, in both paths.
func TestSemanticReleaseParserFailure(t *testing.T) {
	f := newFixture(t)
	f.commit("chore: init")
	f.tag("v1.0.0")
	bad := f.commit("feat: x\n\nBREAKING CHANGE: y\n--")
	for _, summary := range []bool{false, true} {
		_, err := Next(context.Background(), Request{Dir: f.dir, Rules: Rules{Preset: PresetSemanticRelease}, SummaryOnly: summary})
		if err == nil || !strings.Contains(err.Error(), bad[:12]) || !strings.Contains(err.Error(), "--preset release-please") {
			t.Errorf("summary %v: error %v", summary, err)
		}
	}
	// The other presets read the same message.
	if r := f.next(Request{}); r.Next != "2.0.0" {
		t.Errorf("release-please: %+v", r)
	}
}

func TestParseRevertRule(t *testing.T) {
	for in, want := range map[string]RevertRule{"": RevertsPreset, "cancel": RevertsCancel, "keep": RevertsKeep} {
		if got, err := ParseRevertRule(in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	if _, err := ParseRevertRule("semantic-release"); err == nil || !strings.Contains(err.Error(), "use cancel or keep") {
		t.Errorf("the internal rule must not be selectable: %v", err)
	}
}
