package versioning

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway/slipway/git"
	"github.com/slipway/slipway/versioning/deprecation"
)

func (f *fixture) release(req ReleaseRequest) (*ReleaseResult, error) {
	f.t.Helper()
	req.Dir = f.dir
	if req.GitEnv == nil {
		req.GitEnv = identity
	}
	if req.Date.IsZero() {
		req.Date = day0
	}
	return Release(context.Background(), req)
}

// TestHotfixReleaseCommitsOnItsBranch: a build on hotfix/api/v1.2 releases
// 1.2.4 while main is at 1.3.0; the changelog commit goes on the hotfix
// branch without touching main's work tree; the next fix is 1.2.5; with
// the branch checked out the commit is made in the work tree.
func TestHotfixReleaseCommitsOnItsBranch(t *testing.T) {
	f := hotfixRepo(t)
	fix := f.commit("fix: negative quantities")
	f.git("checkout", "-q", "main")
	mainHead := f.git("rev-parse", "HEAD")
	rel, err := f.release(ReleaseRequest{Request: withTarget(apiHotfix, fix), UpdateChangelog: true})
	if err != nil {
		t.Fatal(err)
	}
	if rel.Tag != "api-v1.2.4" || rel.ChangelogBranch != "hotfix/api/v1.2" || rel.Maintenance == nil || rel.Maintenance.Range != ">=1.2.3 <1.3.0" {
		t.Fatalf("hotfix release: %+v", rel)
	}
	if got := f.git("rev-parse", "hotfix/api/v1.2"); got != rel.ChangelogCommit || f.git("rev-parse", rel.ChangelogCommit+"^") != fix {
		t.Errorf("the changelog commit should sit on the hotfix branch right after the fix")
	}
	if f.git("rev-parse", "HEAD") != mainHead || f.git("status", "--porcelain") != "" {
		t.Error("main's work tree or HEAD changed")
	}
	if cl := f.git("show", "hotfix/api/v1.2:CHANGELOG.md"); !strings.Contains(cl, "## 1.2.4 (2026-03-04)") || !strings.Contains(cl, "negative quantities") {
		t.Errorf("hotfix CHANGELOG.md:\n%s", cl)
	}
	if msg := f.git("tag", "-l", "--format=%(contents)", "api-v1.2.4"); !strings.Contains(msg, "Maintenance-Branch: hotfix/api/v1.2 (>=1.2.3 <1.3.0)") {
		t.Errorf("tag annotation:\n%s", msg)
	}
	if author := f.git("log", "-1", "--format=%an <%ae>", "hotfix/api/v1.2"); author != "Rel <rel@example.com>" {
		t.Errorf("changelog commit by %s", author)
	}

	f.git("checkout", "-q", "hotfix/api/v1.2")
	fix2 := f.commit("fix: rounding")
	rel, err = f.release(ReleaseRequest{Request: withTarget(apiHotfix, fix2), UpdateChangelog: true})
	if err != nil || rel.Tag != "api-v1.2.5" || rel.ChangelogBranch != "" || f.git("rev-parse", "HEAD") != rel.ChangelogCommit {
		t.Fatalf("second hotfix, branch checked out: %+v %v", rel, err)
	}
	cl, _ := os.ReadFile(filepath.Join(f.dir, "CHANGELOG.md"))
	if strings.Index(string(cl), "## 1.2.5") > strings.Index(string(cl), "## 1.2.4") || strings.Count(string(cl), "negative quantities") != 1 {
		t.Errorf("CHANGELOG.md:\n%s", cl)
	}
}

func withTarget(r Request, target string) Request {
	r.Target = target
	return r
}

