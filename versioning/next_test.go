package versioning

import (
	"context"
	"github.com/slipway/slipway/changelog"
	"strings"
	"testing"
)

// The worked example of shared/contracts/README.md.
func TestContractExample(t *testing.T) {
	f := newFixture(t)
	f.commit("chore: init")
	f.tag("v1.2.3")
	f.commit("fix: handle empty digest")
	f.commit("feat(api): add rollback endpoint")
	r := f.next(Request{})
	if r.Component != "" || r.Current != "1.2.3" || r.Next != "1.3.0" || r.Bump != "minor" || r.Tag != "v1.3.0" || r.Commits != 2 || r.Breaking {
		t.Fatalf("got %+v", r)
	}
	f.commit("docs: more")
	f.tag("v1.3.0")
	f.commit("chore: tidy")
	f.commit("docs: typo")
	r = f.next(Request{})
	if r.Current != "1.3.0" || r.Next != "1.3.0" || r.Bump != "none" || r.Commits != 2 || r.Released {
		t.Fatalf("nothing releasable: %+v", r)
	}
}

// Each case is a history after tag v<start> and the expected next version
// under a preset.
func TestBumpRules(t *testing.T) {
	tests := []struct {
		name   string
		start  string // "" = no tag
		rules  Rules
		msgs   []string
		next   string
		bump   string
		breaks bool
	}{
		{"rp patch", "1.0.0", Rules{}, []string{"fix: a", "chore: b"}, "1.0.1", "patch", false},
		{"rp perf is patch", "1.0.0", Rules{}, []string{"perf: a"}, "1.0.1", "patch", false},
		{"rp hidden only", "1.0.0", Rules{}, []string{"chore: a", "ci: b", "not conventional"}, "1.0.0", "none", false},
		{"rp bang is major", "1.4.2", Rules{}, []string{"feat!: a", "fix: b"}, "2.0.0", "major", true},
		{"rp footer is major", "1.4.2", Rules{}, []string{"fix: a\n\nBREAKING CHANGE: b"}, "2.0.0", "major", true},
		{"rp hidden type breaking", "1.4.2", Rules{}, []string{"chore!: drop node 8"}, "2.0.0", "major", true},
		{"rp Feat is not a feature", "1.0.0", Rules{}, []string{"Feat: capital"}, "1.0.1", "patch", false},
		{"rp feature alias", "1.0.0", Rules{}, []string{"feature: x"}, "1.1.0", "minor", false},
		{"rp pre-major breaking", "0.3.1", Rules{}, []string{"feat!: a"}, "1.0.0", "major", true},
		{"rp bump-minor-pre-major", "0.3.1", Rules{BumpMinorPreMajor: true}, []string{"feat!: a"}, "0.4.0", "minor", true},
		{"rp bump-patch-for-minor-pre-major", "0.3.1", Rules{BumpPatchForMinorPreMajor: true}, []string{"feat: a"}, "0.3.2", "patch", false},
		{"rp options ignored at 1.x", "1.3.1", Rules{BumpMinorPreMajor: true, BumpPatchForMinorPreMajor: true}, []string{"feat!: a"}, "2.0.0", "major", true},
		{"rp first release", "", Rules{}, []string{"fix: a"}, "1.0.0", "major", false},
		{"rp nothing ever", "", Rules{}, []string{"chore: a"}, "0.0.0", "none", false},
		{"rp squash extra feat", "1.0.0", Rules{}, []string{"fix: a\n\nfeat(x): hidden in the body"}, "1.1.0", "minor", false},
		{"rp release-as footer", "1.0.0", Rules{}, []string{"chore: go big\n\nRelease-As: 3.0.0", "fix: b"}, "3.0.0", "major", false},
		{"rp oldest release-as wins", "1.0.0", Rules{}, []string{"chore: a\n\nRelease-As: 2.5.0", "chore: b\n\nRelease-As: 2.0.0"}, "2.5.0", "major", false},
		{"rp release-as config", "1.0.0", Rules{ReleaseAs: "1.5.0"}, []string{"chore: a"}, "1.5.0", "minor", false},
		{"rp hidden section made visible", "1.0.0", Rules{Sections: []changelog.Section{{Type: "docs", Section: "Docs"}}}, []string{"docs: a"}, "1.0.1", "patch", false},

		{"sr feat", "1.0.0", Rules{Preset: PresetSemanticRelease}, []string{"feat(api): a", "fix: b"}, "1.1.0", "minor", false},
		{"sr bang alone is nothing", "1.0.0", Rules{Preset: PresetSemanticRelease}, []string{"feat!: a"}, "1.0.0", "none", false},
		{"sr footer is major", "1.0.0", Rules{Preset: PresetSemanticRelease}, []string{"refactor: a\n\nBREAKING CHANGE: b"}, "2.0.0", "major", true},
		{"sr perf patch", "1.0.0", Rules{Preset: PresetSemanticRelease}, []string{"perf: a"}, "1.0.1", "patch", false},
		{"sr docs nothing", "1.0.0", Rules{Preset: PresetSemanticRelease}, []string{"docs: a", "chore: b"}, "1.0.0", "none", false},
		{"sr revert of old commit is patch", "1.0.0", Rules{Preset: PresetSemanticRelease}, []string{"Revert \"feat: x\"\n\nThis reverts commit 0123456789abcdef0123456789abcdef01234567."}, "1.0.1", "patch", false},
		{"sr squash extras ignored", "1.0.0", Rules{Preset: PresetSemanticRelease}, []string{"fix: a\n\nfeat(x): not read"}, "1.0.1", "patch", false},
		{"sr first release", "", Rules{Preset: PresetSemanticRelease}, []string{"feat: a"}, "1.0.0", "major", false},

		// Breaking changes below 1.0.0, preset by preset: release-please's
		// bump-minor-pre-major and bump-patch-for-minor-pre-major; the
		// conventionalcommits preset takes the same options; semantic-release
		// has no pre-major case (get-next-version.js: semver.inc(last,
		// "major"), so 0.x breaks to 1.0.0, options or not).
		{"rp BREAKING-CHANGE footer pre-major", "0.3.1", Rules{BumpMinorPreMajor: true}, []string{"fix: a\n\nBREAKING-CHANGE: b"}, "0.4.0", "minor", true},
		{"rp both pre-major options, breaking wins", "0.3.1", Rules{BumpMinorPreMajor: true, BumpPatchForMinorPreMajor: true}, []string{"feat!: a", "feat: b"}, "0.4.0", "minor", true},
		{"rp 0.0.x breaking with bump-minor-pre-major", "0.0.3", Rules{BumpMinorPreMajor: true}, []string{"feat!: a"}, "0.1.0", "minor", true},
		{"rp patch option alone leaves breaking major", "0.3.1", Rules{BumpPatchForMinorPreMajor: true}, []string{"fix!: a"}, "1.0.0", "major", true},
		{"sr pre-major breaking is 1.0.0", "0.3.1", Rules{Preset: PresetSemanticRelease}, []string{"refactor: a\n\nBREAKING CHANGE: b"}, "1.0.0", "major", true},
		{"sr ignores the pre-major options", "0.3.1", Rules{Preset: PresetSemanticRelease, BumpMinorPreMajor: true, BumpPatchForMinorPreMajor: true}, []string{"feat: a\n\nBREAKING CHANGE: b", "feat: c"}, "1.0.0", "major", true},
		{"sr pre-major feat is minor", "0.3.1", Rules{Preset: PresetSemanticRelease, BumpPatchForMinorPreMajor: true}, []string{"feat: a"}, "0.4.0", "minor", false},
		{"cc pre-major breaking without options", "0.3.1", Rules{Preset: PresetConventional}, []string{"feat!: a"}, "1.0.0", "major", true},
		{"cc bump-minor-pre-major", "0.3.1", Rules{Preset: PresetConventional, BumpMinorPreMajor: true}, []string{"fix!: a"}, "0.4.0", "minor", true},
		{"cc bump-patch-for-minor-pre-major", "0.3.1", Rules{Preset: PresetConventional, BumpPatchForMinorPreMajor: true}, []string{"feat: a"}, "0.3.2", "patch", false},

		{"cc bang", "1.0.0", Rules{Preset: PresetConventional}, []string{"fix!: a"}, "2.0.0", "major", true},
		{"cc custom table", "1.0.0", Rules{Preset: PresetConventional, Types: map[string]Bump{"docs": BumpPatch, "feat": BumpMinor}}, []string{"docs: a"}, "1.0.1", "patch", false},
		{"cc default table ignores chore", "1.0.0", Rules{Preset: PresetConventional}, []string{"chore: a"}, "1.0.0", "none", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.commit("chore: init")
			if tt.start != "" {
				f.tag("v" + tt.start)
			}
			for _, m := range tt.msgs {
				f.commit(m)
			}
			r := f.next(Request{Rules: tt.rules})
			if r.Next != tt.next || r.Bump != tt.bump || r.Breaking != tt.breaks {
				t.Fatalf("got next=%s bump=%s breaking=%v, want %s %s %v", r.Next, r.Bump, r.Breaking, tt.next, tt.bump, tt.breaks)
			}
			if r.Bump != "none" && r.Tag != "v"+tt.next {
				t.Errorf("tag = %s", r.Tag)
			}
		})
	}
}

