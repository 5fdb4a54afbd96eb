package ui

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/slipway/slipway/api/apitest"
)

// chromium finds the real browser (Debian's chromium). Without it the test
// skips loudly; in CI (CI set) it fails, since .ci/run installs it.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed, and CI is set: .ci/run installs it (apt-get install -y chromium)")
	}
	t.Skip("SKIPPING THE END-TO-END UI TEST: no chromium on PATH. Install it with `apt-get install -y chromium` (.ci/run does)")
	return ""
}

// artifacts is the folder the screenshots go to: $SLIPWAY_TEST_ARTIFACTS/ui,
// else one under the test's temporary directory.
func artifacts(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "artifacts")
	if d := os.Getenv("SLIPWAY_TEST_ARTIFACTS"); d != "" {
		dir = filepath.Join(d, "ui")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// tab is one browser tab and the test's helpers around it.
type tab struct {
	t   *testing.T
	ctx context.Context
	dir string
}

func (b *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

func eval[T any](b *tab, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func (b *tab) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// shot saves a screenshot of the whole page at a viewport size.
func (b *tab) shot(name string, width, height int64) {
	b.t.Helper()
	b.do("viewport", chromedp.EmulateViewport(width, height))
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	file := filepath.Join(b.dir, name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	// Nothing is wider than a phone's screen: wide tables scroll in their
	// own region, not the page.
	if width < 500 {
		if w := eval[int](b, `document.documentElement.scrollWidth`); w > int(width) {
			b.t.Errorf("%s at %dpx: the page is %dpx wide", name, width, w)
		}
	}
}

// login goes to path, is sent to the login form, logs in and lands on path.
func (b *tab) login(base, user, password, path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS("#username")))
	b.do("log in as "+user,
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#login")),
		chromedp.WaitVisible(chromedp.CSS(".who .user")))
	if loc := eval[string](b, `location.pathname`); loc != path {
		b.t.Fatalf("after login as %s: at %s, not %s", user, loc, path)
	}
}

func (b *tab) gateState(name string) string {
	b.t.Helper()
	return eval[string](b, `(document.querySelector('[data-gate="`+name+`"]') || {dataset: {state: "absent"}}).dataset.state`)
}

// TestChromium drives the real browser through the approval story: alice
// asks for a prod promotion and cannot approve it herself; bob, on a
// phone-sized screen, tabs to the approve button and presses Enter; the
// approvals gate turns green. Then the canary chart of the demo's aborted
// release.
func TestChromium(t *testing.T) {
	exe := chromium(t)
	w, s := worldSite(t)
	p := w.Waiting("api")
	// web's prod canary aborted: the matrix shows it as web's last attempt.
	aborted := w.Paused("web")
	if _, err := w.Engine.DecideCanary(w.As(apitest.Oscar), aborted.ID, apitest.Oscar, false, "errors up"); err != nil {
		t.Fatal(err)
	}
	res, d := demoSite(t)

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1366, 768))...)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(alloc)
	defer cancelTab()
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	b := &tab{t: t, ctx: ctx, dir: artifacts(t)}
	path := "/promotions/" + p.ID

	// Alice sees her promotion waiting, its approvals gate not passed.
	b.do("viewport", chromedp.EmulateViewport(1366, 768))
	b.login(s.Srv.URL, apitest.Alice, apitest.Password, path)
	if st := b.gateState("approvals"); st != "wait" {
		t.Fatalf("the approvals gate of a waiting promotion is %q", st)
	}
	if why := b.text(`[data-gate="approvals"] .why`); !strings.Contains(why, "needs 1 more approval") {
		t.Fatalf("the gate's why: %q", why)
	}
	b.shot("1-waiting-1366", 1366, 768)

	// Her own approval: the engine's 403, shown on the page.
	b.do("self-approve", chromedp.Click(chromedp.CSS("#approve")), chromedp.WaitVisible(chromedp.CSS("#error-message")))
	_, want := w.Engine.Approve(w.As(apitest.Alice), p.ID, apitest.Alice, true, "")
	if got := b.text("#error-message"); want == nil || got != want.Error() {
		t.Fatalf("self-approval message %q, the engine says %v", got, want)
	}
	b.shot("2-self-approval-refused", 1366, 768)

	// Log out; bob logs in on a phone.
	b.do("log out", chromedp.Click(chromedp.CSS(".who button")), chromedp.WaitVisible(chromedp.CSS("#username")))
	b.do("phone", chromedp.EmulateViewport(375, 812))
	b.login(s.Srv.URL, apitest.Bob, apitest.Password, path)
	b.shot("3-waiting-375", 375, 812)

	// The keyboard alone: Tab until the approve button has focus, then Enter.
	b.do("focus the page", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`))
	focused := ""
	for i := 0; i < 60 && focused != "approve"; i++ {
		b.do("tab", chromedp.KeyEvent(kb.Tab))
		focused = eval[string](b, `document.activeElement ? document.activeElement.id : ""`)
	}
	if focused != "approve" {
		t.Fatal("Tab never reached the approve button")
	}
	if outline := eval[string](b, `getComputedStyle(document.activeElement).outlineStyle`); outline == "none" {
		t.Error("the focused approve button shows no focus ring")
	}
	b.do("press Enter", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if st := b.gateState("approvals"); st != "pass" {
		t.Fatalf("after bob's approval the approvals gate is %q", st)
	}
	if c := eval[string](b, `getComputedStyle(document.querySelector('[data-gate="approvals"] .badge')).backgroundColor`); c != "rgb(223, 243, 228)" {
		t.Errorf("the passed gate's badge is %s, not green", c)
	}
	b.shot("4-approved-375", 375, 812)
	b.shot("5-approved-1366", 1366, 768)

	// The matrix, both sizes.
	b.do("matrix", chromedp.Navigate(s.Srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("table.matrix")))
	last := `[data-service="web"] [data-env="prod"] .last`
	if got := b.text(last); !strings.Contains(got, "last attempt:") || !strings.Contains(got, "aborted") {
		t.Errorf("web's last attempt in prod reads %q", got)
	}
	if c := eval[string](b, `getComputedStyle(document.querySelector('`+last+` .badge')).backgroundColor`); c != "rgb(251, 224, 224)" {
		t.Errorf("the aborted attempt's badge is %s, not red", c)
	}
	b.shot("6-matrix-375", 375, 812)
	b.shot("7-matrix-1366", 1366, 768)

	// Every promotion, narrowed to prod with the form (no script on the page).
	b.do("promotions", chromedp.Navigate(s.Srv.URL+"/promotions"), chromedp.WaitVisible(chromedp.CSS("table.promotions")))
	b.shot("6b-promotions-375", 375, 812)
	b.do("filter prod", chromedp.SetValue(chromedp.CSS("#f-env"), "prod"), chromedp.Click(chromedp.CSS(".filters button")),
		chromedp.WaitReady(chromedp.CSS(`#f-env option[value="prod"][selected]`)))
	if q := eval[string](b, `location.search`); !strings.Contains(q, "env=prod") {
		t.Errorf("the filter form sent %q", q)
	}
	envs := eval[[]string](b, `[...document.querySelectorAll('table.promotions tbody tr')].map(r => r.cells[3].textContent)`)
	if len(envs) != 2 || envs[0] != "prod" || envs[1] != "prod" {
		t.Errorf("the prod list shows the environments %v, want the two prod promotions", envs)
	}
	if n := eval[int](b, `document.querySelectorAll('a[href="/promotions/`+aborted.ID+`"]').length`); n != 1 {
		t.Errorf("the aborted promotion is linked %d times", n)
	}
	b.shot("6c-promotions-prod-375", 375, 812)
	b.shot("6d-promotions-prod-1366", 1366, 768)

	// The canary of the demo's aborted release: a chart per metric, a
	// marker per numeric reading.
	canary := "/promotions/" + res.BadProd.ID + "/canary"
	b.login(d.Srv.URL, "bob@example.com", demoPassword, canary)
	want2 := 0
	runs, _ := d.E.Store.Analysis.AnalysisRuns(context.Background(), res.BadProd.ID)
	for _, run := range runs {
		ms, _ := d.E.Store.Analysis.Measurements(context.Background(), run.ID)
		for _, m := range ms {
			if _, ok := parseValue(m.Value); ok {
				want2++
			}
		}
	}
	if n := eval[int](b, `document.querySelectorAll('figure.chart svg .pt').length`); n != want2 || n == 0 {
		t.Fatalf("%d chart markers in the browser, %d numeric readings", n, want2)
	}
	if n := eval[int](b, `document.querySelectorAll('figure.chart svg polyline.series').length`); n == 0 {
		t.Fatal("no chart line")
	}
	if !strings.Contains(b.text("#abort"), "Aborted") {
		t.Fatal("the abort reason is not shown")
	}
	b.shot("8-canary-1366", 1366, 768)
	b.shot("9-canary-375", 375, 812)
	if w := eval[float64](b, `document.querySelector('figure.chart svg').getBoundingClientRect().width`); w <= 0 || w > 375 {
		t.Errorf("the chart is %gpx wide on a 375px screen", w)
	}
}
