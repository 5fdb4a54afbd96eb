package analysis

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// DefaultPrometheusTimeout bounds a query whose template gives no timeout.
const DefaultPrometheusTimeout = 30 * time.Second

func init() { defaultRegistry.Register("prometheus", newPrometheusProvider) }

// PrometheusMetric is the `provider.prometheus` block of the CRD.
type PrometheusMetric struct {
	Address        string           `yaml:"address"`
	Query          string           `yaml:"query"`
	Timeout        *int64           `yaml:"timeout,omitempty"` // seconds
	Insecure       bool             `yaml:"insecure,omitempty"`
	CACert         string           `yaml:"caCert,omitempty"`
	Headers        []WebHeader      `yaml:"headers,omitempty"`
	RangeQuery     *PrometheusRange `yaml:"rangeQuery,omitempty"`
	Authentication *PromAuth        `yaml:"authentication,omitempty"`
}

// PrometheusRange is a range query: start and end are expr expressions
// with now() and duration() (e.g. `now() - duration("5m")`), step a
// duration.
type PrometheusRange struct {
	Start string `yaml:"start"`
	End   string `yaml:"end"`
	Step  string `yaml:"step"`
}

// PromAuth is Rollouts' authentication block; Slipway runs basicAuth and
// rejects sigv4 and oauth2 at run time.
type PromAuth struct {
	BasicAuth *struct {
		Username string `yaml:"username"`
		Password string `yaml:"password"`
	} `yaml:"basicAuth,omitempty"`
	Sigv4  yaml.Node `yaml:"sigv4,omitempty"`
	OAuth2 yaml.Node `yaml:"oauth2,omitempty"`
}

type prometheusProvider struct {
	cfg     PrometheusMetric
	api     promv1.API
	timeout time.Duration
}

