package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/forge/local"
	"github.com/slipway/slipway/versioning"
)

// newPRFixture: release.mode pull-request, node release type, v1.0.0
// released before (tagged and pushed), package files on main.
func newPRFixture(t *testing.T) *pubFixture {
	t.Helper()
	p := newPubFixture(t, "{mode: pull-request, releaseType: node}")
	p.git(p.app, "tag", "-a", "-m", "v1.0.0", "v1.0.0", "main")
	p.landOnMain("chore: package files", "package.json", "{\n  \"name\": \"api\",\n  \"version\": \"1.0.0\"\n}\n")
	p.git(p.app, "push", "-q", "origin", "v1.0.0")
	return p
}

func prBranchFile(p *pubFixture, file string) string {
	return p.git(p.appBare, "show", "slipway/release/api:"+file)
}

// TestReleasePullRequestFlow: the release pull request opens on the first
// releasable commit, follows two more (title, body, version files), is
// merged on the local forge, waits for the build of its merge commit, and
// is then tagged, pushed, published and relabeled; the next commit opens
// the next one on the same branch.
func TestReleasePullRequestFlow(t *testing.T) {
	p := newPRFixture(t)
	ctx := context.Background()

	p.landOnMain("fix: reject empty carts", "cart.go", "package cart\n")
	out, err := p.rel.ReleasePullRequests(ctx, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.PullRequests) != 1 || out.PullRequests[0].Action != "opened" || out.PullRequests[0].Title != "chore(main): release 1.0.1" {
		t.Fatalf("first run: %+v", out.PullRequests)
	}
	n := out.PullRequests[0].Number
	pr, _ := p.rel.Forge.Get(ctx, n)
	if pr.Branch != "slipway/release/api" || pr.Base != "main" || strings.Join(pr.Labels, ",") != versioning.LabelPending {
		t.Fatalf("pull request %+v", pr)
	}
	if !strings.HasPrefix(pr.Body, versioning.DefaultPRHeader+"\n---\n\n\n## 1.0.1") || !strings.Contains(pr.Body, "reject empty carts") {
		t.Fatalf("body:\n%s", pr.Body)
	}
	if v := prBranchFile(p, "package.json"); !strings.Contains(v, `"version": "1.0.1"`) {
		t.Fatalf("package.json on the branch:\n%s", v)
	}

	p.landOnMain("feat: orders", "orders.go", "package orders\n")
	out, err = p.rel.ReleasePullRequests(ctx, []string{"api"}, false)
	if err != nil || len(out.PullRequests) != 1 || out.PullRequests[0].Action != "updated" || out.PullRequests[0].Number != n || out.PullRequests[0].Title != "chore(main): release 1.1.0" {
		t.Fatalf("after feat: %+v %v", out, err)
	}
	tip := p.landOnMain("fix: totals", "totals.go", "package totals\n")
	out, err = p.rel.ReleasePullRequests(ctx, nil, false)
	if err != nil || out.PullRequests[0].Action != "updated" {
		t.Fatalf("after fix: %+v %v", out, err)
	}
	head := p.git(p.appBare, "rev-parse", "slipway/release/api")
	if p.git(p.appBare, "rev-parse", head+"^") != tip {
		t.Fatalf("the release branch is not rebuilt on main's tip")
	}
	if cl := prBranchFile(p, "CHANGELOG.md"); !strings.Contains(cl, "## 1.1.0") || !strings.Contains(cl, "totals") || strings.Contains(cl, "1.0.1") {
		t.Fatalf("CHANGELOG.md on the branch:\n%s", cl)
	}
	if v := prBranchFile(p, "package.json"); !strings.Contains(v, `"version": "1.1.0"`) {
		t.Fatalf("package.json on the branch:\n%s", v)
	}
	if subject := p.git(p.appBare, "log", "-1", "--format=%s", head); subject != "chore(main): release 1.1.0" {
		t.Fatalf("the release commit says %q", subject)
	}
	pr, _ = p.rel.Forge.Get(ctx, n)
	if pr.Title != "chore(main): release 1.1.0" || !strings.Contains(pr.Body, "totals") || !strings.Contains(pr.Body, "orders") {
		t.Fatalf("pull request after two more commits: %q\n%s", pr.Title, pr.Body)
	}
	out, err = p.rel.ReleasePullRequests(ctx, nil, false)
	if err != nil || out.PullRequests[0].Action != "unchanged" || p.git(p.appBare, "rev-parse", "slipway/release/api") != head {
		t.Fatalf("a run with nothing new rebuilt the branch: %+v %v", out, err)
	}

	// A main-line build that is not a release merge is not released by tag.
	b := p.register(tip)
	if _, err := p.rel.Release(ctx, ReleaseRequest{Service: "api", BuildID: b.ID}); slipway.ErrorCode(err) != slipway.ECONFLICT || !strings.Contains(err.Error(), "release pull request") {
		t.Fatalf("tag-mode release in pull-request mode: %v", err)
	}

	merged, err := p.rel.MergeReleasePR(ctx, n, "bob@example.com")
	if err != nil {
		t.Fatal(err)
	}
	pr, _ = p.rel.Forge.Get(ctx, n)
	if pr.State != slipway.PRMerged || len(merged.Waiting) != 1 || merged.Waiting[0].Version != "1.1.0" || merged.Waiting[0].MergeSHA != pr.MergeSHA {
		t.Fatalf("after the merge: %+v, pull request %+v", merged, pr)
	}
	if why, err := p.rel.Why(ctx, "api"); err != nil || why.State != "waiting" || !strings.Contains(why.Text(), "waits for a build of "+short(pr.MergeSHA)) {
		t.Fatalf("why: %+v %v", why, err)
	}
	again, err := p.rel.ReleasePullRequests(ctx, nil, false)
	if err != nil || len(again.Waiting) != 1 || len(again.PullRequests) != 0 {
		t.Fatalf("while the tag waits, no new pull request: %+v %v", again, err)
	}

	mb := p.register(pr.MergeSHA)
	done, err := p.rel.ReleasePullRequests(ctx, nil, false)
	if err != nil || len(done.Released) != 1 || len(done.Waiting) != 0 {
		t.Fatalf("after the build: %+v %v", done, err)
	}
	rel := done.Released[0].Release
	if rel.Tag != "v1.1.0" || rel.BuildID != mb.ID || rel.Commit != pr.MergeSHA || !strings.Contains(rel.Notes, "totals") || !strings.HasPrefix(rel.Notes, "## 1.1.0") {
		t.Fatalf("release %+v", rel)
	}
	if at := p.git(p.appBare, "rev-parse", "v1.1.0^{commit}"); at != pr.MergeSHA {
		t.Fatalf("remote v1.1.0 at %s, want the merge commit %s", at, pr.MergeSHA)
	}
	if msg := p.git(p.appBare, "tag", "-l", "--format=%(contents)", "v1.1.0"); !strings.Contains(msg, "Digest: "+mb.Digest) {
		t.Fatalf("annotation:\n%s", msg)
	}
	if cl := p.git(p.appBare, "show", "main:CHANGELOG.md"); strings.Count(cl, "## 1.1.0") != 1 {
		t.Fatalf("CHANGELOG.md on main (no second changelog commit):\n%s", cl)
	}
	if page := p.pages.get("v1.1.0"); page == nil || !strings.Contains(page.Notes, mb.Digest) {
		t.Fatalf("page %+v", page)
	}
	pr, _ = p.rel.Forge.Get(ctx, n)
	if strings.Join(pr.Labels, ",") != versioning.LabelTagged {
		t.Fatalf("labels after the release: %v", pr.Labels)
	}

	p.landOnMain("fix: after", "after.go", "package after\n")
	next, err := p.rel.ReleasePullRequests(ctx, nil, false)
	if err != nil || len(next.PullRequests) != 1 || next.PullRequests[0].Action != "opened" || next.PullRequests[0].Number == n || next.PullRequests[0].Title != "chore(main): release 1.1.1" {
		t.Fatalf("the next release pull request: %+v %v", next, err)
	}
}

