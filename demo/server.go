package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/api"
	"github.com/slipway/slipway/auth"
)

// The story's approvals go through an embedded Slipway server, as they
// would in real life: each person logs in with a password (argon2id in the
// store) and gets an API token; the server authenticates every request, the
// engine checks the approver's role and records who approved. prod requires
// authenticated approvals (the default for the last environment), so the
// CLI's local mode could not approve it.

// demoPassword is every demo user's password.
const demoPassword = "demo password, long enough"

// webServer is the embedded server and the people logged in to it.
type webServer struct {
	srv    *httptest.Server
	tokens map[string]string
}

// startServer serves the API over the story's engine and logs the people in.
func (s *story) startServer(ctx context.Context) error {
	svc := &auth.Service{Store: s.eng.Store, Policy: s.eng.Cfg.AccessPolicy(), Now: s.clock.Now}
	h := api.New(s.eng, svc, quietLog)
	h.Now = s.clock.Now
	s.web = &webServer{srv: httptest.NewServer(h.Handler()), tokens: map[string]string{}}
	for _, u := range []string{alice, bob, carol} {
		if _, err := svc.AddUser(ctx, u, demoPassword); err != nil {
			return err
		}
	}
	s.say("server", s.web.srv.URL, "embedded Slipway server on %s: users %s, %s and %s (argon2id passwords); roles from slipway.yaml's auth.roles", s.web.srv.URL, alice, bob, carol)
	for _, u := range []string{alice, bob, carol} {
		var nt api.NewToken
		if status, err := s.web.call("POST", "/auth/token", "", api.CLITokenRequest{Username: u, Password: demoPassword, Name: "demo"}, &nt); err != nil {
			return fmt.Errorf("login of %s: %d %w", u, status, err)
		}
		s.web.tokens[u] = nt.Secret
		s.say("server", nt.Token.ID, "%s logged in: a personal API token, stored hashed", u)
	}
	return nil
}

func (w *webServer) close() {
	if w != nil {
		w.srv.Close()
	}
}

// approve approves a promotion as user through the API; a refusal comes
// back as the API's error, with its HTTP status.
func (s *story) approve(ctx context.Context, user, promotionID, comment string) (int, error) {
	var p api.Promotion
	status, err := s.web.call("POST", "/api/v1/promotions/"+promotionID+"/approve", s.web.tokens[user], api.DecisionRequest{Comment: comment}, &p)
	if err == nil {
		s.say("server", promotionID, "POST /api/v1/promotions/%s/approve as %s: %d; %s is %s", promotionID, user, status, p.ID, p.State)
	}
	return status, err
}

// call sends one request and decodes the answer (or the error).
func (w *webServer) call(method, path, token string, body, out any) (int, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequest(method, w.srv.URL+path, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := w.srv.Client().Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode/100 != 2 {
		var e api.ErrorBody
		if json.Unmarshal(data, &e) != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %s", method, path, resp.Status)
		}
		return resp.StatusCode, &slipway.Error{Code: e.Error.Code, Message: e.Error.Message}
	}
	return resp.StatusCode, json.Unmarshal(data, out)
}
