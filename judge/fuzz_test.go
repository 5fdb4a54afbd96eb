package judge

import (
	"encoding/json"
	"testing"
)

// FuzzParseInput feeds arbitrary bytes to the judge's JSON parser: it must
// either reject them with an error or produce an input that classifies
// without panicking into a well-formed, encodable result.
func FuzzParseInput(f *testing.F) {
	for _, s := range []string{
		`{"classifier":"mannWhitney","control":[1,2,3,4],"experiment":[10,20,30,40],"direction":"either","confidence":0.95,"tolerance":0.25,"nanStrategy":"remove","critical":false,"effectSize":{"measure":"meanRatio","thresholds":[1,1],"critical":[1,1]}}`,
		`{"control":[1,1,2,null],"experiment":["NaN",3,3,3],"nanStrategy":"replace"}`,
		`{"classifier":"meanInequality","control":[],"experiment":[1]}`,
		`{"control":[5,5],"experiment":[6,6],"effectSize":{"measure":"cles","thresholds":[0.2,0.8]}}`,
		`{"control":[1e308,-1e308],"experiment":[0]}`,
		`{"confidence":0.5,"tolerance":0,"control":[1,2],"experiment":[2,1]}`,
		`{"control":[1,2,3,100],"experiment":[4,5,6,7,"+Inf"],"outliers":{"strategy":"remove","outlierFactor":1.5},"mustHaveData":true}`,
		`{"control":[10,20.2,10.1,20.5,30],"experiment":[2,2,2,2,3],"critical":true,"effectSize":{"thresholds":[1.5,0.9],"critical":[1.2,1.0]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := ParseInput(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if len(in.Control)*len(in.Experiment) > 10000 {
			return // keep each run fast
		}
		res, err := Classify(in)
		if err != nil {
			t.Fatalf("validated input rejected: %v", err)
		}
		if !res.Classification.valid() || res.Reason == "" {
			t.Fatalf("bad result %+v", res)
		}
		// (Only exact limits are strictly ordered; R's root finder may cross
		// approximate ones by up to its tolerance.)
		if lo, hi := res.CI[0], res.CI[1]; res.Method == "exact" && lo > hi {
			t.Fatalf("interval [%v, %v] is reversed", lo, hi)
		}
		b, err := json.Marshal(res)
		if err != nil || !json.Valid(b) {
			t.Fatalf("result does not encode: %v %s", err, b)
		}
	})
}

// FuzzParseScoreInput: any accepted score request scores within 0-100 with
// a verdict.
func FuzzParseScoreInput(f *testing.F) {
	for _, s := range []string{
		`{"groupWeights":{},"metricResults":[{"classification":"Pass","groups":["latency"],"critical":false},{"classification":"High","groups":["latency"],"critical":false},{"classification":"Pass","groups":["errors"],"critical":false}]}`,
		`{"groupWeights":{"a":70},"metricResults":[{"classification":"Nodata","groups":["a","b"]}],"scoreThresholds":{"marginal":50,"pass":60}}`,
		`{"metricResults":[{"classification":"Low","critical":true,"muted":true}]}`,
		`{"metricResults":[{"classification":"High","groups":["a"]}],"scoreThresholds":{"marginal":90,"pass":0}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := ParseScoreInput(data)
		if err != nil {
			return
		}
		res, err := Score(in)
		if err != nil {
			t.Fatalf("validated input rejected: %v", err)
		}
		if !(res.Score >= 0 && res.Score <= 100) {
			t.Fatalf("score %v outside 0-100", res.Score)
		}
		switch res.Verdict {
		case VerdictPass, VerdictMarginal, VerdictFail:
		default:
			t.Fatalf("verdict %q", res.Verdict)
		}
	})
}
