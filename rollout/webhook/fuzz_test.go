package webhook

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzHandler feeds arbitrary bodies to every POST endpoint: the handler
// must answer 200, 400 or 409, never 500 or a panic.
func FuzzHandler(f *testing.F) {
	f.Add("set-weight", `{"service":"a","canaryDigest":"d","stableDigest":"s","weight":20}`)
	f.Add("abort", `{"service":"a","canaryDigest":"d","reason":"x"}`)
	f.Add("promote", `{"service":"a","canaryDigest":"d"}`)
	f.Fuzz(func(t *testing.T, op, body string) {
		h := Handler(NewMemoryRuntime())
		for _, path := range []string{"/set-weight", "/abort", "/promote", "/" + url.PathEscape(op)} {
			req := httptest.NewRequest(http.MethodPost, "http://runtime"+path, strings.NewReader(body))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			switch rec.Code {
			case 200, 400, 404, 405, 409, 301, 307, 308: // redirects: ServeMux cleaning "." paths
			default:
				t.Fatalf("POST %s %q: status %d %s", path, body, rec.Code, rec.Body)
			}
		}
	})
}
