package ui

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/api/apitest"
)

var cellRe = regexp.MustCompile(`(?s)<td class="cell" data-env="([^"]+)">(.*?)</td>`)

// matrixCell is the HTML of one cell of the environment matrix.
func matrixCell(t *testing.T, p page, service, env string) string {
	t.Helper()
	i := strings.Index(p.Body, `<tr data-service="`+service+`">`)
	if i < 0 {
		t.Fatalf("no matrix row for %s:\n%s", service, p.Body)
	}
	row := p.Body[i:]
	row = row[:strings.Index(row, "</tr>")]
	for _, m := range cellRe.FindAllStringSubmatch(row, -1) {
		if m[1] == env {
			return m[2]
		}
	}
	t.Fatalf("no %s cell in the row of %s:\n%s", env, service, row)
	return ""
}

func containsAll(t *testing.T, what, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, s)
		}
	}
}

// An aborted canary newer than what runs shows in the matrix cell as the
// last attempt, next to the release that still runs; once a promotion is
// under way it is the cell's "next" line instead; once a newer promotion
// succeeds the old abort is gone.
func TestMatrixShowsTheLastAttempt(t *testing.T) {
	w, s := worldSite(t)
	ctx := context.Background()
	good := w.Paused("api")
	w.Settle("api")
	bad := w.Paused("api")
	if _, err := w.Engine.DecideCanary(w.As(apitest.Oscar), bad.ID, apitest.Oscar, false, "errors up"); err != nil {
		t.Fatal(err)
	}
	w.Travel(12 * time.Minute)
	rel, err := w.Engine.Store.Releases.ReleaseOfBuild(ctx, bad.BuildID)
	if err != nil || rel == nil {
		t.Fatalf("the aborted build has no release: %v", err)
	}
	b := s.browser()
	home := b.login(apitest.Victor, apitest.Password, "/")
	cell := matrixCell(t, home, "api", "prod")
	containsAll(t, "api in prod", cell,
		`<span class="badge tone-ok">running</span>`, `href="/promotions/`+good.ID+`"`, // what runs stays first
		`<span class="last tone-bad" data-last="`+bad.ID+`">last attempt: <a href="/promotions/`+bad.ID+`">`+rel.Tag+`</a> <span class="badge tone-bad">aborted</span>`,
		`>12 min ago</time>`)
	if c := matrixCell(t, home, "web", "prod"); strings.Contains(c, "last attempt") {
		t.Errorf("web never tried prod, yet: %s", c)
	}
	if c := matrixCell(t, home, "api", "dev"); strings.Contains(c, "last attempt") {
		t.Errorf("api's newest dev promotion runs, yet: %s", c)
	}

	// A promotion under way is the cell's next line, not the old abort.
	next := w.Paused("api")
	cell = matrixCell(t, b.get("/"), "api", "prod")
	containsAll(t, "api in prod with a canary paused", cell, `next: <a href="/promotions/`+next.ID+`">`)
	if strings.Contains(cell, "last attempt") {
		t.Errorf("an active promotion and a last attempt at once: %s", cell)
	}
	// It succeeds: the abort is older than what runs now.
	w.Settle("api")
	cell = matrixCell(t, b.get("/"), "api", "prod")
	containsAll(t, "api in prod after the next release", cell, `<span class="badge tone-ok">running</span>`, `href="/promotions/`+next.ID+`"`)
	if strings.Contains(cell, "last attempt") || strings.Contains(cell, bad.ID) {
		t.Errorf("the abort is older than the running release, yet: %s", cell)
	}
}

