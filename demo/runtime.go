package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// ErrorRateLabel is the image config label the demo runtime reads to decide
// how often a version fails: the demo's stand-in for a real regression.
const ErrorRateLabel = "dev.slipway.demo/error-rate"

// Runtime is the demo's deploy target: it runs a stable and a canary version
// of one service, splits simulated traffic between them by weight, and serves
// per-version request and error counts for the analysis to judge. It speaks
// the webhook rollout-driver protocol, like a real runtime would.
type Runtime struct {
	mu       sync.Mutex
	stable   version
	canary   *version
	weight   int // percent of traffic to the canary
	aborted  bool
	log      []string
	errRates map[string]float64 // digest -> failure probability, read from image labels
	lookup   func(ctx context.Context, image string) (float64, error)

	// Image is the repository the runtime pulls canaries from.
	Image string

	srv  *http.Server
	URL  string
	stop chan struct{}
	wg   sync.WaitGroup
}

type version struct {
	Image  string
	Digest string
	window []sample // the last second of requests
}

type sample struct {
	at  time.Time
	err bool
}

// StartRuntime serves the runtime on 127.0.0.1 and starts its traffic.
func StartRuntime(image string, insecure bool) (*Runtime, error) {
	rt := &Runtime{Image: image, errRates: map[string]float64{}, stop: make(chan struct{})}
	rt.lookup = func(ctx context.Context, image string) (float64, error) { return imageErrorRate(ctx, image, insecure) }
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rt.URL = "http://" + ln.Addr().String()
	rt.srv = &http.Server{Handler: rt.routes(), ReadHeaderTimeout: 5 * time.Second}
	go rt.srv.Serve(ln)
	rt.wg.Add(1)
	go rt.traffic()
	return rt, nil
}

// Close stops traffic and the server.
func (rt *Runtime) Close() {
	close(rt.stop)
	rt.wg.Wait()
	rt.srv.Close()
}

// imageErrorRate pulls the image's config, as a runtime pulling the image
// would, and reads its simulated error rate.
func imageErrorRate(ctx context.Context, image string, insecure bool) (float64, error) {
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.ParseReference(image, opts...)
	if err != nil {
		return 0, err
	}
	img, err := remote.Image(ref, remote.WithContext(ctx))
	if err != nil {
		return 0, fmt.Errorf("pull %s: %w", image, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return 0, err
	}
	if v, ok := cfg.Config.Labels[ErrorRateLabel]; ok {
		return strconv.ParseFloat(v, 64)
	}
	return 0, nil
}

// traffic sends 40 simulated requests every 25 ms, split by weight.
func (rt *Runtime) traffic() {
	defer rt.wg.Done()
	rng := rand.New(rand.NewPCG(1, 2)) // deterministic: the demo tells the same story every run
	t := time.NewTicker(25 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-rt.stop:
			return
		case now := <-t.C:
			rt.mu.Lock()
			for i := 0; i < 40; i++ {
				v := &rt.stable
				if rt.canary != nil && rng.IntN(100) < rt.weight {
					v = rt.canary
				}
				if v.Digest == "" {
					continue
				}
				v.window = append(v.window, sample{at: now, err: rng.Float64() < rt.errRates[v.Digest]})
			}
			rt.trim(now)
			rt.mu.Unlock()
		}
	}
}

func (rt *Runtime) trim(now time.Time) {
	for _, v := range []*version{&rt.stable, rt.canary} {
		if v == nil {
			continue
		}
		i := 0
		for i < len(v.window) && now.Sub(v.window[i].at) > time.Second {
			i++
		}
		v.window = v.window[i:]
	}
}

// Stats is what the runtime serves per version at /stats?track=stable|canary.
type Stats struct {
	Track     string  `json:"track"`
	Digest    string  `json:"digest"`
	Weight    int     `json:"weight"`
	Requests  int     `json:"requests"`
	Errors    int     `json:"errors"`
	ErrorRate float64 `json:"errorRate"`
}

func (rt *Runtime) stats(track string) Stats {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	v := &rt.stable
	s := Stats{Track: track, Weight: 100 - rt.weight}
	if track == "canary" {
		s.Weight = rt.weight
		if rt.canary == nil {
			return s
		}
		v = rt.canary
	}
	s.Digest = v.Digest
	for _, x := range v.window {
		s.Requests++
		if x.err {
			s.Errors++
		}
	}
	if s.Requests > 0 {
		s.ErrorRate = float64(s.Errors) / float64(s.Requests)
	}
	return s
}

// Stable returns the digest serving stable traffic.
func (rt *Runtime) Stable() string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.stable.Digest
}

// Deploy sets what runs as stable without a canary (dev/staging syncs and the
// first prod sync).
func (rt *Runtime) Deploy(ctx context.Context, image, digest string) error {
	rate, err := rt.lookup(ctx, image+"@"+digest)
	if err != nil {
		return err
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.errRates[digest] = rate
	rt.stable = version{Image: image, Digest: digest}
	rt.canary, rt.weight = nil, 0
	return nil
}

func (rt *Runtime) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		track := r.URL.Query().Get("track")
		if track != "canary" {
			track = "stable"
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(rt.stats(track))
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		for _, track := range []string{"stable", "canary"} {
			s := rt.stats(track)
			fmt.Fprintf(w, "demo_requests{track=%q} %d\ndemo_errors{track=%q} %d\n", track, s.Requests, track, s.Errors)
		}
	})
	rt.mountDriver(mux)
	return mux
}
