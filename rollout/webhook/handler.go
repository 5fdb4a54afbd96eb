package webhook

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/slipway/slipway/rollout"
)

// Runtime is what a Go program implements to be driven over the webhook
// protocol; Handler does the HTTP. Each method must be idempotent (the same
// call twice leaves the same state) and return rollout.ErrConflict when the
// request names a canary digest other than the one it is rolling.
type Runtime interface {
	SetWeight(ctx context.Context, req Request) error
	Promote(ctx context.Context, req Request) error
	Abort(ctx context.Context, req Request) error
	// Status returns ErrUnknownService for a service it does not run.
	Status(ctx context.Context, service string) (StatusResponse, error)
}

// ErrUnknownService makes Handler answer 404.
var ErrUnknownService = errors.New("unknown service")

// HandlerOption configures Handler.
type HandlerOption func(*handler)

// WithAuthToken makes the handler require `Authorization: Bearer token`.
func WithAuthToken(token string) HandlerOption { return func(h *handler) { h.token = token } }

type handler struct {
	rt    Runtime
	token string
	mux   *http.ServeMux
}

// Handler serves the webhook protocol for rt: mount it at the base URL
// given to the driver (e.g. http.Handle("/slipway/", http.StripPrefix("/slipway", webhook.Handler(rt)))).
func Handler(rt Runtime, opts ...HandlerOption) http.Handler {
	h := &handler{rt: rt, mux: http.NewServeMux()}
	for _, o := range opts {
		o(h)
	}
	h.mux.HandleFunc("POST /set-weight", h.call(func(ctx context.Context, r Request) error {
		if r.Weight == nil || !rollout.ValidWeight(*r.Weight) {
			return badRequest("weight must be an integer from 0 to 100")
		}
		return rt.SetWeight(ctx, r)
	}))
	h.mux.HandleFunc("POST /promote", h.call(rt.Promote))
	h.mux.HandleFunc("POST /abort", h.call(rt.Abort))
	h.mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		svc := r.URL.Query().Get("service")
		if svc == "" {
			writeError(w, http.StatusBadRequest, "query parameter service is required")
			return
		}
		st, err := rt.Status(r.Context(), svc)
		if err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, st)
	})
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.token != "" {
		want := "Bearer " + h.token
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(want)) != 1 {
			writeError(w, http.StatusUnauthorized, "missing or wrong bearer token")
			return
		}
	}
	h.mux.ServeHTTP(w, r)
}

type requestError string

func (e requestError) Error() string { return string(e) }

func badRequest(msg string) error { return requestError(msg) }

func (h *handler) call(fn func(context.Context, Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req Request
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("body is not the documented JSON: %v", err))
			return
		}
		if req.Service == "" || req.CanaryDigest == "" {
			writeError(w, http.StatusBadRequest, "service and canaryDigest are required")
			return
		}
		if err := fn(r.Context(), req); err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	}
}

func writeErr(w http.ResponseWriter, err error) {
	var re requestError
	switch {
	case errors.As(err, &re):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, rollout.ErrConflict):
		writeError(w, http.StatusConflict, err.Error())
	case errors.Is(err, ErrUnknownService):
		writeError(w, http.StatusNotFound, err.Error())
	default:
		writeError(w, http.StatusInternalServerError, err.Error())
	}
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, ErrorResponse{Error: msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