// TestRevertRules: the same history under each rule. Slipway's cancel
// rule drops a revert and its target; release-please counts both as
// written; semantic-release's filter drops both, and the revert of the
// revert brings the feature back under each dropping rule.
func TestRevertRules(t *testing.T) {
	f := newFixture(t)
	f.commit("chore: init")
	f.tag("v1.0.0")
	feat := f.commit("feat: risky thing")
	f.commit("Revert \"feat: risky thing\"\n\nThis reverts commit " + feat + ".")
	f.commit("docs: note")
	for _, c := range []struct {
		rules   Rules
		next    string
		entries int
	}{
		{Rules{Reverts: RevertsCancel}, "1.0.0", 1},
		{Rules{Preset: PresetConventional}, "1.0.0", 1},
		{Rules{}, "1.1.0", 3},
		{Rules{Reverts: RevertsKeep}, "1.1.0", 3},
		{Rules{KeepReverts: true}, "1.1.0", 3},
		{Rules{Preset: PresetSemanticRelease}, "1.0.0", 1},
		{Rules{Preset: PresetSemanticRelease, Reverts: RevertsKeep}, "1.1.0", 3},
	} {
		for _, summary := range []bool{false, true} {
			r := f.next(Request{Rules: c.rules, SummaryOnly: summary})
			if r.Next != c.next || r.Commits != 3 || !summary && len(r.Entries) != c.entries {
				t.Errorf("%+v (summary %v): next %s, %d commits, %d entries; want %s, 3, %d", c.rules, summary, r.Next, r.Commits, len(r.Entries), c.next, c.entries)
			}
		}
	}
	// A revert of the revert brings the feature back.
	f.commit("Revert \"Revert \"feat: risky thing\"\"\n\nThis reverts commit " + f.git("rev-parse", "HEAD~1") + ".")
	for _, rules := range []Rules{{Reverts: RevertsCancel}, {Preset: PresetSemanticRelease}} {
		for _, summary := range []bool{false, true} {
			if r := f.next(Request{Rules: rules, SummaryOnly: summary}); r.Next != "1.1.0" {
				t.Errorf("%+v (summary %v): revert of revert: %+v", rules, summary, r)
			}
		}
	}
}

