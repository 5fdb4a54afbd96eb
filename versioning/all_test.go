package versioning

import (
	"context"
	"errors"
	"github.com/slipway/slipway/git"
	"os"
	"os/exec"
	"sort"
	"strconv"
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

	rels, err := AllReleases(context.Background(), Request{Dir: f.dir, Rules: Rules{Reverts: RevertsCancel}})
	if err != nil {
		t.Fatal(err)
	}
	// release-please's own rule counts the reverted feature (its git
	// revert header is not conventional, so shows nowhere).
	rp, err := AllReleases(context.Background(), Request{Dir: f.dir})
	if err != nil {
		t.Fatal(err)
	}
	if md := changelog.Markdown(rp[0], changelog.Options{}); !strings.Contains(md, "* reverted later") {
		t.Fatalf("release-please v1.1.0:\n%s", md)
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
// commit is kept until the revert has found it), under Slipway's cancel
// rule and under semantic-release's filter alike.
func TestAllReleasesCancelsRevertsOfHiddenCommits(t *testing.T) {
	f := newFixture(t)
	f.commit("feat: first")
	f.tag("v1.0.0")
	chore := f.commit("chore: try a thing")
	f.commit("revert: chore: try a thing\n\nThis reverts commit " + chore + ".")
	f.commit("fix: real")
	f.tag("v1.0.1")
	for _, rules := range []Rules{{Reverts: RevertsCancel}, {Preset: PresetSemanticRelease}} {
		rels, err := AllReleases(context.Background(), Request{Dir: f.dir, Rules: rules})
		if err != nil {
			t.Fatal(err)
		}
		if len(rels[0].Entries) != 1 || rels[0].Entries[0].Commit.Description != "real" {
			t.Fatalf("%+v: v1.0.1 = %+v", rules, rels[0].Entries)
		}
		r := f.next(Request{Target: "v1.0.1", LastReleaseSHA: "v1.0.0", Rules: rules})
		if len(r.Entries) != 1 {
			t.Fatalf("%+v: Next disagrees: %+v", rules, r.Entries)
		}
	}
	// release-please shows the revert under Reverts and counts the chore
	// as written (hidden).
	rels, err := AllReleases(context.Background(), Request{Dir: f.dir})
	if err != nil {
		t.Fatal(err)
	}
	if md := changelog.Markdown(rels[0], changelog.Options{}); !strings.Contains(md, "### Reverts\n\n* chore: try a thing") || !strings.Contains(md, "* real") {
		t.Fatalf("release-please v1.0.1:\n%s", md)
	}
}

// commitAt commits with a given committer date (to skew history).
func (f *fixture) commitAt(date, msg string) {
	f.t.Helper()
	f.n++
	f.write("skew/"+strconv.Itoa(f.n)+".txt", "y\n")
	f.git("add", "-A")
	cmd := exec.Command("git", "-C", f.dir, "commit", "-q", "-m", msg)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=A", "GIT_AUTHOR_EMAIL=a@x", "GIT_COMMITTER_NAME=C", "GIT_COMMITTER_EMAIL=c@x",
		"GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
	if out, err := cmd.CombinedOutput(); err != nil {
		f.t.Fatalf("%v: %s", err, out)
	}
}

// With a skewed clock git's default order shows a parent before its
// child; the streaming walk notices and redoes the pass topologically.
func TestAllReleasesWithSkewedDates(t *testing.T) {
	f := newFixture(t)
	f.commitAt("2026-01-01T00:00:00Z", "feat: base")
	f.tag("v1.0.0")
	f.commitAt("2026-01-02T00:00:00Z", "fix: parent of both")
	f.git("checkout", "-q", "-b", "side")
	f.commitAt("2026-01-10T00:00:00Z", "feat: side")
	f.git("checkout", "-q", "main")
	f.commitAt("2020-01-01T00:00:00Z", "fix: main with an old clock")
	f.git("merge", "-q", "--no-ff", "-m", "Merge branch 'side'", "side")
	f.tag("v1.1.0")
	repo := git.Open(f.dir)
	head := f.git("rev-parse", "HEAD")
	tags := []versionTag{}
	all, _ := repo.Tags(context.Background(), "")
	format, _ := ParseTagFormat("", "")
	tags = pickTags(all, format)
	sort.SliceStable(tags, func(i, j int) bool { return tags[i].v.LessThan(tags[j].v) })
	own := map[string]int32{}
	for i, tg := range tags {
		own[tg.tag.Commit] = int32(i)
	}
	if _, err := attribute(context.Background(), repo, head, tags, own, pathFilter{}, Rules{}, false); !errors.Is(err, errOutOfOrder) {
		t.Fatalf("default order not detected as skewed: %v", err)
	}
	rels, err := AllReleases(context.Background(), Request{Dir: f.dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(rels) != 2 || len(rels[0].Entries) != 3 || len(rels[1].Entries) != 1 {
		t.Fatalf("releases = %+v", rels)
	}
}
