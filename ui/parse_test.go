package ui

import (
	"html/template"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway"
)

func TestParseValue(t *testing.T) {
	for in, want := range map[string]float64{"0.013": 0.013, " 1e-3 ": 0.001, "[0.25]": 0.25, "[0.01, 0.02]": 0.01, "[3 4]": 3, "-2": -2} {
		if got, ok := parseValue(in); !ok || got != want {
			t.Errorf("parseValue(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "[]", "NaN", "Inf", "-Inf", "ok", "[x]", "1e400", strings.Repeat("1", 100)} {
		if v, ok := parseValue(in); ok {
			t.Errorf("parseValue(%q) = %v: should not be plotted", in, v)
		}
	}
}

func FuzzParseValue(f *testing.F) {
	for _, s := range []string{"0.5", "[1, 2]", "NaN", "", "[", "]", "1e308", "-0", "[ 7 ]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := parseValue(s)
		if ok && (math.IsNaN(v) || math.IsInf(v, 0)) {
			t.Fatalf("parseValue(%q) = %v", s, v)
		}
	})
}

// The chart puts every numeric reading inside the plot area, in time
// order, with the shape of its verdict; the rest are counted, not drawn.
func TestChartGeometry(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	ms := []slipway.Measurement{
		{Metric: "err", Phase: "Successful", Value: "0.01", At: t0.Add(2 * time.Minute)},
		{Metric: "err", Phase: "Successful", Value: "0.02", At: t0},
		{Metric: "err", Phase: "Failed", Value: "[0.4]", At: t0.Add(4 * time.Minute)},
		{Metric: "err", Phase: "Error", Value: "", At: t0.Add(5 * time.Minute)},
		{Metric: "lat", Phase: "Inconclusive", Value: "120", At: t0},
	}
	cs := charts(ms, "r1")
	if len(cs) != 2 || cs[0].Metric != "err" || cs[1].Metric != "lat" {
		t.Fatalf("charts: %+v", cs)
	}
	c := cs[0]
	if len(c.Points) != 3 || c.Unplotted != 1 {
		t.Fatalf("points %d, unplotted %d", len(c.Points), c.Unplotted)
	}
	for i, p := range c.Points {
		if p.X < c.Left || p.X > c.Right || p.Y < c.Top || p.Y > c.Bottom {
			t.Errorf("point %d (%g,%g) outside the plot", i, p.X, p.Y)
		}
		if i > 0 && p.X <= c.Points[i-1].X {
			t.Errorf("points out of time order: %+v", c.Points)
		}
	}
	if c.Points[0].X != c.Left || c.Points[2].X != c.Right || c.Points[2].Y != c.Top || c.Points[2].Shape != "fail" || c.Points[2].Marker == "" {
		t.Errorf("the extremes: %+v", c.Points)
	}
	if !strings.Contains(c.Summary, "4 readings of err: 2 successful, 1 failed, 1 inconclusive or error; 1 not numbers") {
		t.Errorf("summary: %s", c.Summary)
	}
	one := cs[1]
	if len(one.Points) != 1 || one.Points[0].Shape != "warn" || one.Points[0].Y < one.Top || one.Points[0].Y > one.Bottom {
		t.Errorf("a single reading: %+v", one)
	}
}

func TestMarkdown(t *testing.T) {
	got := markdown("## 1.1.0 (2026-11-30)\n\n### Features\n\n* **api:** add [x](https://e.x/1) <script>\n* two\n\nplain\ntext\n#\n")
	want := []block{{Kind: "h3", Text: "1.1.0 (2026-11-30)"}, {Kind: "h4", Text: "Features"},
		{Kind: "ul", Items: []string{"api: add x (https://e.x/1) <script>", "two"}}, {Kind: "p", Text: "plain text"}}
	if len(got) != len(want) {
		t.Fatalf("%+v", got)
	}
	for i := range want {
		if got[i].Kind != want[i].Kind || got[i].Text != want[i].Text || strings.Join(got[i].Items, "|") != strings.Join(want[i].Items, "|") {
			t.Errorf("block %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

// Release notes are commit messages, written by anyone who can push: they
// never become markup on the page.
func FuzzMarkdown(f *testing.F) {
	for _, s := range []string{"# a\n* b\n", "[x](y)", "[x](", "<script>alert(1)</script>", "##", "- [a](<b>)\r\n"} {
		f.Add(s)
	}
	page := template.Must(template.New("").Parse(`{{range .}}{{.Text}}{{range .Items}}{{.}}{{end}}{{end}}`))
	f.Fuzz(func(t *testing.T, s string) {
		var b strings.Builder
		if err := page.Execute(&b, markdown(s)); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(b.String(), "<") {
			t.Fatalf("markup reached the page from %q: %s", s, b.String())
		}
	})
}

func TestDiffLines(t *testing.T) {
	got := diffLines("diff --git a/x b/x\nindex 1..2 100644\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n ctx\n-old\n+new\n")
	kinds := ""
	for _, l := range got {
		kinds += l.Kind + " "
	}
	if kinds != "meta meta meta meta hunk ctx del add " {
		t.Fatalf("kinds: %s", kinds)
	}
}

func FuzzDiffLines(f *testing.F) {
	f.Add("@@ -1 +1 @@\n-a\n+b\n")
	f.Add("\n\n+++ x")
	f.Fuzz(func(t *testing.T, s string) {
		n := 0
		for _, l := range diffLines(s) {
			n += len(l.Text)
		}
		if n > len(s) {
			t.Fatalf("diffLines invented text from %q", s)
		}
	})
}

// A commit id that is not a full hex SHA is never handed to git.
func TestPinDiffRefusesOddCommits(t *testing.T) {
	for _, c := range []string{"--output=/tmp/x", "HEAD", "abc", strings.Repeat("g", 40)} {
		if fullSHA.MatchString(c) {
			t.Errorf("%q passes as a commit", c)
		}
	}
	if !fullSHA.MatchString(strings.Repeat("a", 40)) {
		t.Error("a SHA-1 does not pass")
	}
}