func TestPrereleaseSequence(t *testing.T) {
	f := newFixture(t)
	f.commit("chore: init")
	f.tag("v1.2.3")
	f.commit("feat: a")
	step := func(pre, want string) {
		t.Helper()
		r := f.next(Request{Prerelease: pre})
		if r.Next != want || r.Tag != "v"+want {
			t.Fatalf("%s: got %s (%+v)", pre, r.Next, r)
		}
	}
	step("rc", "1.3.0-rc.1")
	step("rc", "1.3.0-rc.1") // nothing tagged yet: same answer
	f.tag("v1.3.0-rc.1")
	step("rc", "1.3.0-rc.1") // already tags the target: idempotent
	f.commit("fix: b")
	step("rc", "1.3.0-rc.2")
	step("beta", "1.3.0-beta.1")
	f.tag("v1.3.0-rc.2")
	f.commit("feat!: c")
	step("rc", "2.0.0-rc.1") // the target moved: numbering restarts
	r := f.next(Request{})
	if r.Next != "2.0.0" || r.Current != "1.2.3" {
		t.Fatalf("stable after prereleases: %+v", r)
	}
	if _, err := Next(context.Background(), Request{Dir: f.dir, Prerelease: "r c"}); err == nil {
		t.Fatal("bad prerelease id accepted")
	}
}