// The rule for every way a promotion ends without running, driven through
// the store's own state machine (the engine reaches these states through
// Git and the rollout driver; here the store's transitions stand for them).
func TestLastAttemptRule(t *testing.T) {
	w, s := worldSite(t)
	ctx := context.Background()
	st := w.Engine.Store.Promotions
	build := w.Released("web")
	var seen []string
	create := func(supersede bool) *slipway.Promotion {
		p := &slipway.Promotion{Service: "web", Env: "prod", BuildID: build.ID, Digest: build.Digest, Requester: apitest.Alice, State: slipway.StateWaiting, Created: w.Now()}
		if _, err := st.CreatePromotion(ctx, p, supersede); err != nil {
			t.Fatal(err)
		}
		return p
	}
	move := func(p *slipway.Promotion, to ...slipway.PromotionState) {
		for _, s := range to {
			if err := st.Transition(ctx, p, s, "by the test", w.Now()); err != nil {
				t.Fatalf("%s to %s: %v", p.ID, s, err)
			}
		}
	}
	b := s.browser()
	b.login(apitest.Victor, apitest.Password, "/")
	// want is the promotion the last-attempt line names ("" for none) and
	// the state it shows.
	check := func(name, want, state string) {
		t.Helper()
		cell := matrixCell(t, b.get("/"), "web", "prod")
		seen = append(seen, name)
		if want == "" {
			if strings.Contains(cell, "last attempt") {
				t.Errorf("%s: a last attempt is shown: %s", name, cell)
			}
			return
		}
		containsAll(t, name, cell, `data-last="`+want+`"`, `<span class="badge tone-`+tone(slipway.PromotionState(state))+`">`+state+`</span>`)
	}

	failed := create(false)
	move(failed, slipway.StateFailed)
	check("nothing runs, the attempt failed", failed.ID, "failed")

	ok := create(false)
	move(ok, slipway.StatePinning, slipway.StateSynced, slipway.StateSucceeded)
	check("the newest promotion runs", "", "")

	reverted := create(false)
	move(reverted, slipway.StatePinning, slipway.StateSynced, slipway.StateSucceeded, slipway.StateRolledBack)
	check("the newest was rolled back", reverted.ID, "rolled-back")
	if cell := matrixCell(t, b.get("/"), "web", "prod"); !strings.Contains(cell, `href="/promotions/`+ok.ID+`"`) {
		t.Errorf("after the rollback the older success runs again: %s", cell)
	}

	old := create(false)
	replacing := create(true) // supersedes old
	if p, _ := st.Promotion(ctx, old.ID); p.State != slipway.StateSuperseded {
		t.Fatalf("%s is %s", old.ID, p.State)
	}
	check("one waits (active)", "", "")
	move(replacing, slipway.StateFailed)
	check("the replacing one failed", replacing.ID, "failed")
	if len(seen) != 5 {
		t.Fatal(seen)
	}
}

func TestAgo(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{
		-time.Minute: "just now", 0: "just now", 59 * time.Second: "just now", time.Minute: "1 min ago",
		12*time.Minute + 30*time.Second: "12 min ago", 59 * time.Minute: "59 min ago", time.Hour: "1 h ago",
		47 * time.Hour: "47 h ago", 48 * time.Hour: "2 days ago", 30 * 24 * time.Hour: "30 days ago",
	} {
		if got := ago(now, now.Add(-d)); got != want {
			t.Errorf("ago(%s) = %q, want %q", d, got, want)
		}
	}
}

// listWorld is the API test world with promotions of both services to
// both environments in several states: the api's dev promotions, its prod
// promotion waiting for approval, web's dev promotions and its prod canary
// aborted.
func listWorld(t *testing.T) (*apitest.World, *site, []*slipway.Promotion) {
	w, s := worldSite(t)
	w.Released("api")
	aborted := w.Paused("web")
	if _, err := w.Engine.DecideCanary(w.As(apitest.Oscar), aborted.ID, apitest.Oscar, false, "errors up"); err != nil {
		t.Fatal(err)
	}
	w.Waiting("api")
	all, err := w.Engine.Store.Promotions.Promotions(context.Background(), slipway.PromotionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(all) // newest first, as the page lists them
	if len(all) < 5 {
		t.Fatalf("the world made %d promotions", len(all))
	}
	return w, s, all
}

var (
	listRowRe = regexp.MustCompile(`<tr data-promotion="([^"]+)">`)
	nextRe    = regexp.MustCompile(`<a href="([^"]+)" rel="next">`)
)

// walk reads every page of a list from path on, and returns the promotion
// ids in the order shown and the number of pages.
func walk(t *testing.T, b *browser, path string, size int) ([]string, int) {
	t.Helper()
	var ids []string
	pages := 0
	for path != "" {
		p := b.get(path)
		if p.Status != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", path, p.Status, p.Body)
		}
		pages++
		rows := listRowRe.FindAllStringSubmatch(p.Body, -1)
		if len(rows) > size || len(rows) == 0 && pages > 1 {
			t.Fatalf("page %d (%s) has %d rows", pages, path, len(rows))
		}
		for _, r := range rows {
			ids = append(ids, r[1])
		}
		path = ""
		if m := nextRe.FindStringSubmatch(p.Body); m != nil {
			path = html.UnescapeString(m[1])
		}
		if pages > 50 {
			t.Fatal("the pages never end")
		}
	}
	return ids, pages
}

