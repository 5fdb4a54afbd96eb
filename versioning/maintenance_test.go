package versioning

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
)

var ctxb = context.Background()

func vs(list ...string) []*semver.Version {
	var out []*semver.Version
	for _, s := range list {
		out = append(out, semver.MustParse(s))
	}
	return out
}

// TestNormalizeMaintenanceMatchesSemanticRelease replays the maintenance
// cases of semantic-release's test/branches/normalize.test.js: the same
// branches and tags give the same ranges and accepted release types.
func TestNormalizeMaintenanceMatchesSemanticRelease(t *testing.T) {
	type want struct{ name, rng, merge, accept string }
	tests := []struct {
		name       string
		branches   []srMaintenance
		release    []*semver.Version
		hasRelease bool
		want       []want
	}{
		{
			name: "initial state",
			branches: []srMaintenance{
				{name: "1.x", spec: "1.x"}, {name: "1.1.x", spec: "1.1.x"}, {name: "1.2.x", spec: "1.2.x"},
			},
			hasRelease: true,
			want: []want{
				{"1.1.x", ">=1.1.0 <1.0.0", ">=1.1.0 <1.2.0", ""},
				{"1.2.x", ">=1.2.0 <1.0.0", ">=1.2.0 <1.3.0", ""},
				{"1.x", ">=1.3.0 <1.0.0", ">=1.3.0 <2.0.0", ""},
			},
		},
		{
			name: "cap range to first release present on default branch and not in any maintenance one",
			branches: []srMaintenance{
				{name: "1.x", spec: "1.x", versions: vs("1.0.0", "1.1.0", "1.1.1", "1.2.0", "1.2.1", "1.3.0", "1.4.0", "1.5.0")},
				{name: "name", spec: "1.1.x", versions: vs("1.0.0", "1.0.1", "1.1.0", "1.1.1")},
				{name: "1.2.x", spec: "1.2.x", versions: vs("1.0.0", "1.1.0", "1.1.1", "1.2.0", "1.2.1")},
				{name: "2.x.x", spec: "2.x.x", versions: vs("1.0.0", "1.1.0", "1.1.1", "1.2.0", "1.2.1", "1.5.0")},
			},
			release:    vs("1.0.0", "1.1.0", "1.1.1", "1.2.0", "1.2.1", "1.3.0", "1.4.0", "1.5.0", "1.6.0", "2.0.0"),
			hasRelease: true,
			want: []want{
				{"name", ">=1.1.1 <1.2.0", ">=1.1.0 <1.2.0", "patch"},
				{"1.2.x", ">=1.2.1 <1.3.0", ">=1.2.0 <1.3.0", "patch"},
				{"1.x", ">=1.5.0 <1.6.0", ">=1.3.0 <2.0.0", "patch"},
				{"2.x.x", ">=2.0.0 <1.6.0", ">=2.0.0 <3.0.0", ""},
			},
		},
		{
			name: "cap range to default branch last release if all release are also present on maintenance branch",
			branches: []srMaintenance{
				{name: "1.x", spec: "1.x", versions: vs("1.0.0", "1.2.0", "1.3.0")},
				{name: "2.x.x", spec: "2.x.x", versions: vs("1.0.0", "1.2.0", "1.3.0", "2.0.0")},
			},
			release:    vs("1.0.0", "1.2.0", "1.3.0", "2.0.0"),
			hasRelease: true,
			want: []want{
				{"1.x", ">=1.3.0 <2.0.0", ">=1.0.0 <2.0.0", "patch,minor"},
				{"2.x.x", ">=2.0.0 <2.0.0", ">=2.0.0 <3.0.0", ""},
			},
		},
	}
	for _, tt := range tests {
		got := normalizeMaintenance(tt.branches, tt.release, tt.hasRelease)
		if len(got) != len(tt.want) {
			t.Fatalf("%s: %d branches", tt.name, len(got))
		}
		for i, w := range tt.want {
			g := got[i]
			if g.name != w.name || srRange(g.min, g.max) != w.rng || srRange(g.mergeMin, g.mergeMax) != w.merge || strings.Join(g.accept, ",") != w.accept {
				t.Errorf("%s: branch %d = %s %s merge %s accept %v; want %+v", tt.name, i, g.name, srRange(g.min, g.max), srRange(g.mergeMin, g.mergeMax), g.accept, w)
			}
		}
	}
}

// TestSemverDiff pins node-semver's diff on the pairs a range can have.
func TestSemverDiff(t *testing.T) {
	for _, c := range [][3]string{
		{"1.2.3", "1.3.0", "minor"}, {"1.2.3", "2.0.0", "major"}, {"1.0.1", "1.0.2", "patch"},
		{"1.2.3", "1.3.0-rc.1", "preminor"}, {"1.2.3", "2.0.0-0", "premajor"}, {"1.0.0-rc.1", "1.0.0", "major"},
		{"1.2.0-rc.1", "1.2.0", "minor"}, {"1.2.3-rc.1", "1.2.3", "patch"}, {"1.2.3-a", "1.2.3-b", "prerelease"},
	} {
		if got := semverDiff(semver.MustParse(c[0]), semver.MustParse(c[1])); got != c[2] {
			t.Errorf("diff(%s, %s) = %s, want %s", c[0], c[1], got, c[2])
		}
	}
}