func TestBadTagsAreIgnored(t *testing.T) {
	f := newFixture(t)
	f.commit("chore: init")
	f.tag("v1.2.3")
	f.commit("fix: a")
	for _, bad := range []string{"latest", "v1.3", "v9.9.9.9", "vnext", "1.9.0", "v01.2.3", "api-v5.0.0"} {
		f.tag(bad)
	}
	r := f.next(Request{})
	if r.Current != "1.2.3" || r.Next != "1.2.4" {
		t.Fatalf("got %+v", r)
	}
}

func TestComponentPathsAndTagFormats(t *testing.T) {
	f := newFixture(t)
	f.commit("chore: init", "api/a.go", "web/w.js")
	f.tag("api-v1.0.0")
	f.tag("web/v2.0.0")
	f.commit("feat(ui): button", "web/w.js")
	f.commit("fix: api bug", "api/a.go")
	f.commit("feat: both", "api/a.go", "web/w.js")
	f.commit("docs: readme", "README.md")

	api := f.next(Request{Component: "api", Paths: []string{"api"}, TagFormat: "{component}-v{version}"})
	if api.Current != "1.0.0" || api.Next != "1.1.0" || api.Commits != 2 || api.Tag != "api-v1.1.0" {
		t.Errorf("api: %+v", api)
	}
	web := f.next(Request{Component: "web", Paths: []string{"web/"}, TagFormat: "{component}/v{version}"})
	if web.Current != "2.0.0" || web.Next != "2.1.0" || web.Commits != 2 || web.Tag != "web/v2.1.0" {
		t.Errorf("web: %+v", web)
	}
	// Scope is cosmetic: "feat(ui)" counts for web because of its path.
	excl := f.next(Request{Component: "web", Paths: []string{"web"}, ExcludePaths: []string{"web/w.js"}, TagFormat: "{component}/v{version}"})
	if excl.Commits != 0 || excl.Bump != "none" {
		t.Errorf("exclude: %+v", excl)
	}
	if _, err := Next(context.Background(), Request{Dir: f.dir, TagFormat: "{component}-v{version}"}); err == nil || !strings.Contains(err.Error(), "--component") {
		t.Errorf("missing component: %v", err)
	}
}

func TestTargetAndLastReleaseOverride(t *testing.T) {
	f := newFixture(t)
	f.commit("chore: init")
	f.tag("v1.0.0")
	fix := f.commit("fix: a")
	f.commit("feat: b")
	r := f.next(Request{Target: fix})
	if r.Next != "1.0.1" || r.TargetSHA != fix || r.Commits != 1 {
		t.Fatalf("target: %+v", r)
	}
	r = f.next(Request{LastReleaseSHA: fix, CurrentVersion: "1.0.1"})
	if r.Current != "1.0.1" || r.Next != "1.1.0" || r.Commits != 1 {
		t.Fatalf("last-release-sha: %+v", r)
	}
	if _, err := Next(context.Background(), Request{Dir: f.dir, Target: "no-such-ref"}); err == nil || !strings.Contains(err.Error(), "no-such-ref") {
		t.Fatalf("bad target: %v", err)
	}
}

func TestPeopleIncludeCoAuthors(t *testing.T) {
	f := newFixture(t)
	f.commit("chore: init")
	f.tag("v1.0.0")
	f.commit("feat: pair work\n\nCo-authored-by: Bo Li <bo@example.com>\nCo-authored-by: ann <ANN@example.com>")
	r := f.next(Request{})
	var emails []string
	for _, p := range r.People() {
		emails = append(emails, p.Email)
	}
	if strings.Join(emails, ",") != "ann@example.com,cid@example.com,bo@example.com" {
		t.Fatalf("people = %v", emails)
	}
}

// The highest tag is tried first and confirmed during the read; when it is
// on another branch, the highest reachable one is used.
func TestHighestTagOnAnotherBranch(t *testing.T) {
	f := newFixture(t)
	f.commit("chore: init")
	f.tag("v1.0.0")
	f.git("checkout", "-q", "-b", "release-2")
	f.commit("feat!: v2 line")
	f.tag("v2.0.0")
	f.git("checkout", "-q", "main")
	f.commit("fix: on main")
	r := f.next(Request{})
	if r.Current != "1.0.0" || r.Next != "1.0.1" || r.Commits != 1 {
		t.Fatalf("got %+v", r)
	}
	f.git("checkout", "-q", "release-2")
	f.commit("fix: on v2")
	if r := f.next(Request{}); r.Current != "2.0.0" || r.Next != "2.0.1" || r.Commits != 1 {
		t.Fatalf("release-2: %+v", r)
	}
}
