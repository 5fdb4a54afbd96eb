package forgetest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/forge"
	"github.com/slipway/slipway/forge/internal/retry"
)

// Token is the API token the suite configures; fakes refuse any other.
const Token = "forgetest-token-7f3a"

// Secret is the webhook secret the suite configures.
const Secret = "forgetest-webhook-secret"

// Fake is one forge's fake server over a World.
type Fake interface {
	// Open returns the adapter pointed at the fake: it fills in Type, URL,
	// Repo and Transport of base (which carries the credentials, secret,
	// retry policy and clock) and calls forge.Open.
	Open(t *testing.T, base forge.Config) slipway.Forge
	// RateLimited is the response the forge sends once the rate limit is
	// spent, resetting reset after now.
	RateLimited(now time.Time, reset time.Duration) Fault
	// Deliver is a webhook delivery as the forge sends it for d, signed
	// (or tokened) with secret.
	Deliver(t *testing.T, d Delivery, secret []byte) *http.Request
	// SignatureHeader is the header carrying the signature or token.
	SignatureHeader() string
	// WebhookSecret is the secret the suite configures: Secret, or a
	// secret in the form this forge's strongest scheme takes.
	WebhookSecret() string
}

// Delivery describes a webhook delivery to build from the World.
type Delivery struct {
	Kind   string // opened, synchronized, merged, closed, reviewed, or another forge event ("push")
	Number int
	Actor  string
	Review string // for reviewed: approved, changes_requested, commented
	Repo   string // "" is the World's repository
}

// OpenAs completes base for a fake serving the World's repository at url
// and opens the adapter through the registry, as the binary does.
func OpenAs(t *testing.T, base forge.Config, typ, url string) slipway.Forge {
	t.Helper()
	base.Type, base.URL, base.Repo = typ, url, Repo
	f, err := forge.Open(base)
	if err != nil {
		t.Fatalf("forge.Open: %v", err)
	}
	return f
}

// Env is what a contract test sees besides the adapter.
type Env struct {
	World  *World
	Fake   Fake
	Forge  slipway.Forge
	Secret []byte // the webhook secret configured
	mu     sync.Mutex
	slept  []time.Duration
}

// Slept lists the waits the retry policy asked for.
func (e *Env) Slept() []time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]time.Duration(nil), e.slept...)
}

// Now is the frozen clock the adapter and its retries see.
var Now = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// Start builds a World, its fake and an adapter configured with a token
// file and a webhook secret file, retries recorded instead of slept.
func Start(t *testing.T, newFake func(*testing.T, *World) Fake, tweak ...func(*forge.Config)) *Env {
	t.Helper()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	e := &Env{World: NewWorld()}
	e.Fake = newFake(t, e.World)
	e.Secret = []byte(e.Fake.WebhookSecret())
	cfg := forge.Config{
		TokenFile:         write("token", Token),
		WebhookSecretFile: write("secret", string(e.Secret)),
		Now:               func() time.Time { return Now },
		Retry: &retry.Transport{
			Log:    slog.New(slog.DiscardHandler),
			Now:    func() time.Time { return Now },
			Jitter: func(time.Duration) time.Duration { return 0 },
			Sleep: func(_ context.Context, d time.Duration) error {
				e.mu.Lock()
				e.slept = append(e.slept, d)
				e.mu.Unlock()
				return nil
			},
		},
	}
	for _, f := range tweak {
		f(&cfg)
	}
	e.Forge = e.Fake.Open(t, cfg)
	return e
}

