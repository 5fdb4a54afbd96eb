package analysis

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestWebProvider(t *testing.T) {
	var gotMethod, gotBody, gotHeader string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodGet {
			gotMethod, gotBody, gotHeader = r.Method, string(b), r.Header.Get("X-Tenant")
		}
		switch r.URL.Path {
		case "/fail":
			w.WriteHeader(http.StatusInternalServerError)
		case "/text":
			fmt.Fprint(w, "not json")
		default:
			fmt.Fprint(w, `{"data": {"ok": true, "successPercent": 0.95, "count": "12", "list": [1, 2]}}`)
		}
	}))
	defer srv.Close()
	tests := []struct {
		name      string
		web       string
		condition string
		want      Phase
		wantValue string
		noData    string
	}{
		{"typed bool", `{url: "%s/m", jsonPath: "{$.data.ok}"}`, "result == true", PhaseSuccessful, "true", ""},
		{"object result", `{url: "%s/m", jsonPath: "{$.data}"}`, "result.ok && result.successPercent >= 0.90", PhaseSuccessful, "", ""},
		{"string with asInt", `{url: "%s/m", jsonPath: "{$.data.count}"}`, "asInt(result) > 20", PhaseFailed, "12", ""},
		{"whole body by default", `{url: "%s/m"}`, "result.data.ok", PhaseSuccessful, "", ""},
		{"POST with body and header", `{url: "%s/m", method: POST, body: "{\"q\": 1}", headers: [{key: X-Tenant, value: acme}], jsonPath: "{$.data.ok}"}`, "result", PhaseSuccessful, "true", ""},
		{"non-2xx is an error", `{url: "%s/fail"}`, "true", PhaseError, "", ""},
		{"non-JSON is an error", `{url: "%s/text"}`, "true", PhaseError, "", ""},
		{"missing path is an error, as in Rollouts", `{url: "%s/m", jsonPath: "{$.data.absent}"}`, "isNil(result)", PhaseError, "", ""},
		{"missing path with noData: inconclusive", `{url: "%s/m", jsonPath: "{$.data.absent}"}`, "true", PhaseInconclusive, "", "noData: inconclusive,"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := fmt.Sprintf(`spec: {metrics: [{name: w, consecutiveErrorLimit: 0, %s successCondition: %q, provider: {web: %s}}]}`, tt.noData, tt.condition, fmt.Sprintf(tt.web, srv.URL))
			res, err := Run(context.Background(), parseOne(t, doc), Options{})
			if err != nil {
				t.Fatal(err)
			}
			m := res.Metrics[0].Measurements[0]
			if res.Phase != tt.want || (tt.wantValue != "" && m.Value != tt.wantValue) {
				t.Fatalf("phase %s value %q message %q; want %s value %q", res.Phase, m.Value, m.Message, tt.want, tt.wantValue)
			}
		})
	}
	if gotMethod != http.MethodPost || gotBody != `{"q": 1}` || gotHeader != "acme" {
		t.Errorf("POST request: method %s body %q header %q", gotMethod, gotBody, gotHeader)
	}
}

func TestWebProviderConfigErrors(t *testing.T) {
	for name, web := range map[string]string{
		"GET with body": `{url: "http://127.0.0.1:1", body: "x"}`,
		"bad method":    `{url: "http://127.0.0.1:1", method: DELETE}`,
		"no url":        `{jsonPath: "{$}"}`,
		"bad jsonPath":  `{url: "http://127.0.0.1:1", jsonPath: "{$.["}`,
		"unknown field": `{url: "http://127.0.0.1:1", jsonpath: "{$}"}`,
	} {
		t.Run(name, func(t *testing.T) {
			doc := fmt.Sprintf(`spec: {metrics: [{name: w, provider: {web: %s}}]}`, web)
			if err := Validate(nil, nil, parseOne(t, doc)); err == nil {
				t.Fatal("Validate accepted a bad web provider")
			}
		})
	}
}

func TestJobProvider(t *testing.T) {
	tests := []struct {
		name   string
		script string
		extra  string
		want   Phase
		value  string
	}{
		{"exit 0 is Successful", "exit 0", "", PhaseSuccessful, "exit 0"},
		{"exit 1 after retries is Failed", "exit 1", "backoffLimit: 1,", PhaseFailed, "BackoffLimitExceeded"},
		{"deadline is Failed", "sleep 5", "backoffLimit: 0, activeDeadlineSeconds: 1,", PhaseFailed, "DeadlineExceeded"},
		{"env reaches the process", `test "$GREETING" = hello`, "backoffLimit: 0,", PhaseSuccessful, "exit 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := fmt.Sprintf(`spec: {metrics: [{name: j, provider: {job: {spec: {%s template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox, command: [sh, -c], args: [%q], env: [{name: GREETING, value: hello}]}]}}}}}}]}`, tt.extra, tt.script)
			res, err := Run(context.Background(), parseOne(t, doc), Options{})
			if err != nil {
				t.Fatal(err)
			}
			m := res.Metrics[0].Measurements[0]
			if res.Phase != tt.want || m.Value != tt.value {
				t.Fatalf("phase %s value %q (%s); want %s %q", res.Phase, m.Value, m.Message, tt.want, tt.value)
			}
		})
	}
}

func TestJobRetriesCountAttempts(t *testing.T) {
	dir := t.TempDir()
	// Fails on the first attempt, succeeds on the second: backoffLimit 1 allows it.
	script := fmt.Sprintf(`if [ -e %[1]s/once ]; then exit 0; fi; touch %[1]s/once; exit 1`, dir)
	doc := fmt.Sprintf(`spec: {metrics: [{name: j, provider: {job: {spec: {backoffLimit: 1, template: {spec: {containers: [{name: c, command: [sh, -c, %q]}]}}}}}}]}`, script)
	res, err := Run(context.Background(), parseOne(t, doc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Metrics[0].Measurements[0]
	if res.Phase != PhaseSuccessful || m.Metadata["attempts"] != "2" {
		t.Fatalf("phase %s attempts %s", res.Phase, m.Metadata["attempts"])
	}
}

func TestJobMissingCommandIsError(t *testing.T) {
	doc := `spec: {metrics: [{name: j, consecutiveErrorLimit: 0, provider: {job: {spec: {template: {spec: {containers: [{name: c, command: [/nonexistent/slipway-test]}]}}}}}}]}`
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := Run(ctx, parseOne(t, doc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Phase != PhaseError || !strings.Contains(res.Metrics[0].Measurements[0].Message, "cannot start") {
		t.Fatalf("phase %s: %+v", res.Phase, res.Metrics[0].Measurements)
	}
}
