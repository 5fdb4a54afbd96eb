package ui

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/slipway/slipway"
)

// A chart is one metric's measurements over time, drawn as server-side SVG:
// a line through the readings and a marker per reading whose shape says
// its verdict (circle: successful, square: failed, triangle: inconclusive
// or error), so the verdict reads without colour. The page also has the
// same readings as a table.
type chart struct {
	ID             string // unique on the page: the SVG's title and desc ids
	Metric         string
	Width, Height  int
	Left, Top      float64 // the plot area
	Right, Bottom  float64
	Line           string // polyline points
	Points         []chartPoint
	YTicks, XTicks []tick
	Unplotted      int // readings whose value is not a number
	Summary        string
}

type chartPoint struct {
	X, Y   float64
	Shape  string // ok, fail, warn
	Label  string // the point's title: time, value and verdict
	Marker string // the SVG path of a square or triangle around X, Y
}

type tick struct {
	Pos    float64
	Label  string
	Anchor string // text-anchor of an x label: the last one ends at the edge
}

const (
	chartW, chartH = 640, 260
	padL, padR     = 64, 16
	padT, padB     = 16, 40
)

// charts draws one chart per metric, in the order metrics first appear.
func charts(ms []slipway.Measurement, prefix string) []chart {
	var order []string
	by := map[string][]slipway.Measurement{}
	for _, m := range ms {
		if _, ok := by[m.Metric]; !ok {
			order = append(order, m.Metric)
		}
		by[m.Metric] = append(by[m.Metric], m)
	}
	out := make([]chart, 0, len(order))
	for i, metric := range order {
		out = append(out, drawChart(fmt.Sprintf("%s-m%d", prefix, i+1), metric, by[metric]))
	}
	return out
}

func drawChart(id, metric string, ms []slipway.Measurement) chart {
	c := chart{ID: id, Metric: metric, Width: chartW, Height: chartH, Left: padL, Top: padT, Right: chartW - padR, Bottom: chartH - padB}
	type reading struct {
		at    time.Time
		v     float64
		phase string
		raw   string
	}
	var rs []reading
	for _, m := range ms {
		v, ok := parseValue(m.Value)
		if !ok {
			c.Unplotted++
			continue
		}
		rs = append(rs, reading{m.At, v, m.Phase, m.Value})
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].at.Before(rs[j].at) })
	counts := map[string]int{}
	for _, m := range ms {
		counts[shapeOf(m.Phase)]++
	}
	c.Summary = fmt.Sprintf("%d readings of %s: %d successful, %d failed, %d inconclusive or error", len(ms), metric, counts["ok"], counts["fail"], counts["warn"])
	if c.Unplotted > 0 {
		c.Summary += fmt.Sprintf("; %d not numbers (see the table)", c.Unplotted)
	}
	if len(rs) == 0 {
		return c
	}
	lo, hi := rs[0].v, rs[0].v
	t0, t1 := rs[0].at, rs[len(rs)-1].at
	for _, x := range rs {
		lo, hi = math.Min(lo, x.v), math.Max(hi, x.v)
	}
	if lo > 0 && lo < hi/2 {
		lo = 0 // small positive values read best from zero
	}
	if hi == lo {
		hi, lo = hi+math.Max(math.Abs(hi)*0.1, 1), lo-math.Max(math.Abs(lo)*0.1, 1)
		if lo < 0 && rs[0].v >= 0 {
			lo = 0
		}
	}
	span := t1.Sub(t0)
	xOf := func(t time.Time) float64 {
		if span <= 0 {
			return (c.Left + c.Right) / 2
		}
		return c.Left + (c.Right-c.Left)*float64(t.Sub(t0))/float64(span)
	}
	yOf := func(v float64) float64 { return c.Bottom - (c.Bottom-c.Top)*(v-lo)/(hi-lo) }
	var line []string
	for _, x := range rs {
		p := chartPoint{X: round1(xOf(x.at)), Y: round1(yOf(x.v)), Shape: shapeOf(x.phase)}
		p.Label = fmt.Sprintf("%s: %s, %s", x.at.UTC().Format("15:04:05"), x.raw, phaseWord(x.phase))
		p.Marker = marker(p)
		c.Points = append(c.Points, p)
		line = append(line, fmt.Sprintf("%g,%g", p.X, p.Y))
	}
	c.Line = strings.Join(line, " ")
	for i := 0; i <= 4; i++ {
		v := lo + (hi-lo)*float64(i)/4
		c.YTicks = append(c.YTicks, tick{Pos: round1(yOf(v)), Label: formatValue(v)})
	}
	if span > 0 {
		c.XTicks = append(c.XTicks, tick{Pos: c.Left, Label: t0.UTC().Format("15:04:05"), Anchor: "start"},
			tick{Pos: c.Right, Label: t1.UTC().Format("15:04:05"), Anchor: "end"})
	} else {
		c.XTicks = append(c.XTicks, tick{Pos: xOf(t0), Label: t0.UTC().Format("15:04:05"), Anchor: "middle"})
	}
	return c
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

// shapeOf maps an analysis phase to a marker shape.
func shapeOf(phase string) string {
	switch strings.ToLower(phase) {
	case "successful":
		return "ok"
	case "failed":
		return "fail"
	}
	return "warn"
}

func phaseWord(phase string) string {
	if phase == "" {
		return "no verdict"
	}
	return strings.ToLower(phase)
}

// marker draws a square (failed) or a triangle (inconclusive, error).
func marker(p chartPoint) string {
	switch p.Shape {
	case "fail":
		return fmt.Sprintf("M%g %gh10v10h-10z", p.X-5, p.Y-5)
	case "warn":
		return fmt.Sprintf("M%g %gl6 10h-12z", p.X, p.Y-6)
	}
	return ""
}

// parseValue reads a measurement's value as the providers record it: a
// number ("0.013", "1e-3"), or a vector of one or more numbers
// ("[0.013]", "[0.01, 0.02]": the first is plotted). Anything else (an
// empty job result, NaN, text) is not plotted.
func parseValue(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = strings.TrimSpace(s[1 : len(s)-1])
		if i := strings.IndexAny(s, ", "); i >= 0 {
			s = s[:i]
		}
	}
	if s == "" || len(s) > 64 {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e300 {
		return 0, false
	}
	return v, true
}

func formatValue(v float64) string {
	return strconv.FormatFloat(v, 'g', 4, 64)
}