// Run runs the contract against one adapter's fake.
func Run(t *testing.T, newFake func(*testing.T, *World) Fake) {
	t.Run("FullPromotion", func(t *testing.T) { fullPromotion(t, Start(t, newFake)) })
	t.Run("OpenRefusesAHeadThatIsNotTheBranchTip", func(t *testing.T) { openWrongHead(t, Start(t, newFake)) })
	t.Run("OpenRefusesAMissingBranch", func(t *testing.T) { openMissingBranch(t, Start(t, newFake)) })
	t.Run("MergeRefusesAConflict", func(t *testing.T) { mergeConflict(t, Start(t, newFake)) })
	t.Run("MergeRefusesAConflictFoundAtMergeTime", func(t *testing.T) { mergeConflictLate(t, Start(t, newFake)) })
	t.Run("MergeRefusesAForcePushedBranch", func(t *testing.T) { mergeHeadMoved(t, Start(t, newFake)) })
	t.Run("MergeRefusesAPushDuringTheMerge", func(t *testing.T) { mergeHeadMovedRace(t, Start(t, newFake)) })
	t.Run("MergeRefusesAPullRequestClosedByAPerson", func(t *testing.T) { mergeClosedByPerson(t, Start(t, newFake)) })
	t.Run("MergeRefusesADeletedBranch", func(t *testing.T) { mergeBranchDeleted(t, Start(t, newFake)) })
	t.Run("MergedByAPersonIsLearnedByPolling", func(t *testing.T) { mergedByPerson(t, Start(t, newFake)) })
	t.Run("DismissedReviewIsReported", func(t *testing.T) { dismissed(t, Start(t, newFake)) })
	t.Run("CloseKeepsABranchWithNewWork", func(t *testing.T) { closeKeepsNewWork(t, Start(t, newFake)) })
	t.Run("RateLimitedThenSucceeds", func(t *testing.T) { rateLimited(t, Start(t, newFake)) })
	t.Run("ServerErrorsAreRetriedWithoutDuplicates", func(t *testing.T) { serverErrors(t, Start(t, newFake)) })
	t.Run("NotFound", func(t *testing.T) { notFound(t, Start(t, newFake)) })
	t.Run("Pagination", func(t *testing.T) { pagination(t, Start(t, newFake)) })
	t.Run("Webhook", func(t *testing.T) { webhook(t, newFake) })
}

var ctx = context.Background()

const branch = "slipway/prod/api/3f2a9c1d0b7e"

