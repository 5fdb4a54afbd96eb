package ui

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/slipway/slipway/api/apitest"
)

// The canary page of the demo's aborted v1.1.0: one chart per metric with
// a marker per numeric reading, the verdicts, the abort reason, and every
// reading in the table.
func TestCanaryPage(t *testing.T) {
	res, s := demoSite(t)
	ctx := context.Background()
	b := s.browser()
	id := res.BadProd.ID
	pg := b.login("alice@example.com", demoPassword, "/promotions/"+id+"/canary")
	p, err := s.E.Store.Promotions.Promotion(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if p.State != "aborted" || p.Reason == "" {
		t.Fatalf("the demo's bad release should be aborted with a reason: %+v", p)
	}
	mustContain(t, pg, `<div class="alert" id="abort">`, html.EscapeString(p.Reason))
	runs, err := s.E.Store.Analysis.AnalysisRuns(ctx, id)
	if err != nil || len(runs) == 0 {
		t.Fatalf("no analysis runs: %v", err)
	}
	plotted, rows, metrics := 0, 0, map[string]bool{}
	for _, run := range runs {
		mustContain(t, pg, fmt.Sprintf("Analysis run %d: ", run.ID), ">"+run.Phase+"</span>")
		ms, err := s.E.Store.Analysis.Measurements(ctx, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			rows++
			metrics[fmt.Sprint(run.ID, m.Metric)] = true
			if _, ok := parseValue(m.Value); ok {
				plotted++
			}
		}
	}
	if plotted == 0 {
		t.Fatal("the demo's canary recorded no numeric measurement")
	}
	if got := strings.Count(pg.Body, `class="pt pt-`); got != plotted {
		t.Errorf("%d markers for %d numeric readings", got, plotted)
	}
	if got := strings.Count(pg.Body, `<svg `); got != len(metrics) {
		t.Errorf("%d charts for %d metrics of %d runs", got, len(metrics), len(runs))
	}
	if !strings.Contains(pg.Body, `class="pt pt-fail"`) {
		t.Error("the failed readings of the aborted canary are not drawn as failed")
	}
	body := pg.Body[strings.Index(pg.Body, "<details>"):]
	if got := strings.Count(body, "<tr><td><time"); got != rows {
		t.Errorf("the table has %d rows for %d readings", got, rows)
	}
	// The promotion page links here.
	mustContain(t, b.get("/promotions/"+id), `href="/promotions/`+id+`/canary"`)
}

func TestReleasesPages(t *testing.T) {
	res, s := demoSite(t)
	ctx := context.Background()
	b := s.browser()
	pg := b.login("bob@example.com", demoPassword, "/releases")
	rs, err := s.E.Store.Releases.Releases(ctx, "")
	if err != nil || len(rs) < 2 {
		t.Fatalf("releases: %v %d", err, len(rs))
	}
	for _, r := range rs {
		mustContain(t, pg, `href="/releases/`+r.Service+`/`+r.Version+`"`, r.Tag)
	}
	r := rs[len(rs)-1]
	one := b.get("/releases/" + r.Service + "/" + r.Version)
	if one.Status != 200 {
		t.Fatalf("release page: %d", one.Status)
	}
	mustContain(t, one, "<h1>"+r.Service+" "+r.Version+"</h1>", "<h2 id=\"notes-h\">Changelog</h2>", "<li>")
	for _, blk := range markdown(r.Notes) {
		if blk.Kind == "ul" {
			mustContain(t, one, "<li>"+html.EscapeString(blk.Items[0])+"</li>")
		}
	}
	mustContain(t, one, `href="/promotions/`+res.GoodProd.ID+`"`)
	if p := b.get("/releases/" + r.Service + "/9.9.9"); p.Status != http.StatusNotFound {
		t.Fatalf("unknown release: %d", p.Status)
	}
}

func TestAuditPages(t *testing.T) {
	_, s := demoSite(t)
	ctx := context.Background()
	b := s.browser()
	pg := b.login("bob@example.com", demoPassword, "/audit")
	es, err := s.E.Store.Pages.AuditPage(ctx, 0, 1000)
	if err != nil || len(es) == 0 {
		t.Fatalf("audit: %v %d", err, len(es))
	}
	for _, e := range es {
		mustContain(t, pg, fmt.Sprintf("<tr><td>%d</td>", e.Seq))
	}
	if len(es) <= auditPageSize && strings.Contains(pg.Body, "Older entries") {
		t.Error("a one-page trail links to older entries")
	}
	// The second page starts below the entry named.
	last := es[0].Seq
	older := b.get(fmt.Sprintf("/audit?before=%d", last))
	if strings.Contains(older.Body, fmt.Sprintf("<tr><td>%d</td>", last)) || !strings.Contains(older.Body, "Newest entries") {
		t.Errorf("page before %d:\n%s", last, older.Body)
	}
	if p := b.get("/audit?before=-1"); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "before=") {
		t.Errorf("a bad page number: %d", p.Status)
	}
}

var rowRe = regexp.MustCompile(`(?s)<tr>\s*<td>([^<]+)</td><td>([^<]+)</td>\s*<td><span class="badge tone-(ok|bad)">(open|frozen)</span></td>`)