func idsOf(ps []*slipway.Promotion, keep func(*slipway.Promotion) bool) []string {
	var out []string
	for _, p := range ps {
		if keep(p) {
			out = append(out, p.ID)
		}
	}
	return out
}

// /promotions lists every promotion newest first, two a page here: the
// pages together show each exactly once, in order; each filter (and all
// three at once) keeps exactly the promotions it names, on every page.
func TestPromotionsList(t *testing.T) {
	_, s, all := listWorld(t)
	s.UI.pageSize = 2
	b := s.browser()
	first := b.login(apitest.Victor, apitest.Password, "/promotions")
	mustContain(t, first, "<h1>Promotions</h1>", `<a href="/promotions" aria-current="page">Promotions</a>`,
		`<label for="f-service">Service</label>`, `<label for="f-env">Environment</label>`, `<label for="f-state">State</label>`,
		`<option value="web">web</option>`, `<option value="aborted">aborted</option>`)
	if strings.Contains(first.Body, "Newest promotions") {
		t.Error("the newest page links to itself")
	}

	ids, pages := walk(t, b, "/promotions", 2)
	if want := idsOf(all, func(*slipway.Promotion) bool { return true }); !slices.Equal(ids, want) {
		t.Fatalf("the pages show\n%v\nthe store has, newest first\n%v", ids, want)
	}
	if want := (len(all) + 1) / 2; pages != want {
		t.Errorf("%d pages for %d promotions two a page, want %d", pages, len(all), want)
	}

	for query, keep := range map[string]func(*slipway.Promotion) bool{
		"service=web":     func(p *slipway.Promotion) bool { return p.Service == "web" },
		"env=prod":        func(p *slipway.Promotion) bool { return p.Env == "prod" },
		"state=aborted":   func(p *slipway.Promotion) bool { return p.State == slipway.StateAborted },
		"state=succeeded": func(p *slipway.Promotion) bool { return p.State == slipway.StateSucceeded },
		"state=active":    func(p *slipway.Promotion) bool { return p.State.Active() },
		"service=api&env=prod&state=waiting": func(p *slipway.Promotion) bool {
			return p.Service == "api" && p.Env == "prod" && p.State == slipway.StateWaiting
		},
		"service=web&env=dev&state=rolled-back": func(p *slipway.Promotion) bool { return false },
	} {
		want := idsOf(all, keep)
		got, _ := walk(t, b, "/promotions?"+query, 2)
		if !slices.Equal(got, want) {
			t.Errorf("%s: the pages show %v, want %v", query, got, want)
		}
		if len(want) == 0 {
			mustContain(t, b.get("/promotions?"+query), "No promotion matches these filters.")
		}
	}
	// The form shows the filters it was sent.
	pg := b.get("/promotions?service=web&env=prod&state=aborted")
	mustContain(t, pg, `<option value="web" selected>web</option>`, `<option value="prod" selected>prod</option>`, `<option value="aborted" selected>aborted</option>`,
		"Promotions of web to prod in state aborted, newest first")
}