// TestMainReleaseDoesNotRepeatHotfixEntries: main's next release leaves
// out what hotfix releases announced first — a cherry-pick (-x or not), a
// commit a hotfix commit was picked from, a merged hotfix branch — and
// names those releases. A forged cherry-pick line does not hide a commit.
func TestMainReleaseDoesNotRepeatHotfixEntries(t *testing.T) {
	f := hotfixRepo(t)
	f.git("checkout", "-q", "main")
	// On main first, picked onto the hotfix branch with a conflict resolved
	// differently: the patch ids differ, the marker ties them.
	f.write("timeouts.txt", "main's fix\n")
	f.git("add", "-A")
	f.git("commit", "-q", "-m", "fix(http): timeouts")
	onMain := f.git("rev-parse", "HEAD")

	f.git("checkout", "-q", "hotfix/api/v1.2")
	picked := f.commit("fix: negative quantities", "orders.txt")
	f.write("timeouts.txt", "the hotfix's version of the fix\n")
	f.git("add", "-A")
	f.git("commit", "-q", "-m", "fix(http): timeouts\n\n(cherry picked from commit "+onMain+")")
	noX := f.commit("fix: rounding", "rounding.txt")
	if _, err := f.release(ReleaseRequest{Request: withTarget(apiHotfix, noX)}); err != nil {
		t.Fatal(err)
	}
	merged := f.commit("fix: cache size", "cache.txt")
	if _, err := f.release(ReleaseRequest{Request: withTarget(apiHotfix, merged)}); err != nil {
		t.Fatal(err)
	}

	f.git("checkout", "-q", "main")
	f.git("cherry-pick", "-x", picked)
	f.git("cherry-pick", noX) // no -x: the patch id matches
	f.commit("fix: unrelated")
	// A forged line: same header, other files. It must stay in the notes.
	f.write("backdoor.txt", "x\n")
	f.git("add", "-A")
	f.git("commit", "-q", "-m", "fix: negative quantities\n\n(cherry picked from commit "+picked+")")
	f.git("merge", "-q", "--no-ff", "-X", "ours", "-m", "chore: merge hotfix/api/v1.2", "api-v1.2.5")
	target := f.git("rev-parse", "HEAD")

	rel, err := f.release(ReleaseRequest{Request: withTarget(apiHotfix, target), TagLines: []string{"Digest: sha256:x"}})
	if err != nil {
		t.Fatal(err)
	}
	if rel.Tag != "api-v1.4.0" || strings.Join(rel.Supersedes, ",") != "api-v1.2.4,api-v1.2.5" {
		t.Fatalf("main release: %s supersedes %v", rel.Tag, rel.Supersedes)
	}
	want := "## 1.4.0 (2026-03-04)\n\nIncludes fixes first released in api-v1.2.4 and api-v1.2.5.\n\n### Features\n\n* something newer, unreleased "
	if !strings.HasPrefix(rel.Notes, want) {
		t.Errorf("notes:\n%s\nwant them to start with:\n%s", rel.Notes, want)
	}
	for _, gone := range []string{"timeouts", "rounding", "cache size"} {
		if strings.Contains(rel.Notes, gone) {
			t.Errorf("%q was first released in a hotfix and is repeated:\n%s", gone, rel.Notes)
		}
	}
	if strings.Count(rel.Notes, "negative quantities") != 1 || !strings.Contains(rel.Notes, "unrelated") {
		t.Errorf("the forged cherry-pick and the unrelated fix must stay, once each:\n%s", rel.Notes)
	}
	if msg := f.git("tag", "-l", "--format=%(contents)", "api-v1.4.0"); !strings.Contains(msg, "Digest: sha256:x\nSupersedes: api-v1.2.4, api-v1.2.5") {
		t.Errorf("tag annotation:\n%s", msg)
	}
	// The version still counts every commit of the range.
	if rel.Next.Commits != 11 {
		t.Errorf("commits counted: %d", rel.Next.Commits)
	}
}

// TestReleaseRefusesAVersionTaggedElsewhere: two branches serving 1.2 both
// computing 1.2.4: the second is refused before its changelog commit.
func TestReleaseRefusesAVersionTaggedElsewhere(t *testing.T) {
	f := hotfixRepo(t)
	a := f.commit("fix: a")
	if _, err := f.release(ReleaseRequest{Request: withTarget(apiHotfix, a)}); err != nil {
		t.Fatal(err)
	}
	f.git("checkout", "-q", "-b", "1.2.x", "api-v1.2.3")
	b := f.commit("fix: b")
	head := f.git("rev-parse", "HEAD")
	_, err := f.release(ReleaseRequest{Request: withTarget(apiHotfix, b), UpdateChangelog: true})
	if !errors.Is(err, git.ErrTagElsewhere) || !strings.Contains(err.Error(), "1.2.4 was already released from another commit") {
		t.Fatalf("err = %v", err)
	}
	if f.git("rev-parse", "HEAD") != head {
		t.Error("the refused release made a commit")
	}
}