func TestBranchNames(t *testing.T) {
	p, err := ParseBranchPattern("")
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Name("api", semver.MustParse("1.2.3")); got != "hotfix/api/v1.2" {
		t.Errorf("default name %s", got)
	}
	lines := map[string]string{
		"hotfix/api/v1.2": "1.2.x", "hotfix/api/v10.0": "10.0.x", "1.2.x": "1.2.x", "1.x": "1.x", "1.x.x": "1.x.x",
		"hotfix/api/1.2.x": "1.2.x", "hotfix/api/2.x": "2.x",
		"hotfix/web/v1.2": "", "hotfix/api/v1": "", "hotfix/api/v01.2": "", "1.X": "", "main": "", "1.2.3": "",
		"hotfix/api/v1.2.x": "", "v1.2.x": "", "x.x": "", "hotfix/api/v1.2/more": "",
	}
	for name, want := range lines {
		l, ok := p.Line(name, "api")
		if got := map[bool]string{true: l.Spec, false: ""}[ok]; got != want {
			t.Errorf("Line(%q) = %q, want %q", name, got, want)
		}
	}
	major, err := ParseBranchPattern("release/{service}-{major}")
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := major.Line("release/api-3", "api"); !ok || !l.AnyMinor || l.Spec != "3.x" || !l.Contains(semver.MustParse("3.9.1")) || l.Contains(semver.MustParse("4.0.0")) {
		t.Errorf("major-line pattern: %+v %v", l, ok)
	}
	for _, bad := range []string{"hotfix/{service}", "hotfix/{major}{minor}", "hotfix/{major}/{oops}", "hotfix/{major}/{major}", "hotfix/{major}..{minor}", "hotfix/{major", "-h/{major}", "x/{major}1"} {
		if _, err := ParseBranchPattern(bad); err == nil {
			t.Errorf("pattern %q must be refused", bad)
		}
	}
}

// FuzzMaintenanceBranchName: the branch-name reader never panics, every
// name it accepts is a line of the pattern or of semantic-release, and a
// pattern's own names read back as their line.
func FuzzMaintenanceBranchName(f *testing.F) {
	for _, s := range []string{"hotfix/api/v1.2", "1.2.x", "1.x.x", "hotfix/api/2.x", "hotfix/api/v999999999.1", "hotfix/api/v1.2/x"} {
		f.Add("", s, uint64(1), uint64(2))
	}
	f.Add("rel/{service}/{major}", "rel/api/7", uint64(7), uint64(0))
	f.Add("x/{major}1", "x/11", uint64(1), uint64(0))
	f.Fuzz(func(t *testing.T, pattern, name string, major, minor uint64) {
		p, err := ParseBranchPattern(pattern)
		if err != nil {
			return
		}
		if l, ok := p.Line(name, "api"); ok {
			if !strings.HasSuffix(l.Spec, ".x") || !l.Lower().LessThan(l.Upper()) {
				t.Fatalf("%q/%q: bad line %+v", pattern, name, l)
			}
		}
		major, minor = major%1000, minor%1000
		own := p.name("api", major, minor)
		l, ok := p.Line(own, "api")
		if !ok || l.Major != major || !l.AnyMinor && l.Minor != minor {
			t.Fatalf("pattern %q: its own name %q reads as %+v %v", pattern, own, l, ok)
		}
	})
}

// hotfixRepo: main released v1.2.3 then v1.3.0; hotfix/api/v1.2 starts at
// v1.2.3.
func hotfixRepo(t *testing.T) *fixture {
	f := newFixture(t)
	f.commit("feat: orders")
	f.tag("api-v1.2.3")
	f.commit("feat: export")
	f.tag("api-v1.3.0")
	f.commit("feat: something newer, unreleased")
	f.git("branch", "hotfix/api/v1.2", "api-v1.2.3")
	f.git("checkout", "-q", "hotfix/api/v1.2")
	return f
}

var apiHotfix = Request{Component: "api", TagFormat: "{component}-v{version}", Branches: &BranchPolicy{Release: "main"}}

