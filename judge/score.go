package judge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
)

// ScoreInput is a set of classified metrics to turn into a verdict.
type ScoreInput struct {
	// GroupWeights gives some groups a share of the score, in percent.
	// Groups without a weight share what is left of 100 equally.
	GroupWeights map[string]float64 `json:"groupWeights"`
	// MetricResults are the classified metrics.
	MetricResults []MetricResult `json:"metricResults"`
	// ScoreThresholds map the score to a verdict. Zero thresholds mean
	// the defaults (DefaultScoreThresholds), except when ParseScoreInput
	// read them from a request that gave them.
	ScoreThresholds ScoreThresholds `json:"scoreThresholds"`

	// thresholdsGiven keeps explicit zero thresholds from a request
	// ({"marginal":0,"pass":0} passes every canary, as in Kayenta).
	thresholdsGiven bool
}

// MetricResult is one classified metric as the scorer sees it. A judge
// Result (`slipway analysis judge` output) plus "groups" is a valid
// MetricResult; other fields are ignored.
type MetricResult struct {
	Name           string         `json:"name,omitempty"`
	Classification Classification `json:"classification"`
	// Groups are the metric groups (latency, errors, ...) it counts in.
	Groups []string `json:"groups"`
	// Critical fails the whole canary unless the metric passed.
	Critical bool `json:"critical"`
	// Muted metrics are reported but take no part in the score.
	Muted  bool   `json:"muted,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// ScoreThresholds are Kayenta's scoreThresholds: a score >= Pass passes, a
// score >= Marginal is marginal, anything lower fails. As in Kayenta's
// ThresholdScoreClassifier the two are independent: Marginal above Pass
// means there is no marginal verdict (below Pass is a failure).
type ScoreThresholds struct {
	Marginal float64 `json:"marginal"`
	Pass     float64 `json:"pass"`
}

// DefaultScoreThresholds are the thresholds Spinnaker suggests for a new
// canary configuration.
var DefaultScoreThresholds = ScoreThresholds{Marginal: 75, Pass: 95}

// Verdict is the outcome of a canary score.
type Verdict string

const (
	VerdictPass     Verdict = "pass"
	VerdictMarginal Verdict = "marginal"
	VerdictFail     Verdict = "fail"
)

// ScoreResult is the scored canary.
type ScoreResult struct {
	// Score is the summary score, 0-100, rounded to two decimals.
	Score float64 `json:"score"`
	// Groups holds each group's score: the percentage of its judged metrics
	// (Pass, High, Low, NodataFailMetric) that passed; 0 for a group with
	// no judged metric (listed in NodataGroups).
	Groups map[string]float64 `json:"groups"`
	// Weights are the weights the groups were summed with, in percent.
	Weights map[string]float64 `json:"weights"`
	// NodataGroups had no judged metric; they count as fully passing.
	NodataGroups []string `json:"nodataGroups"`
	Verdict      Verdict  `json:"verdict"`
	// Reason explains a forced zero score (critical failure, too much
	// missing data) or the thresholds the score was compared with.
	Reason string `json:"reason"`
}

// NodataLimit is the share of Nodata metrics, in percent, from which the
// canary fails outright (Kayenta's NODATA_THRESHOLD).
const NodataLimit = 50

// ParseScoreInput decodes a score request (the stdin of `slipway analysis
// score`). Unknown top-level fields are rejected; metric results may carry
// any extra fields, so judge outputs can be passed in as they are.
func ParseScoreInput(data []byte) (ScoreInput, error) {
	var wire struct {
		GroupWeights    map[string]float64 `json:"groupWeights"`
		MetricResults   []json.RawMessage  `json:"metricResults"`
		ScoreThresholds *struct {
			Marginal *float64 `json:"marginal"`
			Pass     *float64 `json:"pass"`
		} `json:"scoreThresholds"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&wire); err != nil {
		return ScoreInput{}, fmt.Errorf("score input: %w; expected an object such as "+
			`{"groupWeights":{"latency":60},"metricResults":[{"classification":"Pass","groups":["latency"]}]}`, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return ScoreInput{}, errors.New("score input: unexpected data after the JSON object; send exactly one object")
	}
	in := ScoreInput{GroupWeights: wire.GroupWeights, ScoreThresholds: DefaultScoreThresholds}
	if t := wire.ScoreThresholds; t != nil {
		// Kayenta requires both (a missing one fails its classifier).
		if t.Marginal == nil || t.Pass == nil {
			return ScoreInput{}, &InputError{"scoreThresholds", `give both marginal and pass, e.g. {"marginal":75,"pass":95}`}
		}
		in.ScoreThresholds = ScoreThresholds{Marginal: *t.Marginal, Pass: *t.Pass}
		in.thresholdsGiven = true
	}
	for i, raw := range wire.MetricResults {
		var m MetricResult
		if err := json.Unmarshal(raw, &m); err != nil {
			return ScoreInput{}, fmt.Errorf("score input metricResults[%d]: %w", i, err)
		}
		in.MetricResults = append(in.MetricResults, m)
	}
	return in, in.Validate()
}

// Validate checks weights, thresholds and classifications.
func (in ScoreInput) Validate() error {
	for _, g := range slices.Sorted(maps.Keys(in.GroupWeights)) {
		if w := in.GroupWeights[g]; !(w >= 0) || math.IsInf(w, 0) {
			return &InputError{"groupWeights." + g, fmt.Sprintf("%v must be a finite percentage >= 0", w)}
		}
	}
	// Any order is Kayenta's (see ScoreThresholds); a threshold a score of
	// 0-100 can never be compared with is refused.
	t := in.thresholds()
	for _, f := range []struct {
		name string
		v    float64
	}{{"marginal", t.Marginal}, {"pass", t.Pass}} {
		if !(f.v >= 0 && f.v <= 100) {
			return &InputError{"scoreThresholds." + f.name, fmt.Sprintf("%v is not a score: a threshold lies between 0 and 100, e.g. {\"marginal\":75,\"pass\":95}", f.v)}
		}
	}
	for i, m := range in.MetricResults {
		if !m.Classification.valid() {
			return &InputError{fmt.Sprintf("metricResults[%d].classification", i), fmt.Sprintf("%q is not one of Pass, High, Low, Nodata, NodataFailMetric, Error", m.Classification)}
		}
	}
	if total := sumWeights(in.GroupWeights); total > 100 {
		return &InputError{"groupWeights", fmt.Sprintf("weights add up to %v%%; make them add up to at most 100 (groups without a weight share what is left)", total)}
	}
	return nil
}

func (in ScoreInput) thresholds() ScoreThresholds {
	if in.ScoreThresholds == (ScoreThresholds{}) && !in.thresholdsGiven {
		return DefaultScoreThresholds
	}
	return in.ScoreThresholds
}

// scored are the metrics that take part in the score (not muted).
func (in ScoreInput) scored() []MetricResult {
	return slices.DeleteFunc(slices.Clone(in.MetricResults), func(m MetricResult) bool { return m.Muted })
}

func (in ScoreInput) unweightedGroups() []string {
	var out []string
	for _, g := range groupNames(in.scored()) {
		if _, ok := in.GroupWeights[g]; !ok {
			out = append(out, g)
		}
	}
	return out
}

// Score is Kayenta's WeightedSumScorer followed by its threshold
// classifier:
//
//   - a group's score is the percentage of its Pass metrics among its
//     Pass, High, Low and NodataFailMetric ones (Nodata and Error are left
//     out); a group with none of those scores 0 but counts as 100 below;
//   - the summary is the sum of group score × weight / 100, where groups
//     without a weight share 100 minus all given weights equally, rounded
//     half-up to two decimals;
//   - a critical metric that did not pass, or NodataLimit % or more of the
//     metrics being Nodata, forces the score to 0.
func Score(in ScoreInput) (ScoreResult, error) {
	if err := in.Validate(); err != nil {
		return FailedScore(err.Error()), err
	}
	metrics := in.scored()
	groups := groupScores(metrics)
	res := FailedScore("")

	unweighted := in.unweightedGroups()
	shared := 0.0
	if len(unweighted) > 0 {
		shared = (100 - sumWeights(in.GroupWeights)) / float64(len(unweighted))
	}
	summary := 0.0
	for _, g := range groups {
		w, ok := in.GroupWeights[g.name]
		if !ok {
			w = shared
		}
		res.Groups[g.name], res.Weights[g.name] = g.score, w
		effective := g.score
		if g.noData {
			effective = 100
			res.NodataGroups = append(res.NodataGroups, g.name)
		}
		summary += effective * (w / 100)
	}
	res.Score = roundHalfUp2(summary)

	t := in.thresholds()
	switch crit, nodata := criticalFailure(metrics), nodataShare(metrics); {
	case crit != nil:
		res.Score = 0
		res.Reason = "canary failed: critical metric " + describe(*crit)
	case nodata >= NodataLimit:
		res.Score = 0
		res.Reason = fmt.Sprintf("canary failed: %s%% of the metrics returned Nodata (the limit is %d%%)", strconv.FormatFloat(nodata, 'g', 4, 64), NodataLimit)
	default:
		res.Reason = fmt.Sprintf("score %s against thresholds marginal %s, pass %s", num(res.Score), num(t.Marginal), num(t.Pass))
	}
	switch {
	case res.Score >= t.Pass:
		res.Verdict = VerdictPass
	case res.Score >= t.Marginal:
		res.Verdict = VerdictMarginal
	default:
		res.Verdict = VerdictFail
	}
	return res, nil
}

// FailedScore is a zero score with a fail verdict and the given reason, for
// a score request that could not be evaluated (fail closed).
func FailedScore(reason string) ScoreResult {
	return ScoreResult{
		Groups:       map[string]float64{},
		Weights:      map[string]float64{},
		NodataGroups: []string{},
		Verdict:      VerdictFail,
		Reason:       reason,
	}
}

type groupScore struct {
	name   string
	score  float64
	noData bool
}

// groupScores scores each group, in order of first appearance.
func groupScores(metrics []MetricResult) []groupScore {
	var out []groupScore
	for _, name := range groupNames(metrics) {
		pass, judged := 0, 0
		for _, m := range metrics {
			if !slices.Contains(m.Groups, name) {
				continue
			}
			switch m.Classification {
			case Pass:
				pass++
				judged++
			case High, Low, NodataFailMetric:
				judged++
			}
		}
		g := groupScore{name: name, noData: judged == 0}
		if judged > 0 {
			g.score = float64(pass) / float64(judged) * 100
		}
		out = append(out, g)
	}
	return out
}

// groupNames lists the distinct groups of the metrics in order of appearance.
func groupNames(metrics []MetricResult) []string {
	var out []string
	for _, m := range metrics {
		for _, g := range m.Groups {
			if !slices.Contains(out, g) {
				out = append(out, g)
			}
		}
	}
	return out
}

func criticalFailure(metrics []MetricResult) *MetricResult {
	for i, m := range metrics {
		if m.Critical && m.Classification != Pass {
			return &metrics[i]
		}
	}
	return nil
}

// nodataShare is the percentage of metrics classified Nodata (NaN for none,
// which never reaches the limit).
func nodataShare(metrics []MetricResult) float64 {
	n := 0
	for _, m := range metrics {
		if m.Classification == Nodata {
			n++
		}
	}
	return float64(n) / float64(len(metrics)) * 100
}

// describe names a metric result for a reason: "p99 was High: <reason>".
func describe(m MetricResult) string {
	s := "was " + string(m.Classification)
	if m.Name != "" {
		s = m.Name + " " + s
	}
	if m.Reason != "" {
		s += ": " + m.Reason
	}
	return s
}

func sumWeights(w map[string]float64) float64 {
	t := 0.0
	for _, g := range slices.Sorted(maps.Keys(w)) {
		t += w[g]
	}
	return t
}

// roundHalfUp2 rounds to two decimals, halves away from zero, on the
// shortest decimal form of f, as Kayenta's Precision.round(score, 2) does
// (so 74.995 becomes 75, not 74.99 as binary rounding would give).
func roundHalfUp2(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return f
	}
	s := strconv.FormatFloat(math.Abs(f), 'f', -1, 64)
	intPart, frac, _ := cutDot(s)
	if len(frac) <= 2 {
		return f
	}
	v, _ := strconv.ParseFloat(intPart+"."+frac[:2], 64)
	if frac[2] >= '5' {
		// Add one hundredth in decimal, not binary, to avoid drift.
		v, _ = strconv.ParseFloat(addHundredth(intPart+frac[:2]), 64)
	}
	return math.Copysign(v, f)
}

func cutDot(s string) (string, string, bool) {
	for i := range s {
		if s[i] == '.' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// addHundredth adds one to the decimal integer digits (the value in
// hundredths) and puts the decimal point back two places from the right.
func addHundredth(digits string) string {
	b := []byte(digits)
	i := len(b) - 1
	for ; i >= 0; i-- {
		if b[i] == '9' {
			b[i] = '0'
			continue
		}
		b[i]++
		break
	}
	if i < 0 {
		b = append([]byte{'1'}, b...)
	}
	return string(b[:len(b)-2]) + "." + string(b[len(b)-2:])
}
