package canary

import (
	"testing"

	"gopkg.in/yaml.v3"
)

func FuzzSpec(f *testing.F) {
	f.Add([]byte("steps: [{setWeight: 20}, {pause: {duration: 30s}}, {pause: {}}, {analysis: {templates: [{templateName: a}]}}]\nanalysis: {templates: [{templateName: a}], startingStep: 1}"))
	f.Add([]byte("steps: [{experiment: {}}, {pause: {duration: 10}}]\ntemplates: [a.yaml, {kind: AnalysisTemplate}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var s Spec
		if yaml.Unmarshal(data, &s) != nil {
			return
		}
		_ = s.Validate(nil)
		for _, st := range s.Steps {
			if st.Pause != nil {
				if d, ok, err := st.Pause.DurationValue(); err == nil && ok && d < 0 {
					t.Fatalf("negative pause %v accepted", d)
				}
			}
		}
	})
}