const ordersDeprecation = "feat(api): v2 orders\n\nDeprecated: the /v1/orders endpoint; remove after 2.0.0"

// TestDeprecationRegisterAndWindow: a Deprecated: footer lands in
// deprecations.yaml in the release's changelog commit; a later major that
// removes it inside the window is refused with nothing changed, and goes
// through with --allow-early-removal, recorded.
func TestDeprecationRegisterAndWindow(t *testing.T) {
	f := newFixture(t)
	f.commit("chore: init")
	f.tag("v1.0.0")
	dep := f.commit(ordersDeprecation + "\nDeprecated: the retries setting; remove after 20260101")
	rel, err := f.release(ReleaseRequest{Request: Request{Target: dep}, UpdateChangelog: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rel.Deprecated) != 2 || rel.Deprecated[0].ID != "the-v1-orders-endpoint" || rel.Deprecated[0].RemoveAfter != "2.0.0" || rel.Deprecated[1].RemoveAfter != "" {
		t.Fatalf("deprecated: %+v", rel.Deprecated)
	}
	if len(rel.Warnings) != 1 || !strings.Contains(rel.Warnings[0], `"20260101" after "remove after" is neither a version`) {
		t.Errorf("warnings: %v", rel.Warnings)
	}
	if files := f.git("show", "--name-only", "--format=", rel.ChangelogCommit); files != "CHANGELOG.md\ndeprecations.yaml" {
		t.Errorf("the changelog commit holds %q, want CHANGELOG.md and deprecations.yaml", files)
	}
	reg, err := deprecation.Parse("deprecations.yaml", []byte(f.git("show", "HEAD:deprecations.yaml")+"\n"))
	if err != nil || len(reg.Entries) != 2 {
		t.Fatalf("register: %+v %v", reg, err)
	}
	if e := reg.Entries[0]; e.Since != "1.1.0" || e.Date != "2026-03-04" || e.Commit != dep || e.What != "the /v1/orders endpoint" {
		t.Errorf("entry: %+v", e)
	}
	if !strings.Contains(rel.Notes, "> This release has 2 deprecations: read Deprecations below") || !strings.Contains(rel.Notes, "### Deprecations\n\n* **api:** the /v1/orders endpoint; remove after 2.0.0") {
		t.Errorf("notes:\n%s", rel.Notes)
	}

	removal := f.commit("feat(api)!: drop the /v1/orders endpoint")
	head, before := f.git("rev-parse", "HEAD"), f.git("show", "HEAD:deprecations.yaml")
	window, _ := deprecation.ParseWindow("90d")
	req := ReleaseRequest{Request: Request{Target: removal}, UpdateChangelog: true, Date: day0.AddDate(0, 0, 10), Deprecations: DeprecationPolicy{Window: window}}
	_, err = f.release(req)
	if !errors.Is(err, ErrDeprecationWindow) {
		t.Fatalf("removal inside the window: %v", err)
	}
	for _, want := range []string{"release 2.0.0 of the repository removes what is still inside its deprecation window (policy deprecationWindow 90d)",
		`"the /v1/orders endpoint" (id the-v1-orders-endpoint, deprecated in 1.1.0 on 2026-03-04, commit ` + dep[:12] + ")",
		"it may go from 2026-06-02 (policy deprecationWindow 90d after 2026-03-04) and in a version after 2.0.0 (the deprecation's promise)",
		`--allow-early-removal "<reason>"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal lacks %q:\n%v", want, err)
		}
	}
	if f.git("rev-parse", "HEAD") != head || f.git("tag", "-l", "v2.0.0") != "" || f.git("status", "--porcelain") != "" {
		t.Fatal("the refused release changed the repository")
	}
	req.Deprecations.AllowEarlyRemoval = "the mobile app\nmoved to v2"
	rel, err = f.release(req)
	if err != nil {
		t.Fatal(err)
	}
	if rel.Tag != "v2.0.0" || len(rel.Removed) != 1 || rel.Removed[0].EarlyRemoval != "the mobile app moved to v2" {
		t.Fatalf("early removal: %+v", rel)
	}
	msg := f.git("tag", "-l", "--format=%(contents)", "v2.0.0")
	if !strings.Contains(msg, "Removes: the-v1-orders-endpoint\nEarly-Removal: the-v1-orders-endpoint (deprecated in 1.1.0): the mobile app moved to v2") {
		t.Errorf("tag annotation:\n%s", msg)
	}
	after := f.git("show", "HEAD:deprecations.yaml")
	if !strings.HasPrefix(after, before[:strings.Index(before, "    commit: "+dep)]) || !strings.Contains(after, "    removedIn: 2.0.0\n    earlyRemoval: \"the mobile app moved to v2\"") {
		t.Errorf("register after the removal:\n%s\nbefore:\n%s", after, before)
	}
	if !strings.Contains(rel.Notes, "> Removes the /v1/orders endpoint (deprecated in 1.1.0; removed inside its deprecation window: the mobile app moved to v2).") {
		t.Errorf("notes:\n%s", rel.Notes)
	}
}

// TestRemovalOutsideTheWindowAndBrokenRegister: a removal named by a
// Removes: footer once the window passed goes through; a register that
// does not parse stops the release, naming the line.
func TestRemovalOutsideTheWindowAndBrokenRegister(t *testing.T) {
	f := newFixture(t)
	f.commit("chore: init")
	f.tag("v1.0.0")
	f.commit("feat: x\n\nDeprecated: the XML export")
	if _, err := f.release(ReleaseRequest{Request: Request{Target: "HEAD"}, UpdateChangelog: true}); err != nil {
		t.Fatal(err)
	}
	f.commit("feat: y")
	f.tag("v1.2.0")
	gone := f.commit("feat!: JSON only\n\nRemoves: the-xml-export\nRemoves: the-csv-export")
	window, _ := deprecation.ParseWindow("1 minor")
	rel, err := f.release(ReleaseRequest{Request: Request{Target: gone}, UpdateChangelog: true, Deprecations: DeprecationPolicy{Window: window}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rel.Removed) != 1 || rel.Removed[0].EarlyRemoval != "" || rel.Removed[0].RemovedIn != "2.0.0" {
		t.Errorf("removed: %+v", rel.Removed)
	}
	if len(rel.Warnings) != 1 || !strings.Contains(rel.Warnings[0], `Removes: "the-csv-export" names nothing`) {
		t.Errorf("warnings: %v", rel.Warnings)
	}
	f.write("deprecations.yaml", "deprecations:\n  - id: x\n    since: one\n")
	f.git("commit", "-qam", "chore: break the register")
	fix := f.commit("fix: z")
	_, err = f.release(ReleaseRequest{Request: Request{Target: fix}, UpdateChangelog: true})
	if err == nil || !strings.Contains(err.Error(), "deprecations.yaml:2: deprecations[0].what") {
		t.Errorf("broken register: %v", err)
	}
}

// TestMainReleaseWithAHotfixBranchCheckedOut: someone works on the hotfix
// branch while main is released: main's changelog commit goes on main,
// never on the checked-out hotfix branch.
func TestMainReleaseWithAHotfixBranchCheckedOut(t *testing.T) {
	f := hotfixRepo(t) // hotfix/api/v1.2 is checked out
	f.git("checkout", "-q", "main")
	fix := f.commit("fix: on main")
	f.git("checkout", "-q", "hotfix/api/v1.2")
	hot := f.git("rev-parse", "HEAD")
	rel, err := f.release(ReleaseRequest{Request: withTarget(apiHotfix, fix), UpdateChangelog: true})
	if err != nil {
		t.Fatal(err)
	}
	if rel.Tag != "api-v1.4.0" || rel.ChangelogBranch != "main" || f.git("rev-parse", "main") != rel.ChangelogCommit || f.git("rev-parse", "HEAD") != hot {
		t.Fatalf("main's release with the hotfix branch checked out: %+v", rel)
	}
	if _, err := os.Stat(filepath.Join(f.dir, "CHANGELOG.md")); err == nil {
		t.Error("the hotfix branch's work tree got main's CHANGELOG.md")
	}
}
