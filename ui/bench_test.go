package ui

import (
	"net/http"
	"testing"

	"github.com/slipway/slipway/api/apitest"
)

// BenchmarkMatrixPage serves / over the API test world (2 services × 2
// environments; api runs in both, web's prod canary aborted): the cost of
// the page, last-attempt reads included.
func BenchmarkMatrixPage(b *testing.B) {
	w, s := worldSite(b)
	p := w.Paused("web")
	if _, err := w.Engine.DecideCanary(w.As(apitest.Oscar), p.ID, apitest.Oscar, false, "errors up"); err != nil {
		b.Fatal(err)
	}
	w.Paused("api")
	w.Settle("api")
	br := s.browser()
	br.login(apitest.Victor, apitest.Password, "/")
	b.ResetTimer()
	for b.Loop() {
		if pg := br.get("/"); pg.Status != http.StatusOK {
			b.Fatal(pg.Status)
		}
	}
}
