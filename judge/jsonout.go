package judge

import (
	"encoding/json"
	"math"
	"strconv"
)

// number is a float64 that JSON-encodes NaN and ±Inf as the string "NaN"
// (the CLI contract), since JSON has no non-finite numbers.
type number float64

func (n number) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte(`"NaN"`), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

func (n *number) UnmarshalJSON(b []byte) error {
	v, err := parseSample(b)
	*n = number(v)
	return err
}

// MarshalJSON writes the result with non-finite numbers as "NaN".
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result
	return json.Marshal(struct {
		plain
		Estimate   number    `json:"estimate"`
		CI         [2]number `json:"ci"`
		Deviation  number    `json:"deviation"`
		EffectSize number    `json:"effectSize"`
		PValue     number    `json:"pValue"`
		Confidence number    `json:"confidence"`
	}{
		plain:      plain(r),
		Estimate:   number(r.Estimate),
		CI:         [2]number{number(r.CI[0]), number(r.CI[1])},
		Deviation:  number(r.Deviation),
		EffectSize: number(r.EffectSize),
		PValue:     number(r.PValue),
		Confidence: number(r.Confidence),
	})
}

// UnmarshalJSON reads what MarshalJSON writes ("NaN" strings included), so
// results can be stored and read back.
func (r *Result) UnmarshalJSON(data []byte) error {
	type plain Result
	wire := struct {
		*plain
		Estimate   number    `json:"estimate"`
		CI         [2]number `json:"ci"`
		Deviation  number    `json:"deviation"`
		EffectSize number    `json:"effectSize"`
		PValue     number    `json:"pValue"`
		Confidence number    `json:"confidence"`
	}{plain: (*plain)(r)}
	if err := json.Unmarshal(data, &wire); err != nil {
		return err
	}
	r.Estimate, r.Deviation = float64(wire.Estimate), float64(wire.Deviation)
	r.CI = [2]float64{float64(wire.CI[0]), float64(wire.CI[1])}
	r.EffectSize, r.PValue, r.Confidence = float64(wire.EffectSize), float64(wire.PValue), float64(wire.Confidence)
	return nil
}
