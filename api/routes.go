package api

import (
	"net/http"

	"github.com/slipway/slipway/auth"
	"github.com/slipway/slipway/engine"
)

// Common query parameters.
var (
	pCursor  = param{"cursor", "the next value of the previous page", "string"}
	pLimit   = param{"limit", "items per page (default 50, at most 500)", "integer"}
	pService = param{"service", "only this service", "string"}
	pEnv     = param{"env", "only this environment", "string"}
)

// table is every route: the mux registers these and the OpenAPI document
// describes these, so the two cannot drift.
func (s *Server) table() []route {
	const v1 = "/api/v1"
	return []route{
		// The document itself and the caller.
		{method: "GET", path: v1 + "/openapi.json", summary: "This OpenAPI 3 document", access: public, resp: map[string]any{}, handle: plain(s.openapi)},
		{method: "GET", path: v1 + "/me", summary: "Who the caller is and what they may do", access: anyone, resp: Me{}, handle: plain(s.me)},

		// Reads.
		{method: "GET", path: v1 + "/services", summary: "Services and what runs in each environment (the environment matrix)", access: reader, snapshot: true, query: []param{pCursor, pLimit}, resp: Page[Service]{}, handle: plain(s.services)},
		{method: "GET", path: v1 + "/services/{service}", summary: "One service and what runs in each environment", access: reader, snapshot: true, resp: Service{}, handle: plain(s.service)},
		{method: "GET", path: v1 + "/builds", summary: "Builds, newest first", access: reader, query: []param{pService, pCursor, pLimit}, resp: Page[Build]{}, handle: plain(s.builds)},
		{method: "GET", path: v1 + "/builds/{id}", summary: "One build", access: reader, resp: Build{}, handle: plain(s.build)},
		{method: "GET", path: v1 + "/releases", summary: "Releases, newest first", access: reader, query: []param{pService, pCursor, pLimit}, resp: Page[Release]{}, handle: plain(s.releases)},
		{method: "GET", path: v1 + "/promotions", summary: "Promotions, newest first", access: reader,
			query: []param{pService, pEnv, {"state", "only promotions in this state", "string"}, {"active", "only promotions with work left", "boolean"}, pCursor, pLimit},
			resp:  Page[Promotion]{}, handle: plain(s.promotions)},
		{method: "GET", path: v1 + "/promotions/{id}", summary: "A promotion with its history, approvals, canary progress and audit entries", access: reader, snapshot: true, resp: PromotionDetail{}, handle: plain(s.promotion)},
		{method: "GET", path: v1 + "/promotions/{id}/gates", summary: "Every gate of a waiting promotion: pass, wait or fail, why, and when it can change", access: reader, snapshot: true, resp: engine.GateReport{}, handle: plain(s.gates)},
		{method: "GET", path: v1 + "/promotions/{id}/approvals", summary: "Approvals and rejections of a promotion", access: reader, snapshot: true, resp: []Approval{}, handle: plain(s.approvals)},
		{method: "GET", path: v1 + "/promotions/{id}/analysis", summary: "Analysis runs of a promotion's canary, with every measurement", access: reader, snapshot: true, resp: []AnalysisRun{}, handle: plain(s.analysis)},
		{method: "GET", path: v1 + "/why", summary: "The gates of the next promotion of a service into an environment (slipway why)", access: reader, snapshot: true,
			query: []param{{"service", "the service (required)", "string"}, {"env", "the target environment (required)", "string"}}, resp: engine.GateReport{}, handle: plain(s.why)},
		{method: "GET", path: v1 + "/verifications", summary: "Verification results of a digest in an environment", access: reader,
			query: []param{{"service", "required", "string"}, {"env", "required", "string"}, {"digest", "required", "string"}}, resp: []Verification{}, handle: plain(s.verifications)},
		{method: "GET", path: v1 + "/holds", summary: "Held digests", access: reader, query: []param{pService, {"all", "include released holds", "boolean"}}, resp: []Hold{}, handle: plain(s.holds)},
		{method: "GET", path: v1 + "/stops", summary: "Stop-the-line switches that are on", access: reader, resp: []Stop{}, handle: plain(s.stops)},
		{method: "GET", path: v1 + "/windows", summary: "What each environment's sync windows decide now for a service: frozen or open, and when that changes", access: reader,
			query: []param{{"service", "the service whose application the windows match (default: the first)", "string"}}, resp: []Windows{}, handle: plain(s.windows)},
		{method: "GET", path: v1 + "/audit", summary: "The audit log, newest first", access: reader, query: []param{pCursor, pLimit}, resp: Page[AuditEntry]{}, handle: plain(s.audit)},
		{method: "GET", path: v1 + "/audit/verify", summary: "Recompute the audit hash chain", access: reader, resp: AuditVerdict{}, handle: plain(s.auditVerify)},
		{method: "GET", path: v1 + "/notifications", summary: "The notification outbox, newest first", access: reader, query: []param{pLimit}, resp: []Notification{}, handle: plain(s.notifications)},

		// Changes: the engine checks the permission.
		{method: "POST", path: v1 + "/builds", summary: "Register a build: verify the image's signature and record it (slipway build register)", access: changer, perm: auth.RegisterBuild, resp: BuildResult{}, status: http.StatusCreated, handle: typed[BuildRequest](s.register)},
		{method: "POST", path: v1 + "/releases", summary: "Tag the next version on a build (slipway release)", access: changer, perm: auth.Release, resp: Release{}, status: http.StatusCreated, handle: typed[ReleaseRequest](s.release)},
		{method: "POST", path: v1 + "/promotions", summary: "Ask for a promotion (slipway promote); expedite needs the expedite permission", access: changer, perm: auth.Promote, resp: Promotion{}, status: http.StatusCreated, handle: typed[PromoteRequest](s.promote)},
		{method: "POST", path: v1 + "/promotions/{id}/approve", summary: "Approve a waiting promotion (never one's own change)", access: changer, perm: auth.Approve, resp: Promotion{}, handle: typed[DecisionRequest](s.decide(true))},
		{method: "POST", path: v1 + "/promotions/{id}/reject", summary: "Reject a waiting promotion", access: changer, perm: auth.Approve, resp: Promotion{}, handle: typed[DecisionRequest](s.decide(false))},
		{method: "POST", path: v1 + "/promotions/{id}/override", summary: "Break glass: let a waiting promotion through its windows and stops (audited)", access: changer, perm: auth.Override, resp: Promotion{}, handle: typed[ReasonRequest](s.override)},
		{method: "POST", path: v1 + "/promotions/{id}/canary", summary: "Promote or abort a paused canary", access: changer, perm: auth.CanaryDecide, resp: Promotion{}, handle: typed[CanaryRequest](s.canary)},
		{method: "POST", path: v1 + "/verifications", summary: "Report a verification result (slipway verify report)", access: changer, perm: auth.Verify, resp: Verification{}, status: http.StatusCreated, handle: typed[VerificationRequest](s.reportVerification)},
		{method: "POST", path: v1 + "/checks", summary: "Run a check defined under the environment's checks: and record its verdict (slipway verify run)", access: changer, perm: auth.Verify, resp: Verification{}, handle: typed[CheckRequest](s.runCheck)},
		{method: "POST", path: v1 + "/rollbacks", summary: "Revert what runs in an environment and hold its digest (slipway rollback)", access: changer, perm: auth.Rollback, resp: Promotion{}, handle: typed[RollbackRequest](s.rollback)},
		{method: "POST", path: v1 + "/holds/release", summary: "Lift the hold on a digest (slipway hold release)", access: changer, perm: auth.HoldRelease, resp: Done{}, handle: typed[HoldReleaseRequest](s.releaseHold)},
		{method: "POST", path: v1 + "/stops", summary: "Stop the line in an environment or everywhere (slipway stop on)", access: changer, perm: auth.Stop, resp: Done{}, handle: typed[StopRequest](s.stopSwitch(true))},
		{method: "POST", path: v1 + "/stops/lift", summary: "Lift a stop switch (slipway stop lift)", access: changer, perm: auth.Stop, resp: Done{}, handle: typed[StopRequest](s.stopSwitch(false))},
		{method: "POST", path: v1 + "/pulls/{number}/merge", summary: "Merge a promotion's pull request (slipway pr merge)", access: changer, perm: auth.Merge, resp: Done{}, handle: plain(s.merge)},

		// Tokens.
		{method: "GET", path: v1 + "/tokens", summary: "One's own API tokens (everyone's with admin)", access: anyone, resp: []Token{}, handle: plain(s.tokens)},
		{method: "POST", path: v1 + "/tokens", summary: "Create an API token; its secret is in the answer, once", access: anyone, resp: NewToken{}, status: http.StatusCreated, handle: typed[TokenRequest](s.createToken)},
		{method: "DELETE", path: v1 + "/tokens/{id}", summary: "Revoke an API token (one's own, or anyone's with admin)", access: anyone, resp: Done{}, handle: plain(s.revokeToken)},

		// Login.
		{method: "POST", path: "/auth/login", summary: "Log in with a password: sets the session cookie (rate-limited)", access: public, resp: Session{}, handle: raw[LoginRequest](s.login)},
		{method: "POST", path: "/auth/logout", summary: "End the session", access: anyone, resp: Done{}, handle: plain(s.logout)},
		{method: "POST", path: "/auth/token", summary: "Exchange a password for a personal API token (slipway login; rate-limited)", access: public, resp: NewToken{}, status: http.StatusCreated, handle: typed[CLITokenRequest](s.cliToken)},
		{method: "GET", path: "/auth/oidc/login", summary: "Start an OIDC login (redirects to the identity provider)", access: public, query: []param{{"next", "local path to return to", "string"}}, resp: Done{}, status: http.StatusSeeOther, handle: plain(s.oidcLogin)},
		{method: "GET", path: "/auth/oidc/callback", summary: "The identity provider's redirect back: sets the session cookie", access: public, query: []param{{"code", "", "string"}, {"state", "", "string"}}, resp: Done{}, status: http.StatusSeeOther, handle: plain(s.oidcCallback)},

		// Webhooks: each verifies its own signature.
		{method: "POST", path: "/hooks/build", summary: "CI's build event, signed: X-Slipway-Timestamp, X-Slipway-Signature (HMAC-SHA256 over timestamp.body), X-Slipway-Delivery", access: public, resp: BuildResult{}, status: http.StatusCreated, handle: raw[BuildRequest](s.buildHook)},
		{method: "POST", path: "/hooks/forge/{forge}", summary: "A forge's pull-request webhook (verified with the forge's own scheme); advances the promotion it names", access: public, resp: Accepted{}, status: http.StatusAccepted, handle: plain(s.forgeHook)},
	}
}
