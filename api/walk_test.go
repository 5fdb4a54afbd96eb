package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/api"
	"github.com/slipway/slipway/api/apitest"
)

// call is how one route is exercised: the concrete path, the body, the
// user whose token has the right role, and the wrong user (a viewer for
// changes, a CI token for reads; "" where every authenticated caller may).
type call struct {
	path  string
	body  any
	right string
	wrong string
}

// ci stands for "a CI token of api" in the table.
const ci = "ci:api"

// walkCases prepares each route of the document: the state it needs is
// made just before it is called, so each change meets the state it acts on.
func walkCases(w *apitest.World) map[string]func() call {
	sys := slipway.WithActor(context.Background(), slipway.System)
	id := func(p *slipway.Promotion) string { return "/api/v1/promotions/" + p.ID }
	return map[string]func() call{
		"GET /api/v1/me":       func() call { return call{path: "/api/v1/me", right: apitest.Victor} },
		"GET /api/v1/services": func() call { return call{path: "/api/v1/services", right: apitest.Victor, wrong: ci} },
		"GET /api/v1/services/{service}": func() call {
			return call{path: "/api/v1/services/api", right: apitest.Victor, wrong: ci}
		},
		"GET /api/v1/builds": func() call { return call{path: "/api/v1/builds?service=api", right: apitest.Victor, wrong: ci} },
		"GET /api/v1/builds/{id}": func() call {
			return call{path: "/api/v1/builds/" + w.Released("web").ID, right: apitest.Victor, wrong: ci}
		},
		"GET /api/v1/releases":   func() call { return call{path: "/api/v1/releases", right: apitest.Victor, wrong: ci} },
		"GET /api/v1/promotions": func() call { return call{path: "/api/v1/promotions?active=true", right: apitest.Victor, wrong: ci} },
		"GET /api/v1/promotions/{id}": func() call {
			return call{path: id(w.Waiting("api")), right: apitest.Victor, wrong: ci}
		},
		"GET /api/v1/promotions/{id}/gates": func() call {
			return call{path: id(w.Waiting("api")) + "/gates", right: apitest.Victor, wrong: ci}
		},
		"GET /api/v1/promotions/{id}/approvals": func() call {
			return call{path: id(w.ReviewOpen("web")) + "/approvals", right: apitest.Victor, wrong: ci}
		},
		"GET /api/v1/promotions/{id}/analysis": func() call {
			return call{path: id(w.Paused("api")) + "/analysis", right: apitest.Victor, wrong: ci}
		},
		"GET /api/v1/why": func() call { return call{path: "/api/v1/why?service=web&env=prod", right: apitest.Victor, wrong: ci} },
		"GET /api/v1/verifications": func() call {
			b := w.Released("api")
			return call{path: "/api/v1/verifications?service=api&env=dev&digest=" + url.QueryEscape(b.Digest), right: apitest.Victor, wrong: ci}
		},
		"GET /api/v1/holds":        func() call { return call{path: "/api/v1/holds?all=true", right: apitest.Victor, wrong: ci} },
		"GET /api/v1/stops":        func() call { return call{path: "/api/v1/stops", right: apitest.Victor, wrong: ci} },
		"GET /api/v1/windows":      func() call { return call{path: "/api/v1/windows?service=web", right: apitest.Victor, wrong: ci} },
		"GET /api/v1/audit":        func() call { return call{path: "/api/v1/audit?limit=2", right: apitest.Victor, wrong: ci} },
		"GET /api/v1/audit/verify": func() call { return call{path: "/api/v1/audit/verify", right: apitest.Victor, wrong: ci} },
		"GET /api/v1/notifications": func() call {
			return call{path: "/api/v1/notifications", right: apitest.Victor, wrong: ci}
		},
		"POST /api/v1/builds": func() call {
			ref, sha := w.Image("api")
			return call{path: "/api/v1/builds", body: api.BuildRequest{Service: "api", Commit: sha, Image: ref.String()}, right: apitest.Alice, wrong: apitest.Victor}
		},
		"POST /api/v1/releases": func() call {
			w.Commit(apitest.Alice, "fix: a fix", "fix.txt", w.Now().String())
			ref, sha := w.Image("web")
			b, _, err := w.Engine.RegisterBuild(sys, "web", sha, ref.String())
			if err != nil {
				w.T.Fatal(err)
			}
			return call{path: "/api/v1/releases", body: api.ReleaseRequest{Service: "web", Build: b.ID}, right: apitest.Alice, wrong: apitest.Victor}
		},
		"POST /api/v1/promotions": func() call {
			return call{path: "/api/v1/promotions", body: api.PromoteRequest{Service: "web", Env: "prod", Build: w.Released("web").ID}, right: apitest.Alice, wrong: apitest.Victor}
		},
		"POST /api/v1/promotions/{id}/approve": func() call {
			return call{path: id(w.Waiting("api")) + "/approve", body: api.DecisionRequest{Comment: "ok"}, right: apitest.Bob, wrong: apitest.Victor}
		},
		"POST /api/v1/promotions/{id}/reject": func() call {
			return call{path: id(w.Waiting("web")) + "/reject", body: api.DecisionRequest{Comment: "no"}, right: apitest.Carol, wrong: apitest.Victor}
		},
		"POST /api/v1/promotions/{id}/override": func() call {
			return call{path: id(w.Waiting("api")) + "/override", body: api.ReasonRequest{Reason: "INC-9: checkout is down and the fix cannot wait for the window"}, right: apitest.Oscar, wrong: apitest.Victor}
		},
		"POST /api/v1/promotions/{id}/canary": func() call {
			return call{path: id(w.Paused("api")) + "/canary", body: api.CanaryRequest{Decision: "promote", Reason: "metrics fine"}, right: apitest.Oscar, wrong: apitest.Victor}
		},
		"POST /api/v1/verifications": func() call {
			b := w.Released("api")
			return call{path: "/api/v1/verifications", body: api.VerificationRequest{Service: "api", Env: "dev", Check: "e2e", Digest: b.Digest, Passed: true}, right: apitest.Alice, wrong: apitest.Victor}
		},
		"POST /api/v1/checks": func() call {
			w.Released("web")
			return call{path: "/api/v1/checks", body: api.CheckRequest{Service: "web", Env: "dev", Check: "smoke"}, right: apitest.Alice, wrong: apitest.Victor}
		},
		"POST /api/v1/rollbacks": func() call {
			w.Released("web")
			return call{path: "/api/v1/rollbacks", body: api.RollbackRequest{Service: "web", Env: "dev", Reason: "errors"}, right: apitest.Oscar, wrong: apitest.Victor}
		},
		"POST /api/v1/holds/release": func() call {
			b := w.Released("web")
			if _, err := w.Engine.Rollback(sys, "web", "dev", "slipway", "held for the test"); err != nil {
				w.T.Fatal(err)
			}
			return call{path: "/api/v1/holds/release", body: api.HoldReleaseRequest{Service: "web", Digest: b.Digest}, right: apitest.Oscar, wrong: apitest.Victor}
		},
		"POST /api/v1/stops": func() call {
			return call{path: "/api/v1/stops", body: api.StopRequest{Env: "prod", Reason: "incident"}, right: apitest.Oscar, wrong: apitest.Victor}
		},
		"POST /api/v1/stops/lift": func() call {
			if err := w.Engine.StopLine(sys, "dev", "slipway", "test"); err != nil {
				w.T.Fatal(err)
			}
			return call{path: "/api/v1/stops/lift", body: api.StopRequest{Env: "dev"}, right: apitest.Oscar, wrong: apitest.Victor}
		},
		"POST /api/v1/pulls/{number}/merge": func() call {
			return call{path: "/api/v1/pulls/" + strconv.Itoa(w.ReviewOpen("web").PR) + "/merge", right: apitest.Alice, wrong: apitest.Victor}
		},
		"GET /api/v1/tokens": func() call { return call{path: "/api/v1/tokens", right: apitest.Victor} },
		"POST /api/v1/tokens": func() call {
			return call{path: "/api/v1/tokens", body: api.TokenRequest{Name: "second laptop"}, right: apitest.Victor}
		},
		"DELETE /api/v1/tokens/{id}": func() call {
			var nt api.NewToken
			w.Do("POST", "/api/v1/tokens", w.Token(apitest.Victor), api.TokenRequest{Name: "to revoke"}).JSON(w.T, &nt)
			return call{path: "/api/v1/tokens/" + nt.Token.ID, right: apitest.Victor}
		},
		"POST /auth/logout": func() call { return call{path: "/auth/logout", right: apitest.Victor} },
	}
}