func newPrometheusProvider(n *yaml.Node, _ Metric) (Provider, error) {
	var cfg PrometheusMetric
	if err := decodeStrict(n, &cfg); err != nil {
		return nil, err
	}
	if cfg.Address == "" {
		return nil, fmt.Errorf("address is required (e.g. http://prometheus:9090)")
	}
	if strings.TrimSpace(cfg.Query) == "" {
		return nil, fmt.Errorf("query is required")
	}
	timeout := DefaultPrometheusTimeout
	if cfg.Timeout != nil {
		if *cfg.Timeout < 0 {
			return nil, fmt.Errorf("timeout must be >= 0 seconds, got %d", *cfg.Timeout)
		}
		if *cfg.Timeout > 0 {
			timeout = time.Duration(*cfg.Timeout) * time.Second
		}
	}
	if a := cfg.Authentication; a != nil && (!a.Sigv4.IsZero() || !a.OAuth2.IsZero()) {
		return nil, fmt.Errorf("authentication sigv4/oauth2 is not supported by Slipway: use basicAuth or headers (e.g. Authorization)")
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if cfg.Insecure || cfg.CACert != "" {
		tc := &tls.Config{InsecureSkipVerify: cfg.Insecure} //nolint:gosec // the template asked for it
		if cfg.CACert != "" {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM([]byte(cfg.CACert)) {
				return nil, fmt.Errorf("caCert holds no PEM certificate")
			}
			tc.RootCAs = pool
		}
		transport.TLSClientConfig = tc
	}
	client, err := promapi.NewClient(promapi.Config{
		Address:      cfg.Address,
		RoundTripper: &headerTripper{next: transport, headers: cfg.Headers, auth: cfg.Authentication},
	})
	if err != nil {
		return nil, fmt.Errorf("address %q: %w", cfg.Address, err)
	}
	return &prometheusProvider{cfg: cfg, api: promv1.NewAPI(client), timeout: timeout}, nil
}

type headerTripper struct {
	next    http.RoundTripper
	headers []WebHeader
	auth    *PromAuth
}

func (h *headerTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for _, hd := range h.headers {
		r.Header.Set(hd.Key, hd.Value)
	}
	if h.auth != nil && h.auth.BasicAuth != nil {
		r.SetBasicAuth(h.auth.BasicAuth.Username, h.auth.BasicAuth.Password)
	}
	return h.next.RoundTrip(r)
}

func (p *prometheusProvider) Measure(ctx context.Context) (Observation, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	var (
		val      model.Value
		warnings promv1.Warnings
		err      error
	)
	if p.cfg.RangeQuery != nil {
		r, rerr := p.cfg.RangeQuery.resolve(time.Now())
		if rerr != nil {
			return Observation{}, rerr
		}
		val, warnings, _, err = p.api.QueryRange(ctx, p.cfg.Query, r)
	} else {
		val, warnings, _, err = p.api.Query(ctx, p.cfg.Query, time.Now())
	}
	if err != nil {
		return Observation{}, fmt.Errorf("prometheus query at %s: %w", p.cfg.Address, err)
	}
	obs, err := observePrometheus(val)
	if err != nil {
		return Observation{}, err
	}
	obs.Metadata = map[string]string{"resolvedQuery": p.cfg.Query}
	if len(warnings) > 0 {
		obs.Metadata["warnings"] = strings.Join(warnings, ", ")
	}
	return obs, nil
}

// observePrometheus turns a query result into the value conditions see, as
// Rollouts does: a scalar is a float64; a vector is a []float64 (one per
// series, so `result[0]`); a matrix (range query) is the []float64 of every
// sample of every series (so `all(result, # < 1000)`).
func observePrometheus(v model.Value) (Observation, error) {
	switch val := v.(type) {
	case *model.Scalar:
		f := float64(val.Value)
		return Observation{Result: f, Value: formatFloat(f)}, nil
	case model.Vector:
		res := make([]float64, 0, len(val))
		for _, s := range val {
			if s != nil {
				res = append(res, float64(s.Value))
			}
		}
		return Observation{Result: res, Value: formatFloats(res), Empty: len(res) == 0}, nil
	case model.Matrix:
		var res []float64
		for _, s := range val {
			if s == nil {
				continue
			}
			for _, sp := range s.Values {
				res = append(res, float64(sp.Value))
			}
		}
		if res == nil {
			res = []float64{}
		}
		return Observation{Result: res, Value: formatFloats(res), Empty: len(res) == 0}, nil
	default:
		return Observation{}, fmt.Errorf("prometheus metric type not supported: %T", v)
	}
}

func (r *PrometheusRange) resolve(now time.Time) (promv1.Range, error) {
	env := map[string]any{"now": func() time.Time { return now }}
	eval := func(field, src string) (time.Time, error) {
		// now() is the measurement's time, not expr's builtin clock.
		prog, err := expr.Compile(src, expr.Env(env), expr.DisableBuiltin("now"))
		var out any
		if err == nil {
			out, err = expr.Run(prog, env)
		}
		if err != nil {
			return time.Time{}, fmt.Errorf("rangeQuery.%s %q: %w", field, src, unwrapFileErr(err))
		}
		t, ok := out.(time.Time)
		if !ok {
			return time.Time{}, fmt.Errorf("rangeQuery.%s %q: expected a time, got %T", field, src, out)
		}
		return t, nil
	}
	start, err := eval("start", r.Start)
	if err != nil {
		return promv1.Range{}, err
	}
	end, err := eval("end", r.End)
	if err != nil {
		return promv1.Range{}, err
	}
	step, err := time.ParseDuration(r.Step)
	if err != nil || step <= 0 {
		return promv1.Range{}, fmt.Errorf("rangeQuery.step %q: expected a positive duration such as 1m", r.Step)
	}
	return promv1.Range{Start: start, End: end, Step: step}, nil
}

func formatFloat(f float64) string {
	if math.IsNaN(f) {
		return "NaN"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func formatFloats(fs []float64) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = formatFloat(f)
	}
	return "[" + strings.Join(parts, ",") + "]"
}
