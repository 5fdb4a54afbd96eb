package canary

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/slipway/slipway/analysis"
	"github.com/slipway/slipway/analysis/promtest"
	"github.com/slipway/slipway/rollout/webhook"
)

// TestCanaryWithRealPrometheus: a real Prometheus scrapes two canary
// workloads, one returning 10% errors and one healthy. The failing canary's
// background analysis fails and the runner aborts it through the webhook
// driver (over HTTP on 127.0.0.1); the healthy canary passes its analysis
// step and is promoted.
func TestCanaryWithRealPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test (real Prometheus): skipped with -short")
	}
	bad := promtest.StartWorkload(t, "bad", 10)
	good := promtest.StartWorkload(t, "good", 0)
	prom := promtest.Start(t, bad.Addr, good.Addr)
	prom.WaitForData(t, promtest.ErrorRatioQuery("bad"), 30*time.Second)
	prom.WaitForData(t, promtest.ErrorRatioQuery("good"), 30*time.Second)

	spec := fmt.Sprintf(`
steps:
- setWeight: 20
- analysis: {templates: [{templateName: error-rate}], args: [{name: interval, value: 200ms}, {name: count, value: "2"}]}
- setWeight: 50
- pause: {duration: 1h}
analysis:
  templates: [{templateName: error-rate}]
  args: [{name: interval, value: 300ms}]
  startingStep: 2
templates:
- apiVersion: argoproj.io/v1alpha1
  kind: AnalysisTemplate
  metadata: {name: error-rate}
  spec:
    args: [{name: prometheus}, {name: track}, {name: interval}, {name: count, value: "0"}]
    metrics:
    - name: error-rate
      interval: "{{args.interval}}"
      count: "{{args.count}}"
      successCondition: result[0] <= 0.05
      provider:
        prometheus:
          address: "{{args.prometheus}}"
          query: %q
`, promtest.ErrorRatioQuery("{{args.track}}"))

	for _, tc := range []struct {
		track     string
		wantSteps string
		want      Result
	}{
		// The bad canary already fails the inline analysis at step 1.
		{"bad", "set-weight 20, abort", Aborted},
		// The healthy one passes it, then sits in the 1h pause with a
		// healthy background analysis; a Promote decision ends it.
		{"good", "set-weight 20, set-weight 50, promote", Promoted},
	} {
		t.Run(tc.track, func(t *testing.T) {
			var s Spec
			if err := yaml.Unmarshal([]byte(spec), &s); err != nil {
				t.Fatal(err)
			}
			lib, err := LoadTemplates(s, "")
			if err != nil {
				t.Fatal(err)
			}
			rt := webhook.NewMemoryRuntime()
			srv := httptest.NewServer(webhook.Handler(rt))
			defer srv.Close()
			drv, err := webhook.New(srv.URL, target)
			if err != nil {
				t.Fatal(err)
			}
			decisions := make(chan Decision, 1)
			measured := 0
			r := &Runner{
				Spec: s, Library: lib, Driver: drv, Target: target, Decisions: decisions,
				Args:     map[string]string{"prometheus": prom.URL, "track": tc.track},
				Analysis: analysis.Options{ErrorRetryInterval: 200 * time.Millisecond},
				OnEvent: func(e Event) {
					t.Log(e)
					if e.Kind == EventMeasurement && e.Analysis == "background" {
						if measured++; measured == 3 {
							decisions <- Decision{Action: Promote, Reason: "three healthy background measurements"}
						}
					}
				},
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			out, err := r.Run(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if out.Result != tc.want || ops(rt) != tc.wantSteps {
				t.Fatalf("outcome %+v, runtime calls %q; want %s with %q", out, ops(rt), tc.want, tc.wantSteps)
			}
		})
	}
}

// TestPrometheusDownAbortsNeverPasses: with the metrics source down, the
// background analysis errors; after consecutiveErrorLimit the run is Error
// and the canary is aborted — it is never promoted for lack of evidence.
func TestPrometheusDownAbortsNeverPasses(t *testing.T) {
	down := "http://" + promtest.FreeAddr(t) // nothing listens here
	var s Spec
	if err := yaml.Unmarshal([]byte(`
steps:
- setWeight: 20
- pause: {duration: 1h}
analysis: {templates: [{templateName: up}]}
templates:
- apiVersion: argoproj.io/v1alpha1
  kind: AnalysisTemplate
  metadata: {name: up}
  spec:
    args: [{name: prometheus}]
    metrics:
    - name: up
      interval: 50ms
      consecutiveErrorLimit: 2
      successCondition: result[0] == 1
      provider: {prometheus: {address: "{{args.prometheus}}", query: up, timeout: 1}}
`), &s); err != nil {
		t.Fatal(err)
	}
	lib, err := LoadTemplates(s, "")
	if err != nil {
		t.Fatal(err)
	}
	rt := webhook.NewMemoryRuntime()
	srv := httptest.NewServer(webhook.Handler(rt))
	defer srv.Close()
	drv, _ := webhook.New(srv.URL, target)
	r := &Runner{Spec: s, Library: lib, Driver: drv, Target: target,
		Args:     map[string]string{"prometheus": down},
		Analysis: analysis.Options{ErrorRetryInterval: 50 * time.Millisecond}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bg := out.Analyses[0]
	if out.Result != Aborted || bg.Phase != analysis.PhaseError || bg.Metrics[0].Error != 3 || ops(rt) != "set-weight 20, abort" {
		t.Fatalf("outcome %+v, background %s with %d errors, calls %q", out, bg.Phase, bg.Metrics[0].Error, ops(rt))
	}
}