// The demo's prod has a sync window (weekdays 09:00–17:00 Berlin): at
// 10:00 UTC it is open, and the page says when it closes.
func TestFreezesPage(t *testing.T) {
	res, s := demoSite(t)
	b := s.browser()
	pg := b.login("bob@example.com", demoPassword, "/freezes")
	rows := rowRe.FindAllStringSubmatch(pg.Body, -1)
	if len(rows) != len(s.E.Cfg.Environments)*len(s.E.Cfg.Services) {
		t.Fatalf("%d window rows:\n%s", len(rows), pg.Body)
	}
	for _, env := range s.E.Cfg.Environments {
		set, err := s.E.SyncWindows(context.Background(), env.Name)
		if err != nil {
			t.Fatal(err)
		}
		if set == nil {
			continue
		}
		mustContain(t, pg, "<td>"+env.Name+"</td>")
	}
	// The aborted v1.1.0 is held.
	mustContain(t, pg, "No line is stopped.", `title="`+res.BadProd.Digest+`"`)
	// prod's window is open at 11:00 in Berlin and closes at 17:00 (16:00 UTC).
	for _, r := range rows {
		if r[1] == "prod" && r[4] != "open" {
			t.Errorf("prod for %s is %s at 10:00 UTC", r[2], r[4])
		}
	}
	mustContain(t, pg, `<time datetime="2026-11-30T16:00:00Z">2026-11-30 16:00 UTC</time>`)
}

// A stop switched on and a held digest show at once, with who and why.
func TestFreezesShowsStopsAndHolds(t *testing.T) {
	w, s := worldSite(t)
	if err := w.Engine.StopLine(w.As(apitest.Oscar), "prod", apitest.Oscar, "incident 42 <b>"); err != nil {
		t.Fatal(err)
	}
	b := s.browser()
	pg := b.login(apitest.Victor, apitest.Password, "/freezes")
	mustContain(t, pg, `<span class="badge tone-bad">stopped</span> prod by oscar@example.com`, "incident 42 &lt;b&gt;")
}

// TestHoldReleasedFromTheFreezesPage: an aborted canary holds its digest;
// someone without hold-release is refused with the engine's 403 on the
// page; the person on call releases it and the hold is gone.
func TestHoldReleasedFromTheFreezesPage(t *testing.T) {
	w, s := worldSite(t)
	p := w.Paused("api")
	if _, err := w.Engine.DecideCanary(w.As(apitest.Oscar), p.ID, apitest.Oscar, false, "errors up"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if hs, _ := w.Engine.Store.Holds.Holds(ctx, "api", false); len(hs) != 1 || hs[0].Digest != p.Digest {
		t.Fatalf("holds after the abort: %+v", hs)
	}
	victor := s.browser()
	pg := victor.login(apitest.Victor, apitest.Password, "/freezes")
	form := url.Values{"csrf_token": {csrf(t, pg)}, "service": {"api"}, "digest": {p.Digest}}
	if res := victor.post("/holds/release", form); res.Status != http.StatusForbidden || !strings.Contains(res.Body, "hold-release") {
		t.Fatalf("a viewer releases the hold: %d\n%s", res.Status, res.Body)
	}
	oscar := s.browser()
	pg = oscar.login(apitest.Oscar, apitest.Password, "/freezes")
	form.Set("csrf_token", csrf(t, pg))
	res := oscar.post("/holds/release", form)
	if res.Status != http.StatusSeeOther || res.Location != "/freezes?done=hold-released" {
		t.Fatalf("release: %d %q\n%s", res.Status, res.Location, res.Body)
	}
	if hs, _ := w.Engine.Store.Holds.Holds(ctx, "api", false); len(hs) != 0 {
		t.Fatalf("holds after the release: %+v", hs)
	}
	mustContain(t, oscar.get(res.Location), "The hold is released", "No digest is held.")
}

// TestStopSwitchFromTheFreezesPage: someone without the stop permission is
// refused with the engine's 403; the person on call stops prod with a
// reason, sees it, and lifts it again.
func TestStopSwitchFromTheFreezesPage(t *testing.T) {
	w, s := worldSite(t)
	ctx := context.Background()
	victor := s.browser()
	pg := victor.login(apitest.Victor, apitest.Password, "/freezes")
	mustContain(t, pg, `<option value="prod">prod</option>`)
	if res := victor.post("/stops/on", url.Values{"csrf_token": {csrf(t, pg)}, "env": {"prod"}, "reason": {"fun"}}); res.Status != http.StatusForbidden {
		t.Fatalf("a viewer stops the line: %d\n%s", res.Status, res.Body)
	}
	oscar := s.browser()
	pg = oscar.login(apitest.Oscar, apitest.Password, "/freezes")
	res := oscar.post("/stops/on", url.Values{"csrf_token": {csrf(t, pg)}, "env": {"prod"}, "reason": {"INC-9 payments down"}})
	if res.Status != http.StatusSeeOther || res.Location != "/freezes?done=line-stopped" {
		t.Fatalf("stop: %d %q\n%s", res.Status, res.Location, res.Body)
	}
	if st, _ := w.Engine.Store.Gates.Stops(ctx); len(st) != 1 || st[0].Env != "prod" || st[0].By != apitest.Oscar || st[0].Reason != "INC-9 payments down" {
		t.Fatalf("stops: %+v", st)
	}
	pg = oscar.get(res.Location)
	mustContain(t, pg, "The line is stopped", "INC-9 payments down", `action="/stops/lift"`)
	res = oscar.post("/stops/lift", url.Values{"csrf_token": {csrf(t, pg)}, "env": {"prod"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("lift: %d\n%s", res.Status, res.Body)
	}
	if st, _ := w.Engine.Store.Gates.Stops(ctx); len(st) != 0 {
		t.Fatalf("stops after the lift: %+v", st)
	}
}