func TestMaintenanceBranchReleasesPatchesWhileMainIsAhead(t *testing.T) {
	f := hotfixRepo(t)
	f.commit("fix: negative quantities")
	r := f.next(apiHotfix)
	if r.Next != "1.2.4" || r.Tag != "api-v1.2.4" || r.Maintenance == nil || r.Maintenance.Branch != "hotfix/api/v1.2" || r.Maintenance.Range != ">=1.2.3 <1.3.0" || strings.Join(r.Maintenance.Accept, ",") != "patch" {
		t.Fatalf("first hotfix: %+v %+v", r, r.Maintenance)
	}
	f.tag("api-v1.2.4")
	f.commit("fix: rounding")
	if r = f.next(apiHotfix); r.Next != "1.2.5" || r.Maintenance.Range != ">=1.2.4 <1.3.0" {
		t.Fatalf("second hotfix: %+v %+v", r, r.Maintenance)
	}
	// Without the branch rules the same history computes the same patch
	// (the tags reachable from the branch decide), with no range.
	req := apiHotfix
	req.Branches = nil
	if r = f.next(req); r.Next != "1.2.5" || r.Maintenance != nil {
		t.Fatalf("no branch policy: %+v", r)
	}
	// The main line is never a maintenance branch.
	f.git("checkout", "-q", "main")
	f.commit("fix: on main")
	if r = f.next(apiHotfix); r.Next != "1.4.0" || r.Maintenance != nil {
		t.Fatalf("main: %+v", r)
	}
}

func TestMaintenanceBranchRefusals(t *testing.T) {
	f := hotfixRepo(t)
	feat := f.commit("feat: a feature on the hotfix branch")
	f.commit("fix: a fix")
	req := apiHotfix
	req.Dir = f.dir
	_, err := Next(ctxb, req)
	if !errors.Is(err, ErrOutOfRange) {
		t.Fatalf("a feat on a patch line: %v", err)
	}
	for _, want := range []string{"release 1.3.0 on maintenance branch hotfix/api/v1.2", "only versions >=1.2.3 <1.3.0", "patch releases only", "feat: a feature on the hotfix branch (" + feat[:7] + ")", "Move them to main (git cherry-pick)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "fix: a fix") {
		t.Errorf("the fix is not responsible:\n%v", err)
	}
	req.Prerelease = "rc"
	if _, err := Next(ctxb, req); !errors.Is(err, ErrPrereleaseOnMaintenance) || !strings.Contains(err.Error(), "hotfix/api/v1.2") {
		t.Errorf("prerelease on a hotfix branch: %v", err)
	}
	// A hotfix of main's latest release would take main's next patch.
	f.git("checkout", "-q", "-b", "hotfix/api/v1.3", "api-v1.3.0")
	f.commit("fix: urgent")
	req.Prerelease = ""
	_, err = Next(ctxb, req)
	if !errors.Is(err, ErrOutOfRange) || !strings.Contains(err.Error(), "only versions >=1.3.0 <1.3.0") || !strings.Contains(err.Error(), "main has released nothing above 1.3.0") {
		t.Errorf("empty range: %v", err)
	}
}

// TestSemanticReleaseBranchNamesAndRemotes: a 1.2.x branch known only as
// a remote-tracking branch is a maintenance branch too; with both a
// 1.x and a 1.2.x branch holding the commit, the narrower line decides.
func TestSemanticReleaseBranchNamesAndRemotes(t *testing.T) {
	f := hotfixRepo(t)
	fix := f.commit("fix: from a 1.2.x branch")
	bare := filepath.Join(t.TempDir(), "app.git")
	f.git("init", "-q", "--bare", bare)
	f.git("remote", "add", "origin", bare)
	f.git("push", "-q", "origin", fix+":refs/heads/1.2.x", "main", "--tags")
	f.git("fetch", "-q", "origin")
	f.git("checkout", "-q", "--detach", fix)
	f.git("branch", "-D", "hotfix/api/v1.2")
	req := apiHotfix
	req.Target = fix
	if r := f.next(req); r.Maintenance != nil {
		t.Fatalf("remote-tracking branches count only with a remote: %+v", r.Maintenance)
	}
	req.Branches = &BranchPolicy{Release: "main", Remote: "origin"}
	r := f.next(req)
	if r.Maintenance == nil || r.Maintenance.Branch != "1.2.x" || r.Maintenance.Ref != "refs/remotes/origin/1.2.x" || r.Next != "1.2.4" {
		t.Fatalf("remote 1.2.x: %+v %+v", r, r.Maintenance)
	}
	f.git("branch", "1.x", fix)
	if r = f.next(req); r.Maintenance.Branch != "1.2.x" {
		t.Errorf("narrower line should win: %+v", r.Maintenance)
	}
	// Without the main line the range cannot be bounded.
	req.Branches = &BranchPolicy{Release: "trunk", Remote: "origin"}
	req.Dir = f.dir
	if _, err := Next(ctxb, req); err == nil || !strings.Contains(err.Error(), `the main line "trunk" is not in`) {
		t.Errorf("missing main line: %v", err)
	}
}

func ExampleBranchPattern_Line() {
	p, _ := ParseBranchPattern("")
	for _, name := range []string{"hotfix/api/v1.2", "1.x", "hotfix/web/v1.2"} {
		l, ok := p.Line(name, "api")
		fmt.Println(name, ok, l.Spec, l.Lower(), l.Upper())
	}
	// Output:
	// hotfix/api/v1.2 true 1.2.x 1.2.0 1.3.0
	// 1.x true 1.x 1.0.0 2.0.0
	// hotfix/web/v1.2 false  0.0.0 0.1.0
}
