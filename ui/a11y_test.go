package ui

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/slipway/slipway/api/apitest"
)

// a11y checks the basics of one page that a screen reader and a keyboard
// rely on, and returns what is wrong.
func a11y(doc string, loggedIn bool) []string {
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		return []string{"not HTML: " + err.Error()}
	}
	var probs []string
	bad := func(f string, a ...any) { probs = append(probs, fmt.Sprintf(f, a...)) }
	var all []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			all = append(all, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	ids, labelFor, count := map[string]int{}, map[string]bool{}, map[string]int{}
	for _, n := range all {
		count[n.Data]++
		if id := attr(n, "id"); id != "" {
			ids[id]++
		}
		if n.Data == "label" && attr(n, "for") != "" {
			labelFor[attr(n, "for")] = true
		}
	}
	for id, k := range ids {
		if k > 1 {
			bad("id %q is used %d times", id, k)
		}
	}
	for _, n := range all {
		switch n.Data {
		case "html":
			if attr(n, "lang") == "" {
				bad("<html> has no lang")
			}
		case "input", "select", "textarea":
			typ := attr(n, "type")
			if typ == "hidden" || typ == "submit" || typ == "button" {
				continue
			}
			if !labelFor[attr(n, "id")] && attr(n, "aria-label") == "" && attr(n, "aria-labelledby") == "" && !inside(n, "label") {
				bad("<%s name=%q> has no label", n.Data, attr(n, "name"))
			}
		case "button", "a", "summary":
			if strings.TrimSpace(text(n)) == "" && attr(n, "aria-label") == "" {
				bad("<%s> has no text", n.Data)
			}
		case "img":
			if _, ok := attrOK(n, "alt"); !ok {
				bad("<img src=%q> has no alt", attr(n, "src"))
			}
		case "svg":
			if attr(n, "role") != "img" {
				bad("<svg> without role=img")
			}
			hasTitle := false
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				hasTitle = hasTitle || (c.Type == html.ElementNode && c.Data == "title" && strings.TrimSpace(text(c)) != "")
			}
			if !hasTitle {
				bad("<svg> without a <title>")
			}
		case "table":
			if !hasDescendant(n, "th") {
				bad("a table without header cells")
			}
		case "th":
			if s := attr(n, "scope"); s != "col" && s != "row" {
				bad("<th>%s</th> without scope", text(n))
			}
		}
		for _, ref := range []string{"aria-labelledby", "aria-describedby"} {
			for _, id := range strings.Fields(attr(n, ref)) {
				if ids[id] == 0 {
					bad("%s names %q, which is not on the page", ref, id)
				}
			}
		}
		if n.Data == "label" && attr(n, "for") != "" && ids[attr(n, "for")] == 0 {
			bad("<label for=%q> names no control", attr(n, "for"))
		}
		if t := attr(n, "tabindex"); t != "" && t != "0" && t != "-1" {
			bad("tabindex=%s breaks the keyboard order", t)
		}
	}
	if count["h1"] != 1 {
		bad("%d <h1> on the page", count["h1"])
	}
	for _, l := range []string{"header", "main"} {
		if count[l] != 1 {
			bad("%d <%s> landmarks", count[l], l)
		}
	}
	if loggedIn && count["nav"] == 0 {
		bad("no <nav>")
	}
	if ids["main"] == 0 || !strings.Contains(doc, `<a class="skip" href="#main">`) {
		bad("no skip link to #main")
	}
	// Headings go down one level at a time.
	level := 0
	for _, n := range all {
		if len(n.Data) == 2 && n.Data[0] == 'h' && n.Data[1] >= '1' && n.Data[1] <= '6' {
			l := int(n.Data[1] - '0')
			if l > level+1 {
				bad("<%s>%s</%s> follows a level-%d heading", n.Data, text(n), n.Data, level)
			}
			level = l
		}
	}
	return probs
}

func attr(n *html.Node, key string) string { v, _ := attrOK(n, key); return v }

func attrOK(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func text(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(text(c))
	}
	return b.String()
}

