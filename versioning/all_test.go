package versioning

import (
	"context"
	"strings"
	"testing"

	"github.com/slipway/slipway/changelog"
)

func TestAllReleasesOnePass(t *testing.T) {
	f := newFixture(t)
	f.commit("feat: first")
	f.tag("v1.0.0")
	f.commit("fix: one")
	f.tag("v1.0.1")
	f.commit("not a tag") // ignored tag names below
	f.tag("nightly")
	f.commit("feat(api): two")
	feat := f.commit("feat: reverted later")
	f.commit("Revert \"feat: reverted later\"\n\nThis reverts commit " + feat + ".")
	f.tag("v1.1.0")
	f.commit("fix: unreleased")

	rels, err := AllReleases(context.Background(), Request{Dir: f.dir})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rels {
		var subjects []string
		for _, e := range r.Entries {
			subjects = append(subjects, e.Commit.Type+"("+e.Commit.Scope+"): "+e.Commit.Description)
		}
		got = append(got, r.Tag+"<"+r.PreviousTag+">="+strings.Join(subjects, "|"))
	}
	want := []string{
		"v1.1.0<v1.0.1>=feat(api): two", // "not a tag" shows in no section: not kept
		"v1.0.1<v1.0.0>=fix(): one",
		"v1.0.0<>=feat(): first",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	md := changelog.Markdown(rels[0], changelog.Options{RepoURL: "https://github.com/o/r"})
	if !strings.HasPrefix(md, "## [1.1.0](https://github.com/o/r/compare/v1.0.1...v1.1.0) (2026-03-04)\n\n\n### Features\n\n* **api:** two") {
		t.Errorf("markdown:\n%s", md)
	}
}

// On a merge, a commit of the side branch belongs to the first release
// that contains it, not to whichever tag the walk meets first.
func TestAllReleasesAttributesMergedBranches(t *testing.T) {
	f := newFixture(t)
	f.commit("feat: base")
	f.tag("v1.0.0")
	f.git("checkout", "-q", "-b", "side")
	f.commit("fix: on side", "side.txt")
	f.git("checkout", "-q", "main")
	f.commit("feat: on main", "main.txt")
	f.tag("v1.1.0")
	f.git("merge", "-q", "--no-ff", "-m", "Merge branch 'side'", "side")
	f.tag("v1.1.1")
	rels, err := AllReleases(context.Background(), Request{Dir: f.dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(rels) != 3 || len(rels[0].Entries) != 1 || rels[0].Entries[0].Commit.Description != "on side" {
		t.Fatalf("v1.1.1 = %+v", rels[0].Entries)
	}
	if len(rels[1].Entries) != 1 || rels[1].Entries[0].Commit.Description != "on main" {
		t.Fatalf("v1.1.0 = %+v", rels[1].Entries)
	}
}

// A revert of a commit that no section shows still cancels it (the hidden
// commit is kept until the revert has found it).
func TestAllReleasesCancelsRevertsOfHiddenCommits(t *testing.T) {
	f := newFixture(t)
	f.commit("feat: first")
	f.tag("v1.0.0")
	chore := f.commit("chore: try a thing")
	f.commit("revert: chore: try a thing\n\nThis reverts commit " + chore + ".")
	f.commit("fix: real")
	f.tag("v1.0.1")
	rels, err := AllReleases(context.Background(), Request{Dir: f.dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(rels[0].Entries) != 1 || rels[0].Entries[0].Commit.Description != "real" {
		t.Fatalf("v1.0.1 = %+v", rels[0].Entries)
	}
	r := f.next(Request{Target: "v1.0.1", LastReleaseSHA: "v1.0.0"})
	if len(r.Entries) != 1 {
		t.Fatalf("Next disagrees: %+v", r.Entries)
	}
}
