package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/slipway/slipway/api/apitest"
)

// loadDoc fetches the served document and validates it as OpenAPI 3.
func loadDoc(t *testing.T, w *apitest.World) *openapi3.T {
	t.Helper()
	r := w.Do("GET", "/api/v1/openapi.json", "", nil)
	if r.Status != 200 {
		t.Fatalf("openapi.json: %d %s", r.Status, r.Body)
	}
	doc, err := openapi3.NewLoader().LoadFromData(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the document is not valid OpenAPI 3: %v", err)
	}
	return doc
}

// TestOpenAPIEqualsTheMux: every operation of the document is served (the
// mux routes it to a registered pattern of the same method and path), and
// every pattern the mux serves is in the document.
func TestOpenAPIEqualsTheMux(t *testing.T) {
	w := apitest.New(t, apitest.Options{})
	doc := loadDoc(t, w)
	mux := http.NewServeMux()
	w.API.Mount(mux)
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			pattern := method + " " + path
			documented = append(documented, pattern)
			req := httptest.NewRequest(method, strings.NewReplacer("{id}", "x", "{service}", "x", "{number}", "1", "{forge}", "x").Replace(path), nil)
			if _, got := mux.Handler(req); got != pattern {
				t.Errorf("documented %s is routed to %q", pattern, got)
			}
		}
	}
	sort.Strings(documented)
	// The other direction: probe the mux with every pattern the server
	// registers on a recording mux.
	rec := &recordingMux{ServeMux: http.NewServeMux()}
	w.API.MountOn(rec)
	sort.Strings(rec.patterns)
	if strings.Join(rec.patterns, "\n") != strings.Join(documented, "\n") {
		t.Errorf("registered and documented routes differ:\nregistered:\n%s\ndocumented:\n%s", strings.Join(rec.patterns, "\n"), strings.Join(documented, "\n"))
	}
}

type recordingMux struct {
	*http.ServeMux
	patterns []string
}

func (m *recordingMux) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

// docs/api.md lists every route of the document, and no other.
func TestDocsListEveryRoute(t *testing.T) {
	w := apitest.New(t, apitest.Options{})
	doc := loadDoc(t, w)
	page, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	listed := regexp.MustCompile("(?m)^\\| `([A-Z]+ /[^`]*)` \\|").FindAllStringSubmatch(string(page), -1)
	seen := map[string]bool{}
	for _, m := range listed {
		seen[m[1]] = true
	}
	n := 0
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			n++
			if !seen[method+" "+path] {
				t.Errorf("docs/api.md does not list %s %s", method, path)
			}
		}
	}
	if len(seen) != n {
		t.Errorf("docs/api.md lists %d routes, the server has %d", len(seen), n)
	}
}