// opened pushes the promotion branch and opens its pull request.
func opened(t *testing.T, e *Env) (*slipway.PullRequest, string) {
	t.Helper()
	head := e.World.Push(branch)
	pr, err := e.Forge.Open(ctx, &slipway.PullRequest{
		Branch: branch, Base: "main", Title: "api: promote v1.4.0 to prod",
		Body: "## v1.4.0\n\ndigest sha256:3f2a9c1d…", Labels: []string{"slipway", "env:prod"},
		Reviewers: []string{"alice"}, HeadSHA: head,
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return pr, head
}

func fullPromotion(t *testing.T, e *Env) {
	f, w := e.Forge, e.World
	pr, head1 := opened(t, e)
	if pr.Number != 1 || pr.State != slipway.PROpen || pr.HeadSHA != head1 || pr.Branch != branch || pr.Base != "main" || pr.URL == "" {
		t.Fatalf("Open returned %+v; want #1 open on %s at %s with a URL", pr, branch, head1)
	}
	got := w.Snapshot(1)
	if got.Title != "api: promote v1.4.0 to prod" || !strings.HasPrefix(got.Body, "## v1.4.0") || got.Author != Bot {
		t.Errorf("the forge holds %q / %q by %s", got.Title, got.Body, got.Author)
	}
	if strings.Join(got.Labels, ",") != "slipway,env:prod" || strings.Join(got.Reviewers, ",") != "alice" {
		t.Errorf("the forge holds labels %v and reviewers %v, want [slipway env:prod] and [alice]", got.Labels, got.Reviewers)
	}

	again, err := f.Open(ctx, &slipway.PullRequest{Branch: branch, Base: "main", Title: "api: promote v1.4.0 to prod", Labels: []string{"slipway", "env:prod"}, Reviewers: []string{"alice"}, HeadSHA: head1})
	if err != nil || again.Number != 1 {
		t.Fatalf("second Open = %+v, %v; want #1 again (idempotent)", again, err)
	}
	if n := len(w.Snapshot(1).Labels); n != 2 || w.Snapshot(2) != nil {
		t.Fatalf("second Open changed the forge: labels %d, PR #2 %v", n, w.Snapshot(2))
	}
	found, err := f.Find(ctx, branch)
	if err != nil || found.Number != 1 {
		t.Fatalf("Find = %+v, %v; want #1", found, err)
	}

	if err := f.UpdateBody(ctx, 1, "## v1.4.0\n\n- [x] e2e\n- [ ] soak"); err != nil {
		t.Fatalf("UpdateBody: %v", err)
	}
	if got, _ := f.Get(ctx, 1); got == nil || !strings.Contains(got.Body, "- [ ] soak") || w.Snapshot(1).Body != got.Body {
		t.Fatalf("after UpdateBody Get = %+v", got)
	}

	w.AddReview(1, "alice", "approved")
	w.AddReview(1, "bob", "changes_requested")
	revs, err := f.Reviews(ctx, 1)
	if err != nil {
		t.Fatalf("Reviews: %v", err)
	}
	assertReview(t, revs, "alice", "approved", head1)
	assertReview(t, revs, "bob", "changes_requested", head1)
	for i := 1; i < len(revs); i++ {
		if revs[i].At.Before(revs[i-1].At) {
			t.Errorf("Reviews not oldest first: %v after %v", revs[i].At, revs[i-1].At)
		}
	}

	// Someone force-pushes: the approval stays bound to the head alice saw.
	head2 := w.Push(branch)
	if got, _ := f.Get(ctx, 1); got.HeadSHA != head2 {
		t.Fatalf("Get after a push: head %s, want %s", got.HeadSHA, head2)
	}
	_, err = f.Merge(ctx, 1, head1, "carol")
	wantConflict(t, err, "moved", head2[:12])
	if w.Snapshot(1).State != slipway.PROpen {
		t.Fatal("a refused merge changed the pull request")
	}
	w.AddReview(1, "alice", "approved")
	revs, _ = f.Reviews(ctx, 1)
	assertReview(t, revs, "alice", "approved", head2)

	merged, err := f.Merge(ctx, 1, head2, "carol")
	if err != nil {
		t.Fatalf("Merge: %v", err)
	}
	world := w.Snapshot(1)
	if world.State != slipway.PRMerged || merged.State != slipway.PRMerged || merged.MergeSHA == "" || merged.MergeSHA != world.MergeSHA {
		t.Fatalf("Merge returned %+v; the forge holds state %s merge %s", merged, world.State, world.MergeSHA)
	}
	if w.Head("main") != world.MergeSHA || merged.MergedBy != Bot {
		t.Fatalf("main at %s merged by %q; want the merge commit %s by %s", w.Head("main"), merged.MergedBy, world.MergeSHA, Bot)
	}
	before := len(w.Log())
	again, err = f.Merge(ctx, 1, head2, "carol")
	if err != nil || again.MergeSHA != world.MergeSHA {
		t.Fatalf("merging a merged pull request = %+v, %v; want it unchanged", again, err)
	}
	for _, r := range w.Log()[before:] {
		if strings.HasSuffix(r.Path, "/merge") && r.Method != http.MethodGet {
			t.Fatalf("merging a merged pull request sent %s %s", r.Method, r.Path)
		}
	}
	got2, _ := f.Get(ctx, 1)
	if got2.State != slipway.PRMerged || got2.MergeSHA != world.MergeSHA || got2.MergedBy != Bot {
		t.Fatalf("Get of the merged pull request = %+v", got2)
	}

	// A superseded promotion: its pull request is closed with a comment
	// and its branch deleted.
	old := "slipway/prod/api/0c0ffee00000"
	oldHead := w.Push(old)
	sup, err := f.Open(ctx, &slipway.PullRequest{Branch: old, Base: "main", Title: "api: promote v1.3.9 to prod", HeadSHA: oldHead})
	if err != nil {
		t.Fatalf("Open superseded: %v", err)
	}
	note := "Superseded by promotion 01J9ZQ (api v1.4.0 to prod)."
	if err := f.Close(ctx, sup.Number, note); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s := w.Snapshot(sup.Number)
	if s.State != slipway.PRClosed || len(s.Comments) != 1 || s.Comments[0].Body != note || w.Head(old) != "" {
		t.Fatalf("after Close: state %s, comments %+v, branch head %q; want closed, the note, branch deleted", s.State, s.Comments, w.Head(old))
	}
	if err := f.Close(ctx, sup.Number, note); err != nil || len(w.Snapshot(sup.Number).Comments) != 1 {
		t.Fatalf("closing a closed pull request: %v, %d comments; want a no-op", err, len(w.Snapshot(sup.Number).Comments))
	}
	c, _ := f.Get(ctx, sup.Number)
	if c.State != slipway.PRClosed || c.ClosedBy != Bot {
		t.Fatalf("Get of the closed pull request = %+v", c)
	}
	_, err = f.Merge(ctx, sup.Number, oldHead, "carol")
	wantConflict(t, err, "closed")

	open, err := f.List(ctx, slipway.PROpen)
	if err != nil || len(open) != 0 {
		t.Fatalf("List(open) = %d, %v; want none", len(open), err)
	}
	all, _ := f.List(ctx, "")
	mergedList, _ := f.List(ctx, slipway.PRMerged)
	closedList, _ := f.List(ctx, slipway.PRClosed)
	if len(all) != 2 || len(mergedList) != 1 || mergedList[0].Number != 1 || len(closedList) != 1 || closedList[0].Number != sup.Number {
		t.Fatalf("List: all %d, merged %v, closed %v", len(all), numbers(mergedList), numbers(closedList))
	}
}

func openWrongHead(t *testing.T, e *Env) {
	e.World.Push(branch)
	_, err := e.Forge.Open(ctx, &slipway.PullRequest{Branch: branch, Base: "main", Title: "t", HeadSHA: strings.Repeat("a", 40)})
	wantConflict(t, err, branch)
	if e.World.Snapshot(1) != nil {
		t.Fatal("a refused Open created a pull request")
	}
}

func openMissingBranch(t *testing.T, e *Env) {
	_, err := e.Forge.Open(ctx, &slipway.PullRequest{Branch: branch, Base: "main", Title: "t"})
	if err == nil || !strings.Contains(err.Error(), branch) {
		t.Fatalf("Open of an unpushed branch: %v; want an error naming %s", err, branch)
	}
	if e.World.Snapshot(1) != nil {
		t.Fatal("a refused Open created a pull request")
	}
}

func mergeConflict(t *testing.T, e *Env) {
	pr, head := opened(t, e)
	e.World.SetConflict(pr.Number, true)
	if got, _ := e.Forge.Get(ctx, pr.Number); !got.Conflict {
		t.Errorf("Get does not report the conflict: %+v", got)
	}
	_, err := e.Forge.Merge(ctx, pr.Number, head, "carol")
	wantConflict(t, err, "conflict")
	if e.World.Snapshot(pr.Number).State != slipway.PROpen {
		t.Fatal("a conflicting pull request was merged")
	}
}

func mergeConflictLate(t *testing.T, e *Env) {
	pr, head := opened(t, e)
	e.World.Update(func(s *State) { s.ConflictOnMerge = true })
	_, err := e.Forge.Merge(ctx, pr.Number, head, "carol")
	wantConflict(t, err, "conflict")
	if e.World.Snapshot(pr.Number).State != slipway.PROpen {
		t.Fatal("a conflicting pull request was merged")
	}
}

func mergeHeadMoved(t *testing.T, e *Env) {
	pr, head := opened(t, e)
	moved := e.World.Push(branch)
	_, err := e.Forge.Merge(ctx, pr.Number, head, "carol")
	wantConflict(t, err, "moved", moved[:12], head[:12])
	if e.World.Snapshot(pr.Number).State != slipway.PROpen {
		t.Fatal("a force-pushed pull request was merged")
	}
}

// mergeHeadMovedRace pushes between the adapter's check and the forge's
// merge: only the forge's own head check (sha / head_commit_id) stops it.
func mergeHeadMovedRace(t *testing.T, e *Env) {
	pr, head := opened(t, e)
	var moved string
	e.World.Update(func(s *State) {
		s.BeforeMerge = func(s *State, _ *PR) {
			if moved == "" {
				moved = s.Push(branch)
			}
		}
	})
	_, err := e.Forge.Merge(ctx, pr.Number, head, "carol")
	wantConflict(t, err, "moved")
	if e.World.Snapshot(pr.Number).State != slipway.PROpen {
		t.Fatal("the forge merged a head Slipway never checked")
	}
}

func mergeClosedByPerson(t *testing.T, e *Env) {
	pr, head := opened(t, e)
	e.World.CloseBy(pr.Number, "erin")
	got, err := e.Forge.Get(ctx, pr.Number)
	if err != nil || got.State != slipway.PRClosed || got.ClosedBy != "erin" {
		t.Fatalf("Get = %+v, %v; want closed by erin", got, err)
	}
	_, err = e.Forge.Merge(ctx, pr.Number, head, "carol")
	wantConflict(t, err, "closed", "erin")
}

func mergeBranchDeleted(t *testing.T, e *Env) {
	pr, head := opened(t, e)
	e.World.DeleteBranch(branch, "erin")
	_, err := e.Forge.Merge(ctx, pr.Number, head, "carol")
	wantConflict(t, err, "deleted", branch)
	if e.World.Snapshot(pr.Number).State == slipway.PRMerged {
		t.Fatal("a pull request whose branch is gone was merged")
	}
}

func mergedByPerson(t *testing.T, e *Env) {
	pr, head := opened(t, e)
	sha := e.World.MergeBy(pr.Number, "frank")
	got, err := e.Forge.Get(ctx, pr.Number)
	if err != nil || got.State != slipway.PRMerged || got.MergeSHA != sha || got.MergedBy != "frank" || got.HeadSHA != head {
		t.Fatalf("Get = %+v, %v; want merged by frank as %s at head %s", got, err, sha, head)
	}
	m, err := e.Forge.Merge(ctx, pr.Number, head, "carol")
	if err != nil || m.MergeSHA != sha {
		t.Fatalf("Merge of a merged pull request = %+v, %v; want it as merged", m, err)
	}
}

func dismissed(t *testing.T, e *Env) {
	pr, _ := opened(t, e)
	e.World.AddReview(pr.Number, "alice", "approved")
	e.World.Dismiss(pr.Number, "alice")
	revs, err := e.Forge.Reviews(ctx, pr.Number)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range revs {
		if r.User == "alice" && r.State == "approved" && !dismissedLater(revs, r) {
			t.Fatalf("a dismissed approval is reported as standing: %+v", revs)
		}
	}
}

// dismissedLater reports whether a later review of the same user dismisses r.
func dismissedLater(revs []slipway.Review, r slipway.Review) bool {
	for _, x := range revs {
		if x.User == r.User && x.State == "dismissed" && !x.At.Before(r.At) {
			return true
		}
	}
	return false
}

// closeKeepsNewWork: a pull request a person closed, whose branch then got
// new commits, keeps its branch when Slipway closes it as superseded; a
// merged one is left alone entirely.
func closeKeepsNewWork(t *testing.T, e *Env) {
	pr, _ := opened(t, e)
	e.World.CloseBy(pr.Number, "erin")
	tip := e.World.Push(branch)
	if err := e.Forge.Close(ctx, pr.Number, "Superseded."); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if e.World.Head(branch) != tip || len(e.World.Snapshot(pr.Number).Comments) != 0 {
		t.Fatalf("Close deleted a branch with new work (head %q) or commented on a closed pull request", e.World.Head(branch))
	}
	other := "slipway/prod/api/merged00000"
	e.World.Push(other)
	m, err := e.Forge.Open(ctx, &slipway.PullRequest{Branch: other, Base: "main", Title: "t"})
	if err != nil {
		t.Fatal(err)
	}
	e.World.MergeBy(m.Number, "frank")
	if err := e.Forge.Close(ctx, m.Number, "Superseded."); err != nil || e.World.Head(other) == "" || len(e.World.Snapshot(m.Number).Comments) != 0 {
		t.Fatalf("Close of a merged pull request: %v; it must change nothing", err)
	}
}

func rateLimited(t *testing.T, e *Env) {
	pr, _ := opened(t, e)
	e.World.Inject(e.Fake.RateLimited(Now, 42*time.Second))
	got, err := e.Forge.Get(ctx, pr.Number)
	if err != nil || got.Number != pr.Number {
		t.Fatalf("Get after a rate limit = %+v, %v; want it to wait and succeed", got, err)
	}
	if s := e.Slept(); len(s) != 1 || s[0] != 42*time.Second {
		t.Fatalf("waited %v; want exactly the server's 42s reset", s)
	}
}

func serverErrors(t *testing.T, e *Env) {
	e.World.Push(branch)
	e.World.Inject(Fault{Method: http.MethodPost, Status: http.StatusBadGateway, Body: "<html>502 Bad Gateway</html>", Times: 2})
	if _, err := e.Forge.Open(ctx, &slipway.PullRequest{Branch: branch, Base: "main", Title: "t"}); err != nil {
		t.Fatalf("Open through two 502s: %v", err)
	}
	if e.World.Snapshot(2) != nil || e.World.Snapshot(1) == nil {
		t.Fatal("retries opened a duplicate pull request")
	}
	e.World.Inject(Fault{Method: http.MethodGet, Status: http.StatusInternalServerError, Body: `{"message":"Server Error"}`})
	if _, err := e.Forge.Reviews(ctx, 1); err != nil {
		t.Fatalf("Reviews through a 500: %v", err)
	}
	if n := len(e.Slept()); n != 3 {
		t.Fatalf("waited %d times, want 3 (two 502s, one 500)", n)
	}
}

func notFound(t *testing.T, e *Env) {
	if _, err := e.Forge.Get(ctx, 999); slipway.ErrorCode(err) != slipway.ENOTFOUND {
		t.Errorf("Get(999): %v (%s), want ENOTFOUND", err, slipway.ErrorCode(err))
	}
	if _, err := e.Forge.Find(ctx, "slipway/none"); slipway.ErrorCode(err) != slipway.ENOTFOUND {
		t.Errorf("Find(unknown): %v (%s), want ENOTFOUND", err, slipway.ErrorCode(err))
	}
}

func pagination(t *testing.T, e *Env) {
	pr, _ := opened(t, e)
	e.World.Update(func(s *State) {
		for i := range 130 {
			b := "feature/" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
			s.Push(b)
			s.Close(s.Create(b, "main", "noise", "", "dependabot"), "dependabot")
		}
	})
	all, err := e.Forge.List(ctx, "")
	if err != nil || len(all) != 131 {
		t.Fatalf("List(all) = %d, %v; want 131 across pages", len(all), err)
	}
	found, err := e.Forge.Find(ctx, branch)
	if err != nil || found.Number != pr.Number {
		t.Fatalf("Find among 131 = %+v, %v", found, err)
	}
	open, _ := e.Forge.List(ctx, slipway.PROpen)
	if len(open) != 1 || open[0].Number != pr.Number {
		t.Fatalf("List(open) = %v", numbers(open))
	}
}

func webhook(t *testing.T, newFake func(*testing.T, *World) Fake) {
	e := Start(t, newFake)
	parser, ok := e.Forge.(slipway.WebhookParser)
	if !ok {
		t.Fatalf("%T does not implement slipway.WebhookParser", e.Forge)
	}
	pr, head := opened(t, e)
	parse := func(req *http.Request) (*slipway.ForgeEvent, error) {
		body, _ := io.ReadAll(req.Body)
		return parser.ParseWebhook(req, body)
	}

	ev, err := parse(e.Fake.Deliver(t, Delivery{Kind: "opened", Number: pr.Number, Actor: Bot}, e.Secret))
	if err != nil || ev == nil || ev.Kind != "opened" || ev.Number != pr.Number || ev.Branch != branch || ev.HeadSHA != head || ev.Forge != e.Forge.Name() || ev.Delivery == "" {
		t.Fatalf("opened delivery = %+v, %v", ev, err)
	}
	e.World.AddReview(pr.Number, "alice", "approved")
	ev, err = parse(e.Fake.Deliver(t, Delivery{Kind: "reviewed", Number: pr.Number, Actor: "alice", Review: "approved"}, e.Secret))
	if err != nil || ev == nil || ev.Kind != "reviewed" || ev.Review == nil || ev.Review.User != "alice" || ev.Review.State != "approved" || ev.Review.CommitSHA != head {
		t.Fatalf("review delivery = %+v (review %+v), %v", ev, reviewOf(ev), err)
	}
	sha := e.World.MergeBy(pr.Number, "frank")
	ev, err = parse(e.Fake.Deliver(t, Delivery{Kind: "merged", Number: pr.Number, Actor: "frank"}, e.Secret))
	if err != nil || ev == nil || ev.Kind != "merged" || ev.MergeSHA != sha || ev.Actor != "frank" {
		t.Fatalf("merged delivery = %+v, %v; want merged as %s by frank", ev, err, sha)
	}

	forbidden := func(name string, req *http.Request, body []byte) {
		t.Helper()
		if body == nil {
			body, _ = io.ReadAll(req.Body)
		}
		ev, err := parser.ParseWebhook(req, body)
		if slipway.ErrorCode(err) != slipway.EFORBIDDEN || ev != nil {
			t.Errorf("%s: got %+v, %v; want EFORBIDDEN and no event", name, ev, err)
		}
	}
	merged := Delivery{Kind: "merged", Number: pr.Number, Actor: "frank"}
	forbidden("wrong secret", e.Fake.Deliver(t, merged, []byte("guessed")), nil)
	req := e.Fake.Deliver(t, merged, e.Secret)
	req.Header.Del(e.Fake.SignatureHeader())
	forbidden("no signature header", req, nil)
	req = e.Fake.Deliver(t, merged, e.Secret)
	body, _ := io.ReadAll(req.Body)
	forbidden("tampered body", req, []byte(strings.Replace(string(body), `"frank"`, `"mallory"`, 1)))

	other, err := parse(e.Fake.Deliver(t, Delivery{Kind: "merged", Number: pr.Number, Actor: "frank", Repo: "acme/other"}, e.Secret))
	if err != nil || other != nil {
		t.Errorf("a delivery for another repository = %+v, %v; want it ignored", other, err)
	}
	push, err := parse(e.Fake.Deliver(t, Delivery{Kind: "push"}, e.Secret))
	if err != nil || push != nil {
		t.Errorf("a push delivery = %+v, %v; want it ignored", push, err)
	}

	// Without a configured secret every delivery is refused: nothing
	// unsigned is ever believed.
	bare := Start(t, newFake, func(c *forge.Config) { c.WebhookSecretFile = "" })
	bare.World.Push(branch)
	if _, err := bare.Forge.Open(ctx, &slipway.PullRequest{Branch: branch, Base: "main", Title: "t"}); err != nil {
		t.Fatal(err)
	}
	req = bare.Fake.Deliver(t, Delivery{Kind: "opened", Number: 1, Actor: Bot}, bare.Secret)
	body, _ = io.ReadAll(req.Body)
	if ev, err := bare.Forge.(slipway.WebhookParser).ParseWebhook(req, body); slipway.ErrorCode(err) != slipway.EFORBIDDEN || ev != nil {
		t.Errorf("no secret configured: %+v, %v; want EFORBIDDEN", ev, err)
	}
}

func reviewOf(ev *slipway.ForgeEvent) *slipway.Review {
	if ev == nil {
		return nil
	}
	return ev.Review
}

func assertReview(t *testing.T, revs []slipway.Review, user, state, sha string) {
	t.Helper()
	for i := len(revs) - 1; i >= 0; i-- {
		if r := revs[i]; r.User == user {
			if r.State != state || r.CommitSHA != sha || r.At.IsZero() {
				t.Errorf("latest review by %s = %+v; want %s at %s", user, r, state, sha)
			}
			return
		}
	}
	t.Errorf("no review by %s in %+v", user, revs)
}

func wantConflict(t *testing.T, err error, words ...string) {
	t.Helper()
	if slipway.ErrorCode(err) != slipway.ECONFLICT {
		t.Fatalf("got %v (%s); want ECONFLICT", err, slipway.ErrorCode(err))
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("message %q does not say %q", err.Error(), w)
		}
	}
}

func numbers(prs []*slipway.PullRequest) []int {
	var n []int
	for _, p := range prs {
		n = append(n, p.Number)
	}
	return n
}