func inside(n *html.Node, tag string) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Type == html.ElementNode && p.Data == tag {
			return true
		}
	}
	return false
}

func hasDescendant(n *html.Node, tag string) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if (c.Type == html.ElementNode && c.Data == tag) || hasDescendant(c, tag) {
			return true
		}
	}
	return false
}

// The checker itself finds what it is for.
func TestA11yCheckerFindsProblems(t *testing.T) {
	doc := `<!DOCTYPE html><html><body><header></header><main><h1>a</h1><h3>b</h3><input name="q"><button></button>
	<svg></svg><table><tr><td>x</td></tr></table><table><tr><th>y</th></tr></table><img src="x.png"></main></body></html>`
	got := strings.Join(a11y(doc, true), "\n")
	for _, want := range []string{"no lang", `name="q"> has no label`, "<button> has no text", "without role=img", "without a <title>",
		"table without header cells", "without scope", "has no alt", "no <nav>", "no skip link", "follows a level-1 heading"} {
		if !strings.Contains(got, want) {
			t.Errorf("the checker missed %q; it said:\n%s", want, got)
		}
	}
}

// Every page, logged out and in, in the states a person meets: the basics
// of accessibility hold.
func TestEveryPageIsAccessible(t *testing.T) {
	w, s := worldSite(t)
	p := w.Waiting("api")
	b := s.browser()
	pages := map[string]string{"login": b.get("/login").Body}
	b.login(apitest.Alice, apitest.Password, "/")
	for _, path := range []string{"/", "/promotions/" + p.ID, "/releases", "/freezes", "/audit", "/promotions/p-999",
		"/promotions", "/promotions?service=api&env=prod&state=waiting", "/promotions?state=rolled-back", "/promotions?state=bogus"} {
		pages[path] = b.get(path).Body
	}
	pg := b.get("/promotions/" + p.ID)
	pages["refused approval"] = b.post("/promotions/"+p.ID+"/approve", url.Values{"csrf_token": {csrf(t, pg)}}).Body
	res, d := demoSite(t)
	db := d.browser()
	db.login("bob@example.com", demoPassword, "/")
	rs, err := d.E.Store.Releases.Releases(context.Background(), "")
	if err != nil || len(rs) == 0 {
		t.Fatal(err)
	}
	for _, path := range []string{"/", "/promotions/" + res.BadProd.ID, "/promotions/" + res.BadProd.ID + "/canary", "/promotions/" + res.GoodProd.ID + "/canary",
		"/releases/" + rs[0].Service + "/" + rs[0].Version, "/audit", "/freezes", "/promotions", "/promotions?state=aborted"} {
		pages["demo "+path] = db.get(path).Body
	}
	for name, doc := range pages {
		for _, prob := range a11y(doc, name != "login") {
			t.Errorf("%s: %s", name, prob)
		}
	}
}

// ---- contrast ----

// rgb parses #rrggbb or #rgb.
func rgb(hex string) ([3]float64, bool) {
	hex = strings.TrimPrefix(strings.TrimSpace(hex), "#")
	if len(hex) == 3 {
		hex = string([]byte{hex[0], hex[0], hex[1], hex[1], hex[2], hex[2]})
	}
	if len(hex) != 6 {
		return [3]float64{}, false
	}
	var c [3]float64
	for i := 0; i < 3; i++ {
		v, err := strconv.ParseUint(hex[2*i:2*i+2], 16, 8)
		if err != nil {
			return c, false
		}
		c[i] = float64(v) / 255
	}
	return c, true
}

