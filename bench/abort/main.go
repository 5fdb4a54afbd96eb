// Command abort measures how fast a failing canary is aborted: it runs N
// canaries whose background analysis fails on its third measurement against
// a local webhook runtime (HTTP on 127.0.0.1) and prints the distribution of
// the latency from the measurement that crosses the failure limit (its
// finish time) to the runtime receiving the abort call.
//
//	go run ./bench/abort -n 50 -concurrency 4
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/slipway/slipway/analysis"
	"github.com/slipway/slipway/canary"
	"github.com/slipway/slipway/rollout"
	"github.com/slipway/slipway/rollout/webhook"
)

const specYAML = `
steps:
- setWeight: 10
- pause: {duration: 1h}
analysis:
  templates: [{templateName: error-rate}]
templates:
- apiVersion: argoproj.io/v1alpha1
  kind: AnalysisTemplate
  metadata: {name: error-rate}
  spec:
    args: [{name: url}, {name: service}]
    metrics:
    - name: error-rate
      interval: "%s"
      failureLimit: 2
      successCondition: result < 0.05
      provider: {web: {url: "{{args.url}}?service={{args.service}}", jsonPath: "{$.errorRate}"}}
`

func main() {
	n := flag.Int("n", 50, "number of failing canaries")
	conc := flag.Int("concurrency", 1, "canaries running at once")
	interval := flag.Duration("interval", 50*time.Millisecond, "analysis interval")
	flag.Parse()

	metrics := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"errorRate": 0.1}`) // every measurement fails; the 3rd crosses failureLimit 2
	}))
	defer metrics.Close()

	rt := webhook.NewMemoryRuntime()
	var mu sync.Mutex
	abortAt := map[string]time.Time{}
	rt.OnCall = func(c webhook.Call) {
		if c.Op == "abort" {
			mu.Lock()
			abortAt[c.Request.Service] = c.At
			mu.Unlock()
		}
	}
	runtime := httptest.NewServer(webhook.Handler(rt))
	defer runtime.Close()

	var spec canary.Spec
	if err := yaml.Unmarshal([]byte(fmt.Sprintf(specYAML, interval.String())), &spec); err != nil {
		fail(err)
	}
	lib, err := canary.LoadTemplates(spec, "")
	if err != nil {
		fail(err)
	}

	latencies := make([]time.Duration, *n)
	sem := make(chan struct{}, *conc)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < *n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			latencies[i] = runOne(i, spec, lib, runtime.URL, metrics.URL, &mu, abortAt)
		}(i)
	}
	wg.Wait()
	report(latencies, *n, *conc, *interval, time.Since(start))
}

// runOne runs one failing canary and returns crossing-measurement → abort
// received latency.
func runOne(i int, spec canary.Spec, lib *analysis.Library, runtimeURL, metricsURL string, mu *sync.Mutex, abortAt map[string]time.Time) time.Duration {
	target := rollout.Target{Service: fmt.Sprintf("svc-%03d", i), CanaryDigest: fmt.Sprintf("sha256:%064d", i), StableDigest: fmt.Sprintf("sha256:%064d", i+1000)}
	drv, err := webhook.New(runtimeURL, target)
	if err != nil {
		fail(err)
	}
	var crossed time.Time
	r := &canary.Runner{
		Spec: spec, Library: lib, Driver: drv, Target: target,
		Args: map[string]string{"url": metricsURL},
		OnEvent: func(e canary.Event) {
			if e.Kind == canary.EventMeasurement && e.Measurement.Counters.Failed == 3 {
				crossed = e.Measurement.Measurement.FinishedAt
			}
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := r.Run(ctx)
	if err != nil || out.Result != canary.Aborted {
		fail(fmt.Errorf("canary %d: %+v %v", i, out, err))
	}
	mu.Lock()
	defer mu.Unlock()
	return abortAt[target.Service].Sub(crossed)
}

func report(l []time.Duration, n, conc int, interval, total time.Duration) {
	slices.Sort(l)
	pct := func(p float64) time.Duration {
		return l[int(math.Ceil(p*float64(len(l))))-1]
	}
	var sum time.Duration
	over := 0
	for _, d := range l {
		sum += d
		if d > time.Second {
			over++
		}
	}
	fmt.Printf("abort latency (failing measurement finished -> runtime received abort), %d canaries, concurrency %d, interval %s, total %s\n", n, conc, interval, total.Round(time.Millisecond))
	fmt.Printf("  min %s  p50 %s  p90 %s  p99 %s  max %s  mean %s  over 1s: %d\n",
		l[0], pct(0.50), pct(0.90), pct(0.99), l[len(l)-1], sum/time.Duration(len(l)), over)
	// A coarse histogram.
	buckets := []time.Duration{time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, time.Second}
	prev := time.Duration(-1)
	for _, b := range append(buckets, time.Duration(math.MaxInt64)) {
		c := 0
		for _, d := range l {
			if d > prev && d <= b {
				c++
			}
		}
		label := "> 1s"
		if b != time.Duration(math.MaxInt64) {
			label = "<= " + b.String()
		}
		fmt.Printf("  %-8s %3d %s\n", label, c, strings.Repeat("#", c))
		prev = b
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench/abort:", err)
	os.Exit(1)
}