// A row says what the promotion is, in words and UTC, and links to it.
func TestPromotionsListRow(t *testing.T) {
	w, s, all := listWorld(t)
	b := s.browser()
	pg := b.login(apitest.Victor, apitest.Password, "/promotions?env=prod&state=aborted")
	var p *slipway.Promotion
	for _, x := range all {
		if x.Env == "prod" && x.State == slipway.StateAborted {
			p = x
		}
	}
	rel, err := w.Engine.Store.Releases.ReleaseOfBuild(context.Background(), p.BuildID)
	if err != nil || rel == nil {
		t.Fatalf("no release of %s: %v", p.BuildID, err)
	}
	mustContain(t, pg, `<tr data-promotion="`+p.ID+`"><td><a href="/promotions/`+p.ID+`">`+p.ID+`</a></td><td><span class="badge tone-bad">aborted</span></td><td>web</td><td>prod</td><td>`+rel.Tag+` <code class="digest" title="`+p.Digest+`">`+slipway.Digest12(p.Digest)+`</code></td><td>`+p.Requester+`</td>`,
		`<time datetime="`+p.Created.UTC().Format(time.RFC3339)+`">`+p.Created.UTC().Format("2006-01-02 15:04")+` UTC</time>`,
		`<time datetime="`+p.Updated.UTC().Format(time.RFC3339)+`">`+p.Updated.UTC().Format("2006-01-02 15:04")+` UTC</time>`)
	// dev promotions happen before the release: the build's release tag.
	dev := b.get("/promotions?env=dev&service=web")
	if strings.Contains(dev.Body, ">no release <code") {
		t.Errorf("a released build's dev promotion shows no release:\n%s", dev.Body)
	}
}

// A filter that names nothing is refused: 400, the field and the values it
// takes on the page, the form kept, no list.
func TestPromotionsListRefusesABadFilter(t *testing.T) {
	_, s, _ := listWorld(t)
	b := s.browser()
	b.login(apitest.Victor, apitest.Password, "/promotions")
	for query, want := range map[string]string{
		"state=bogus":            `state="bogus" is not a promotion state: choose one of waiting, pinning, review-open, synced, canary, paused, succeeded, aborted, failed, superseded, rolled-back, active (any state under way), or any state`,
		"state=Aborted":          `state="Aborted" is not a promotion state`,
		"service=payments":       `service="payments" is not a service of slipway.yaml: choose one of api, web, or any service`,
		"env=qa&state=ok":        `env="qa" is not an environment of slipway.yaml: choose one of dev, prod, or any environment`,
		"before=42":              `before="42" is not a promotion id: follow the page links`,
		"state=%3Cb%3Ex%3C/b%3E": `state="<b>x</b>" is not a promotion state`,
	} {
		p := b.get("/promotions?" + query)
		if p.Status != http.StatusBadRequest {
			t.Errorf("%s: %d", query, p.Status)
		}
		if strings.Contains(p.Body, "<b>") {
			t.Errorf("%s: the query's markup reached the page", query)
		}
		if !strings.Contains(p.Body, `role="alert"`) || !strings.Contains(html.UnescapeString(p.Body), want) {
			t.Errorf("%s: the page lacks %q:\n%s", query, want, p.Body)
		}
		if listRowRe.MatchString(p.Body) || !strings.Contains(p.Body, `<form class="filters"`) {
			t.Errorf("%s: a refused filter lists promotions or loses its form", query)
		}
	}
}

// The list needs a session and the read permission, as every page does:
// a stranger is sent to log in (and back), someone without read gets 403.
func TestPromotionsListNeedsTheViewerRole(t *testing.T) {
	w, s := worldSite(t)
	stranger := s.browser()
	path := "/promotions?service=api&state=waiting"
	if p := stranger.get(path); p.Status != http.StatusSeeOther || p.Location != "/login?next="+url.QueryEscape(path) {
		t.Fatalf("GET %s without a session: %d to %q", path, p.Status, p.Location)
	}
	const nemo = "nemo@example.com" // a user no role names
	if _, err := w.Auth.AddUser(context.Background(), nemo, apitest.Password); err != nil {
		t.Fatal(err)
	}
	b := s.browser()
	p := b.login(nemo, apitest.Password, path)
	if p.Status != http.StatusForbidden || !strings.Contains(p.Body, `grants &#34;read&#34;`) || listRowRe.MatchString(p.Body) {
		t.Fatalf("GET %s without read: %d\n%s", path, p.Status, p.Body)
	}
	if p := s.browser().login(apitest.Victor, apitest.Password, path); p.Status != http.StatusOK {
		t.Fatalf("a viewer: %d", p.Status)
	}
}