// TestReleasePullRequestDryRun: a dry run of the release pull request
// shows its title, body and files and changes nothing.
func TestReleasePullRequestDryRun(t *testing.T) {
	p := newPRFixture(t)
	ctx := context.Background()
	p.landOnMain("feat: orders", "orders.go", "package orders\n")
	before := p.snapshot()
	out, err := p.rel.ReleasePullRequests(ctx, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if after := p.snapshot(); after != before {
		t.Fatalf("a dry run changed something:\n%s\n---\n%s", before, after)
	}
	if len(out.PullRequests) != 1 || out.PullRequests[0].Action != "would open" || out.PullRequests[0].Title != "chore(main): release 1.1.0" ||
		strings.Join(out.PullRequests[0].Files, ",") != "CHANGELOG.md,package.json" {
		t.Fatalf("dry run: %+v", out.PullRequests)
	}
}

const manifestConfig = `
app: {repo: app}
gitops: {remote: gitops.git}
registry: {insecure: true}
release: {mode: pull-request}
services:
  - {name: api, image: %[1]s, keys: [cosign.pub]}
  - {name: web, image: %[1]s, keys: [cosign.pub]}
environments:
  - name: dev
    pin: {file: "envs/{env}/{service}.yaml", path: image.digest}
`

// newManifestFixture: two services as two release-please packages.
func newManifestFixture(t *testing.T, separate string) *pubFixture {
	t.Helper()
	p := newPubFixture(t, "{}")
	os.WriteFile(filepath.Join(p.dir, "slipway.yaml"), []byte(fmt.Sprintf(manifestConfig, p.image)), 0o644)
	p.open()
	p.rel.Engine = p.e
	p.rel.Forge.(*local.Forge).Store = p.e.Store.PullRequests
	files := map[string]string{
		"services/api/package.json":     "{\n  \"name\": \"api\",\n  \"version\": \"1.0.0\"\n}\n",
		"services/web/package.json":     "{\n  \"name\": \"web\",\n  \"version\": \"0.1.0\"\n}\n",
		".release-please-manifest.json": "{\n  \"services/api\": \"1.0.0\",\n  \"services/web\": \"0.1.0\"\n}\n",
		"release-please-config.json":    `{"release-type": "node",` + separate + ` "packages": {"services/api": {}, "services/web": {}}}`,
	}
	for name, content := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(p.app, name)), 0o755)
		os.WriteFile(filepath.Join(p.app, name), []byte(content), 0o644)
	}
	p.landOnMain("chore: packages", "README.md", "two packages\n")
	p.git(p.app, "tag", "api-v1.0.0")
	p.git(p.app, "tag", "web-v0.1.0")
	p.git(p.app, "push", "-q", "origin", "api-v1.0.0", "web-v0.1.0")
	p.landOnMain("feat(api): orders", "services/api/orders.go", "package api\n")
	p.landOnMain("fix(web): layout", "services/web/layout.go", "package web\n")
	return p
}