// publicRoutes need no credentials; each has its own tests (login, OIDC,
// webhooks). Anything else that answers without credentials is a hole.
var publicRoutes = []string{
	"GET /api/v1/openapi.json", "GET /auth/oidc/callback", "GET /auth/oidc/login",
	"POST /auth/login", "POST /auth/token", "POST /hooks/build", "POST /hooks/forge/{forge}",
}

// TestWalkEveryRoute walks every operation of the OpenAPI document with no
// token (401), the wrong token (403: a viewer for a change, a CI token for
// a read) and a token of the right role (2xx, the body valid against the
// document's schema).
func TestWalkEveryRoute(t *testing.T) {
	w := apitest.New(t, apitest.Options{})
	doc := loadDoc(t, w)
	cases := walkCases(w)
	ciToken := w.CIToken("api")
	token := func(user string) string {
		if user == ci {
			return ciToken
		}
		return w.Token(user)
	}
	var public []string
	var ops []string
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			key := method + " " + path
			if op.Security != nil && len(*op.Security) == 0 {
				public = append(public, key)
				continue
			}
			ops = append(ops, key)
			if cases[key] == nil {
				t.Errorf("%s is in the document but the walk has no case for it", key)
			}
		}
	}
	sort.Strings(public)
	if strings.Join(public, ",") != strings.Join(publicRoutes, ",") {
		t.Errorf("public routes %v, want exactly %v", public, publicRoutes)
	}
	sort.Strings(ops)
	for _, key := range ops {
		prepare := cases[key]
		if prepare == nil {
			continue
		}
		method := strings.SplitN(key, " ", 2)[0]
		c := prepare()
		if r := w.Do(method, c.path, "", c.body); r.Status != http.StatusUnauthorized || r.Code() != api.CodeUnauthenticated {
			t.Errorf("%s without a token: %d %s", key, r.Status, r.Body)
		}
		if c.wrong != "" {
			if r := w.Do(method, c.path, token(c.wrong), c.body); r.Status != http.StatusForbidden || r.Code() != slipway.EFORBIDDEN {
				t.Errorf("%s as %s: %d %s", key, c.wrong, r.Status, r.Body)
			}
		}
		r := w.Do(method, c.path, token(c.right), c.body)
		if r.Status/100 != 2 {
			t.Errorf("%s as %s: %d %s", key, c.right, r.Status, r.Body)
			continue
		}
		checkSchema(t, doc, key, r)
	}
}

// checkSchema validates an answer against the document's schema for it.
func checkSchema(t *testing.T, doc *openapi3.T, key string, r apitest.Response) {
	t.Helper()
	method, path, _ := strings.Cut(key, " ")
	op := doc.Paths.Find(path).GetOperation(method)
	resp := op.Responses.Status(r.Status)
	if resp == nil || resp.Value.Content["application/json"] == nil {
		t.Errorf("%s answered %d, which the document does not describe", key, r.Status)
		return
	}
	var v any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Errorf("%s: not JSON: %v", key, err)
		return
	}
	if err := resp.Value.Content["application/json"].Schema.Value.VisitJSON(v); err != nil {
		t.Errorf("%s: the answer does not match the document's schema: %v\n%s", key, err, r.Body)
	}
}
