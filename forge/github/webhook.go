package github

import (
	"encoding/json"
	"net/http"

	gh "github.com/google/go-github/v93/github"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/forge"
)

// ParseWebhook verifies a delivery's X-Hub-Signature-256 (the hex
// HMAC-SHA256 of the raw body under the webhook secret) before reading a
// byte of it, then decodes pull_request and pull_request_review events of
// the configured repository. Other events and repositories are (nil, nil).
func (f *Forge) ParseWebhook(r *http.Request, body []byte) (*slipway.ForgeEvent, error) {
	if err := forge.CheckHMAC(forge.GitHub, f.secret, r, body, "X-Hub-Signature-256", "sha256=", "Settings > Webhooks"); err != nil {
		return nil, err
	}
	ev := &slipway.ForgeEvent{Forge: forge.GitHub, Delivery: r.Header.Get("X-GitHub-Delivery")}
	switch r.Header.Get("X-GitHub-Event") {
	case "pull_request":
		var e gh.PullRequestEvent
		if err := json.Unmarshal(body, &e); err != nil {
			return nil, slipway.Errorf(slipway.EINVALID, "github webhook: pull_request payload: %v", err)
		}
		if !forge.SameRepo(f.slug(), e.GetRepo().GetFullName()) {
			return nil, nil
		}
		p := e.GetPullRequest()
		switch e.GetAction() {
		case "opened", "reopened":
			ev.Kind = "opened"
		case "synchronize":
			ev.Kind = "synchronized"
		case "closed":
			ev.Kind = "closed"
			if p.GetMerged() {
				ev.Kind, ev.MergeSHA = "merged", p.GetMergeCommitSHA()
			}
		default:
			return nil, nil
		}
		ev.Number, ev.Branch, ev.HeadSHA, ev.Actor = p.GetNumber(), p.GetHead().GetRef(), p.GetHead().GetSHA(), e.GetSender().GetLogin()
		return numbered(ev)
	case "pull_request_review":
		var e gh.PullRequestReviewEvent
		if err := json.Unmarshal(body, &e); err != nil {
			return nil, slipway.Errorf(slipway.EINVALID, "github webhook: pull_request_review payload: %v", err)
		}
		if !forge.SameRepo(f.slug(), e.GetRepo().GetFullName()) {
			return nil, nil
		}
		rv, p := e.GetReview(), e.GetPullRequest()
		state := reviewState(rv.GetState())
		if e.GetAction() == "dismissed" {
			state = "dismissed"
		}
		if state == "" || (e.GetAction() != "submitted" && e.GetAction() != "dismissed") {
			return nil, nil
		}
		ev.Kind, ev.Number, ev.Branch, ev.HeadSHA, ev.Actor = "reviewed", p.GetNumber(), p.GetHead().GetRef(), p.GetHead().GetSHA(), e.GetSender().GetLogin()
		ev.Review = &slipway.Review{User: rv.GetUser().GetLogin(), State: state, CommitSHA: rv.GetCommitID(), Body: rv.GetBody(), At: rv.GetSubmittedAt().Time}
		return numbered(ev)
	}
	return nil, nil
}

// numbered refuses an event that names no pull request.
func numbered(ev *slipway.ForgeEvent) (*slipway.ForgeEvent, error) {
	if ev.Number <= 0 {
		return nil, slipway.Errorf(slipway.EINVALID, "github webhook: %s event without a pull request number", ev.Kind)
	}
	return ev, nil
}