// luminance is WCAG 2's relative luminance.
func luminance(c [3]float64) float64 {
	var l [3]float64
	for i, v := range c {
		if v <= 0.04045 {
			l[i] = v / 12.92
		} else {
			l[i] = math.Pow((v+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
}

// contrast is WCAG 2's contrast ratio of two colours.
func contrast(a, b [3]float64) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func TestContrastFormula(t *testing.T) {
	black, _ := rgb("#000")
	white, _ := rgb("#ffffff")
	grey, _ := rgb("#777777")
	if c := contrast(black, white); math.Abs(c-21) > 0.01 {
		t.Errorf("black on white: %.2f", c)
	}
	if c := contrast(grey, white); math.Abs(c-4.48) > 0.01 { // the classic just-fails grey
		t.Errorf("#777 on white: %.2f", c)
	}
}

var (
	cssComment = regexp.MustCompile(`(?s)/\*.*?\*/`)
	cssVar     = regexp.MustCompile(`var\((--[a-z0-9-]+)\)`)
)

type cssRule struct {
	selector string
	decls    map[string]string
}

func parseCSS(src string) []cssRule {
	src = cssComment.ReplaceAllString(src, "")
	var out []cssRule
	for _, chunk := range strings.Split(src, "}") {
		i := strings.LastIndex(chunk, "{")
		if i < 0 {
			continue
		}
		sel := chunk[:i]
		if j := strings.LastIndex(sel, "{"); j >= 0 {
			sel = sel[j+1:]
		}
		r := cssRule{selector: strings.TrimSpace(sel), decls: map[string]string{}}
		for _, d := range strings.Split(chunk[i+1:], ";") {
			k, v, ok := strings.Cut(d, ":")
			if ok {
				r.decls[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
		out = append(out, r)
	}
	return out
}

// Every text colour the stylesheet sets reads at WCAG AA (4.5:1) on the
// background it sets (or the page's), chart marks and focus rings at 3:1.
func TestContrastOfTheStylesheet(t *testing.T) {
	css, err := assets.ReadFile("static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	rules := parseCSS(string(css))
	vars := map[string]string{}
	for _, r := range rules {
		if r.selector == ":root" {
			for k, v := range r.decls {
				vars[k] = v
			}
		}
	}
	colour := func(where, v string) ([3]float64, bool) {
		v = cssVar.ReplaceAllStringFunc(v, func(m string) string { return vars[cssVar.FindStringSubmatch(m)[1]] })
		for _, f := range strings.Fields(v) {
			if c, ok := rgb(f); ok && strings.HasPrefix(f, "#") {
				return c, true
			}
		}
		return [3]float64{}, false
	}
	page, _ := colour(":root", "var(--bg)")
	dark, _ := colour(":root", "var(--dark)")
	checked := 0
	for _, r := range rules {
		bg := page
		if v, ok := r.decls["background"]; ok {
			if c, ok := colour(r.selector, v); ok {
				bg = c
			}
		}
		if v, ok := r.decls["background-color"]; ok {
			if c, ok := colour(r.selector, v); ok {
				bg = c
			}
		}
		if v, ok := r.decls["color"]; ok {
			fg, ok := colour(r.selector, v)
			if !ok {
				t.Errorf("%s: color %q is not a colour the check can read", r.selector, v)
				continue
			}
			if c := contrast(fg, bg); c < 4.5 {
				t.Errorf("%s: text contrast %.2f:1 < 4.5:1", r.selector, c)
			}
			checked++
		}
		if v, ok := r.decls["fill"]; ok && v != "none" {
			fg, _ := colour(r.selector, v)
			min := 3.0
			if strings.Contains(r.selector, ".axis") {
				min = 4.5 // text
			}
			if c := contrast(fg, page); c < min {
				t.Errorf("%s: fill contrast %.2f:1 < %.1f:1", r.selector, c, min)
			}
			checked++
		}
		for _, k := range []string{"outline", "outline-color"} {
			if v, ok := r.decls[k]; ok && v != "none" {
				fg, _ := colour(r.selector, v)
				on := page
				if strings.HasPrefix(r.selector, ".top") {
					on = dark
				}
				if c := contrast(fg, on); c < 3 {
					t.Errorf("%s: focus ring contrast %.2f:1 < 3:1", r.selector, c)
				}
				checked++
			}
		}
	}
	if checked < 30 {
		t.Fatalf("only %d colour pairs checked: the stylesheet parser lost rules", checked)
	}
	t.Logf("%d colour pairs checked", checked)
}
