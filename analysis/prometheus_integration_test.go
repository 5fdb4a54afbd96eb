package analysis

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/slipway/slipway/analysis/promtest"
)

// TestPrometheusIntegration runs the documentation-style error-rate metric
// against a real Prometheus scraping two real workloads: one failing 10% of
// its requests, one healthy.
func TestPrometheusIntegration(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test (real Prometheus): skipped with -short")
	}
	bad := promtest.StartWorkload(t, "bad", 10)
	good := promtest.StartWorkload(t, "good", 0)
	prom := promtest.Start(t, bad.Addr, good.Addr)
	prom.WaitForData(t, promtest.ErrorRatioQuery("bad"), 30*time.Second)
	prom.WaitForData(t, promtest.ErrorRatioQuery("good"), 30*time.Second)

	template := func(track string) *Template {
		return parseOne(t, fmt.Sprintf(`spec:
  args: [{name: address}, {name: track}]
  metrics:
  - name: error-rate
    interval: 300ms
    count: 3
    successCondition: result[0] <= 0.05
    provider:
      prometheus:
        address: "{{args.address}}"
        timeout: 5
        query: %q`, promtest.ErrorRatioQuery("{{args.track}}")))
	}
	for _, tc := range []struct {
		track string
		want  Phase
	}{{"bad", PhaseFailed}, {"good", PhaseSuccessful}} {
		t.Run(tc.track, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := Run(ctx, template(tc.track), Options{Args: map[string]string{"address": prom.URL, "track": tc.track}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Phase != tc.want {
				t.Fatalf("phase %s (%s), want %s; measurements %+v", res.Phase, res.Message, tc.want, res.Metrics[0].Measurements)
			}
			t.Logf("%s: %s after %d measurement(s), first value %s", tc.track, res.Phase, len(res.Metrics[0].Measurements), res.Metrics[0].Measurements[0].Value)
		})
	}
	t.Run("range query", func(t *testing.T) {
		doc := fmt.Sprintf(`spec:
  metrics:
  - name: error-rate-range
    failureCondition: "len(result) == 0 || any(result, # > 0.05)"
    provider:
      prometheus:
        address: %q
        rangeQuery: {start: 'now() - duration("3s")', end: 'now()', step: 1s}
        query: %q`, prom.URL, promtest.ErrorRatioQuery("bad"))
		res, err := Run(context.Background(), parseOne(t, doc), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Phase != PhaseFailed {
			t.Fatalf("phase %s: %+v", res.Phase, res.Metrics[0].Measurements)
		}
		t.Logf("range query value %s", res.Metrics[0].Measurements[0].Value)
	})
}

// TestPrometheusDownIsErrorNeverPass: with nothing listening, every
// measurement is an Error; after consecutiveErrorLimit the run is Error.
func TestPrometheusDownIsErrorNeverPass(t *testing.T) {
	addr := promtest.FreeAddr(t) // nothing listens here
	doc := fmt.Sprintf(`spec:
  metrics:
  - name: error-rate
    interval: 100ms
    count: 2
    consecutiveErrorLimit: 2
    successCondition: result[0] <= 0.05
    provider: {prometheus: {address: "http://%s", query: "up", timeout: 1}}`, addr)
	res, err := Run(context.Background(), parseOne(t, doc), Options{ErrorRetryInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Metrics[0]
	if res.Phase != PhaseError || m.Error != 3 || m.Count != 0 {
		t.Fatalf("phase %s, errors %d, count %d; want Error after 3 errors and no counted measurement", res.Phase, m.Error, m.Count)
	}
	for _, meas := range m.Measurements {
		if meas.Phase != PhaseError {
			t.Fatalf("measurement %d is %s, want Error", meas.Index, meas.Phase)
		}
	}
}
