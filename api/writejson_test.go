package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// An answer goes out whole, with its length, unescaped; one that cannot be
// encoded is a 500 with the error body, not a 200 cut short.
func TestWriteJSONSendsWholeAnswers(t *testing.T) {
	items := make([]Stop, 300) // larger than the connection's 4 KiB buffer
	for i := range items {
		items[i] = Stop{Env: "prod", By: "alice@example.com", Reason: "<freeze> & hold"}
	}
	rec := httptest.NewRecorder()
	writeJSON(rec, http.StatusOK, items)
	body := rec.Body.String()
	if rec.Code != 200 || rec.Header().Get("Content-Length") != strconv.Itoa(len(body)) || rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("status %d, headers %v, body %d bytes", rec.Code, rec.Header(), len(body))
	}
	var back []Stop
	if err := json.Unmarshal([]byte(body), &back); err != nil || len(back) != 300 || back[299].Reason != "<freeze> & hold" || !strings.Contains(body, "<freeze> & hold") {
		t.Fatalf("body does not round-trip unescaped: %v", err)
	}

	rec = httptest.NewRecorder()
	writeJSON(rec, http.StatusCreated, map[string]any{"c": make(chan int)})
	var e ErrorBody
	if rec.Code != 500 || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error.Code != "internal" || !strings.Contains(e.Error.Message, "encoding the answer") {
		t.Fatalf("unencodable answer: %d %s", rec.Code, rec.Body)
	}
}
