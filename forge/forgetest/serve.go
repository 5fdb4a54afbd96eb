package forgetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Fault is a response the fake sends instead of handling a request: a rate
// limit, a 5xx from a proxy, a dropped connection (Status 0).
type Fault struct {
	Method string            // "" matches any
	Path   string            // substring of the escaped path; "" matches any
	Status int               // 0 drops the connection
	Header map[string]string //
	Body   string            //
	Times  int               // requests it answers (default 1)
}

// Request is what the fake received.
type Request struct {
	Method string
	Path   string // escaped
	Query  url.Values
	Body   string
	Status int // what it answered
}

// Serve wraps a fake's API handler: it refuses requests whose credentials
// authorized rejects (401 with the forge's body), answers queued faults,
// and logs every request with its status.
func (w *World) Serve(authorized func(*http.Request) bool, unauthorized string, api http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := Request{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.Query(), Body: string(body)}
		var fault *Fault
		w.Update(func(s *State) {
			s.SyncGit()
			for i := range s.Faults {
				f := &s.Faults[i]
				if f.Times > 0 && (f.Method == "" || f.Method == r.Method) && strings.Contains(rec.Path, f.Path) {
					f.Times--
					c := *f
					fault = &c
					break
				}
			}
		})
		sw := &statusWriter{ResponseWriter: rw, status: 200}
		defer func() {
			rec.Status = sw.status
			w.Update(func(s *State) { s.Requests = append(s.Requests, rec) })
		}()
		switch {
		case fault != nil && fault.Status == 0:
			sw.status = 0
			if conn, _, err := rw.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
		case fault != nil:
			for k, v := range fault.Header {
				sw.Header().Set(k, v)
			}
			if fault.Body != "" {
				sw.Header().Set("Content-Type", "application/json")
			}
			sw.WriteHeader(fault.Status)
			io.WriteString(sw, fault.Body)
		case !authorized(r):
			sw.Header().Set("Content-Type", "application/json")
			sw.WriteHeader(http.StatusUnauthorized)
			io.WriteString(sw, unauthorized)
		default:
			api.ServeHTTP(sw, r)
		}
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// JSON writes v with status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

// Decode reads a JSON request body into v.
func Decode(r *http.Request, v any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	if len(b) == 0 {
		return nil
	}
	return json.Unmarshal(b, v)
}

// Page is one page of a list, as the forges paginate: page and per-page
// query parameters, a Link header with first/prev/next/last.
type Page struct {
	Number, Per, Total int
	Start, End         int // the slice of the full list on this page
}

// Paginate reads page and perParam from r (defaults def, capped at max, as
// the forges cap per_page) for a list of total items.
func Paginate(r *http.Request, perParam string, def, max, total int) Page {
	q := r.URL.Query()
	p := Page{Number: 1, Per: def, Total: total}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 0 {
		p.Number = n
	}
	if n, err := strconv.Atoi(q.Get(perParam)); err == nil && n > 0 {
		p.Per = min(n, max)
	}
	p.Start = min((p.Number-1)*p.Per, total)
	p.End = min(p.Start+p.Per, total)
	return p
}

// Last is the last page number (1 for an empty list).
func (p Page) Last() int {
	if p.Total == 0 {
		return 1
	}
	return (p.Total + p.Per - 1) / p.Per
}

// Next is the next page number, 0 on the last page.
func (p Page) Next() int {
	if p.Number >= p.Last() {
		return 0
	}
	return p.Number + 1
}

// Link renders the RFC 8288 Link header GitHub, GitLab and Gitea send.
func (p Page) Link(r *http.Request, base string) string {
	rel := func(n int, name string) string {
		u := *r.URL
		q := u.Query()
		q.Set("page", strconv.Itoa(n))
		u.RawQuery = q.Encode()
		return fmt.Sprintf(`<%s%s>; rel="%s"`, base, u.RequestURI(), name)
	}
	var parts []string
	if p.Next() != 0 {
		parts = append(parts, rel(p.Next(), "next"))
	}
	if p.Number < p.Last() {
		parts = append(parts, rel(p.Last(), "last"))
	}
	if p.Number > 1 {
		parts = append(parts, rel(1, "first"), rel(p.Number-1, "prev"))
	}
	return strings.Join(parts, ", ")
}
