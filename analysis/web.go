package analysis

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
	"k8s.io/client-go/util/jsonpath"
)

// DefaultWebTimeout is Rollouts' default timeoutSeconds for web metrics.
const DefaultWebTimeout = 10 * time.Second

// maxWebBody bounds how much of a response a web metric reads.
const maxWebBody = 10 << 20

func init() { defaultRegistry.Register("web", newWebProvider) }

// WebHeader is one request header.
type WebHeader struct {
	Key   string `yaml:"key"`
	Value string `yaml:"value"`
}

// WebMetric is the `provider.web` block of the CRD.
type WebMetric struct {
	Method         string      `yaml:"method,omitempty"`
	URL            string      `yaml:"url"`
	Headers        []WebHeader `yaml:"headers,omitempty"`
	Body           string      `yaml:"body,omitempty"`
	JSONBody       yaml.Node   `yaml:"jsonBody,omitempty"`
	TimeoutSeconds int64       `yaml:"timeoutSeconds,omitempty"`
	JSONPath       string      `yaml:"jsonPath,omitempty"`
	Insecure       bool        `yaml:"insecure,omitempty"`
	Authentication yaml.Node   `yaml:"authentication,omitempty"`
}

type webProvider struct {
	cfg    WebMetric
	body   []byte
	path   *jsonpath.JSONPath
	client *http.Client
}

func newWebProvider(n *yaml.Node, _ Metric) (Provider, error) {
	var cfg WebMetric
	if err := decodeStrict(n, &cfg); err != nil {
		return nil, err
	}
	if cfg.URL == "" {
		return nil, fmt.Errorf("url is required")
	}
	if !cfg.Authentication.IsZero() {
		return nil, fmt.Errorf("authentication (oauth2/sigv4) is not supported by Slipway: pass credentials in headers")
	}
	switch cfg.Method = strings.ToUpper(cfg.Method); cfg.Method {
	case "":
		cfg.Method = http.MethodGet
	case http.MethodGet, http.MethodPost, http.MethodPut:
	default:
		return nil, fmt.Errorf("method %q: valid values are GET, POST and PUT", cfg.Method)
	}
	p := &webProvider{cfg: cfg}
	switch {
	case cfg.Body != "" && !cfg.JSONBody.IsZero():
		return nil, fmt.Errorf("body and jsonBody are both set: keep one")
	case cfg.Body != "":
		p.body = []byte(cfg.Body)
	case !cfg.JSONBody.IsZero():
		var v any
		if err := cfg.JSONBody.Decode(&v); err != nil {
			return nil, fmt.Errorf("jsonBody: %w", err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("jsonBody: %w", err)
		}
		p.body = b
	}
	if p.body != nil && cfg.Method == http.MethodGet {
		return nil, fmt.Errorf("a GET request cannot have a body: set method: POST or PUT")
	}
	expr := cfg.JSONPath
	if expr == "" {
		expr = "{$}"
	}
	p.path = jsonpath.New("metric")
	if err := p.path.Parse(expr); err != nil {
		return nil, fmt.Errorf("jsonPath %q: %w", cfg.JSONPath, err)
	}
	timeout := DefaultWebTimeout
	if cfg.TimeoutSeconds < 0 {
		return nil, fmt.Errorf("timeoutSeconds must be >= 0, got %d", cfg.TimeoutSeconds)
	}
	if cfg.TimeoutSeconds > 0 {
		timeout = time.Duration(cfg.TimeoutSeconds) * time.Second
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if cfg.Insecure {
		transport.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the template asked for it
	}
	p.client = &http.Client{Timeout: timeout, Transport: transport}
	return p, nil
}

func (p *webProvider) Measure(ctx context.Context) (Observation, error) {
	var body io.Reader
	if p.body != nil {
		body = bytes.NewReader(p.body)
	}
	req, err := http.NewRequestWithContext(ctx, p.cfg.Method, p.cfg.URL, body)
	if err != nil {
		return Observation{}, err
	}
	for _, h := range p.cfg.Headers {
		if strings.EqualFold(h.Key, "Host") {
			req.Host = h.Value
			continue
		}
		req.Header.Set(h.Key, h.Value)
	}
	if !p.cfg.JSONBody.IsZero() && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return Observation{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return Observation{}, fmt.Errorf("received non 2xx response code: %d", resp.StatusCode)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxWebBody))
	if err != nil {
		return Observation{}, fmt.Errorf("reading response body: %w", err)
	}
	return p.observe(raw)
}

// observe applies the JSON path. One match is the result itself (a bool,
// number, string or object, so `result == true` and `result.ok` work); several
// matches are a list; no match is an empty result.
func (p *webProvider) observe(raw []byte) (Observation, error) {
	var data any
	if err := json.Unmarshal(raw, &data); err != nil {
		return Observation{}, fmt.Errorf("could not parse JSON body: %v", err)
	}
	results, err := p.path.FindResults(data)
	if err != nil {
		if strings.Contains(err.Error(), "is not found") {
			return Observation{Empty: true, EmptyErr: fmt.Errorf("could not find JSONPath in body: %s", err)}, nil
		}
		return Observation{}, fmt.Errorf("could not find JSONPath in body: %s", err)
	}
	var values []any
	for _, rs := range results {
		for _, r := range rs {
			values = append(values, r.Interface())
		}
	}
	var buf bytes.Buffer
	if err := p.path.Execute(&buf, data); err != nil {
		return Observation{}, fmt.Errorf("could not find JSONPath in body: %s", err)
	}
	switch len(values) {
	case 0:
		return Observation{Empty: true, EmptyErr: fmt.Errorf("could not find JSONPath in body: %s matched nothing", p.cfg.JSONPath)}, nil
	case 1:
		return Observation{Result: values[0], Value: buf.String()}, nil
	default:
		return Observation{Result: values, Value: buf.String()}, nil
	}
}
