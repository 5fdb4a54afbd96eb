package api_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/slipway/slipway/api"
	"github.com/slipway/slipway/api/apitest"
)

// A promotion's whole life over the API, as the people of the world: the
// releaser asks, her own approval is refused, an SRE approves, the pull
// request is merged, the paused canary is promoted by the person on call.
func TestPromotionOverTheAPI(t *testing.T) {
	w := apitest.New(t, apitest.Options{})
	b := w.Released("api")
	alice, bob, oscar := w.Token(apitest.Alice), w.Token(apitest.Bob), w.Token(apitest.Oscar)

	r := w.Do("POST", "/api/v1/promotions", alice, api.PromoteRequest{Service: "api", Env: "prod", Build: b.ID})
	if r.Status != http.StatusCreated {
		t.Fatalf("promote: %d %s", r.Status, r.Body)
	}
	var p api.Promotion
	r.JSON(t, &p)
	if p.State != "waiting" || p.Requester != apitest.Alice {
		t.Fatalf("promotion %+v", p)
	}
	r = w.Do("POST", "/api/v1/promotions/"+p.ID+"/approve", alice, nil)
	if r.Status != http.StatusForbidden || r.Code() != "forbidden" || !strings.Contains(string(r.Body), "cannot approve") {
		t.Fatalf("self-approval: %d %s", r.Status, r.Body)
	}
	r = w.Do("POST", "/api/v1/promotions/"+p.ID+"/approve", bob, api.DecisionRequest{Comment: "staging looked fine"})
	r.JSON(t, &p)
	if r.Status != 200 || p.State != "review-open" || p.PR == 0 {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	var gates struct {
		Gates []struct{ Name, State string }
	}
	if r = w.Do("GET", "/api/v1/promotions/"+p.ID+"/gates", bob, nil); r.Status != 200 {
		t.Fatalf("gates: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &gates)
	if len(gates.Gates) == 0 || gates.Gates[0].Name != "approvals" || gates.Gates[0].State != "pass" {
		t.Fatalf("gates %+v", gates)
	}
	if r = w.Do("POST", "/api/v1/pulls/"+strconv.Itoa(p.PR)+"/merge", alice, nil); r.Status != 200 {
		t.Fatalf("merge: %d %s", r.Status, r.Body)
	}
	r = w.Do("GET", "/api/v1/promotions/"+p.ID, bob, nil)
	var d api.PromotionDetail
	r.JSON(t, &d)
	if d.Promotion.State != "paused" || d.Canary == nil || d.Canary.Weight != 50 || len(d.Approvals) != 1 || d.Approvals[0].User != apitest.Bob {
		t.Fatalf("detail %+v", d)
	}
	if r = w.Do("POST", "/api/v1/promotions/"+p.ID+"/canary", alice, api.CanaryRequest{Decision: "promote", Reason: "looks good"}); r.Status != http.StatusForbidden {
		t.Fatalf("a releaser decides a canary: %d %s", r.Status, r.Body)
	}
	if r = w.Do("POST", "/api/v1/promotions/"+p.ID+"/canary", oscar, api.CanaryRequest{Decision: "promote", Reason: "looks good"}); r.Status != 200 {
		t.Fatalf("canary promote: %d %s", r.Status, r.Body)
	}
	r = w.Do("GET", "/api/v1/promotions/"+p.ID, bob, nil)
	r.JSON(t, &d)
	if d.Promotion.State != "succeeded" || len(d.Audit) != 1 || d.Audit[0].Kind != "promoted" || d.Audit[0].Approvers[0] != apitest.Bob {
		t.Fatalf("after the canary %+v", d)
	}
	var svc api.Service
	w.Do("GET", "/api/v1/services/api", bob, nil).JSON(t, &svc)
	if svc.Environments[1].Env != "prod" || svc.Environments[1].Digest != b.Digest || svc.Environments[1].Version != "api/v0.1.0" && svc.Environments[1].Version == "" {
		t.Fatalf("matrix row %+v", svc)
	}
}