// TestCombinedReleasePullRequest: a manifest config with several
// packages and no separate-pull-requests gets one release pull request for
// all (release-please's default), "chore: release main", each component's
// notes in a <details> block; merging it releases every component from
// the build of the merge commit.
func TestCombinedReleasePullRequest(t *testing.T) {
	p := newManifestFixture(t, "")
	ctx := context.Background()
	out, err := p.rel.ReleasePullRequests(ctx, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.PullRequests) != 1 {
		t.Fatalf("%d pull requests, want one combined: %+v", len(out.PullRequests), out.PullRequests)
	}
	pr := out.PullRequests[0]
	if pr.Title != "chore: release main" || pr.Branch != "slipway/releases/main" {
		t.Fatalf("combined pull request %q on %s", pr.Title, pr.Branch)
	}
	for _, want := range []string{"<details><summary>api: 1.1.0</summary>", "<details><summary>web: 0.1.1</summary>", "orders", "layout"} {
		if !strings.Contains(pr.Body, want) {
			t.Errorf("body lacks %q:\n%s", want, pr.Body)
		}
	}
	show := func(file string) string { return p.git(p.appBare, "show", pr.Branch+":"+file) }
	if m := show(".release-please-manifest.json"); m != "{\n  \"services/api\": \"1.1.0\",\n  \"services/web\": \"0.1.1\"\n}" {
		t.Errorf("manifest on the branch:\n%s", m)
	}
	if !strings.Contains(show("services/api/package.json"), `"1.1.0"`) || !strings.Contains(show("services/web/package.json"), `"0.1.1"`) {
		t.Errorf("package.json files not bumped")
	}
	if !strings.Contains(show("services/api/CHANGELOG.md"), "orders") || strings.Contains(show("services/api/CHANGELOG.md"), "layout") {
		t.Errorf("api's changelog:\n%s", show("services/api/CHANGELOG.md"))
	}
	if _, err := p.rel.MergeReleasePR(ctx, pr.Number, "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	merged, _ := p.rel.Forge.Get(ctx, pr.Number)
	ref, _ := p.build("api", p.signer)
	if _, _, err := p.e.RegisterBuild(ctx, "api", merged.MergeSHA, ref.String()); err != nil {
		t.Fatal(err)
	}
	half, err := p.rel.ReleasePullRequests(ctx, nil, false)
	if err != nil || len(half.Released) != 1 || len(half.Waiting) != 1 || half.Waiting[0].Service != "web" {
		t.Fatalf("with api's build only: %+v %v", half, err)
	}
	if labels, _ := p.rel.Forge.Get(ctx, pr.Number); strings.Join(labels.Labels, ",") != versioning.LabelPending {
		t.Fatalf("relabeled before every component was released: %v", labels.Labels)
	}
	ref2, _ := p.build("web", p.signer)
	if _, _, err := p.e.RegisterBuild(ctx, "web", merged.MergeSHA, ref2.String()); err != nil {
		t.Fatal(err)
	}
	done, err := p.rel.ReleasePullRequests(ctx, nil, false)
	if err != nil || len(done.Waiting) != 0 {
		t.Fatalf("with both builds: %+v %v", done, err)
	}
	for _, tag := range []string{"api-v1.1.0", "web-v0.1.1"} {
		if at := p.git(p.appBare, "rev-parse", tag+"^{commit}"); at != merged.MergeSHA {
			t.Errorf("%s at %s, want the merge commit", tag, at)
		}
	}
	if page := p.pages.get("api-v1.1.0"); page == nil || page.Name != "api: v1.1.0" {
		t.Errorf("api's page: %+v", page)
	}
	if labels, _ := p.rel.Forge.Get(ctx, pr.Number); strings.Join(labels.Labels, ",") != versioning.LabelTagged {
		t.Fatalf("labels: %v", labels.Labels)
	}
}

// TestSeparateReleasePullRequests: separate-pull-requests: true gives each
// component its own pull request, titled with its name.
func TestSeparateReleasePullRequests(t *testing.T) {
	p := newManifestFixture(t, ` "separate-pull-requests": true,`)
	out, err := p.rel.ReleasePullRequests(context.Background(), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, pr := range out.PullRequests {
		titles = append(titles, pr.Branch+" "+pr.Title)
	}
	if strings.Join(titles, "; ") != "slipway/release/api chore(main): release api 1.1.0; slipway/release/web chore(main): release web 0.1.1" {
		t.Fatalf("pull requests: %v", titles)
	}
}

// TestMergedReleasePullRequestCannotGoBack: a pull request from the
// release branch, labeled as release-please labels, whose merged changelog
// names a version below the latest release, is not tagged: the version is
// read from the merge commit's content and must move forward.
func TestMergedReleasePullRequestCannotGoBack(t *testing.T) {
	p := newPRFixture(t)
	ctx := context.Background()
	p.landOnMain("feat: orders", "orders.go", "package orders\n")
	// Someone pushes the release branch by hand with a changelog for 0.9.0.
	p.git(p.app, "checkout", "-q", "-b", "slipway/release/api", "origin/main")
	p.commit("mallory@example.com", "chore(main): release 0.9.0", "CHANGELOG.md", "# Changelog\n\n## 0.9.0 (2026-12-01)\n\n* rollback\n", "")
	p.git(p.app, "push", "-q", "origin", "slipway/release/api")
	p.git(p.app, "checkout", "-q", "main")
	pr, err := p.rel.Forge.Open(ctx, &slipway.PullRequest{Branch: "slipway/release/api", Base: "main", Title: "chore(main): release 0.9.0", Labels: []string{versioning.LabelPending}})
	if err != nil {
		t.Fatal(err)
	}
	merged, err := p.rel.Forge.Merge(ctx, pr.Number, pr.HeadSHA, "mallory@example.com")
	if err != nil {
		t.Fatal(err)
	}
	b := p.register(merged.MergeSHA)
	before := p.snapshot()
	_, err = p.rel.ReleasePullRequests(ctx, nil, false)
	if slipway.ErrorCode(err) != slipway.ECONFLICT || !strings.Contains(err.Error(), "not above the latest release 1.0.0") {
		t.Fatalf("err = %v; want the backwards version refused", err)
	}
	if _, err := p.rel.Release(ctx, ReleaseRequest{Service: "api", BuildID: b.ID}); slipway.ErrorCode(err) != slipway.ECONFLICT {
		t.Fatalf("release of the build: %v", err)
	}
	if after := p.snapshot(); after != before {
		t.Fatalf("a refused release changed something:\n%s\n---\n%s", before, after)
	}
}
