package gitea

import (
	"encoding/json"
	"net/http"

	gt "code.gitea.io/sdk/gitea"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/forge"
)

// payload is Gitea's PullRequestPayload (modules/structs/hook.go), the
// body of pull_request and pull_request_{approved,rejected,comment}
// deliveries.
type payload struct {
	Action      string          `json:"action"`
	Number      int64           `json:"number"`
	PullRequest *gt.PullRequest `json:"pull_request"`
	Repository  *gt.Repository  `json:"repository"`
	Sender      *gt.User        `json:"sender"`
	CommitID    string          `json:"commit_id"`
	Review      *struct {
		Type    string `json:"type"`
		Content string `json:"content"`
	} `json:"review"`
}

// reviewEvents maps the X-Gitea-Event of a review delivery to the state.
var reviewEvents = map[string]string{
	"pull_request_approved": "approved",
	"pull_request_rejected": "changes_requested",
	"pull_request_comment":  "commented",
}

// ParseWebhook verifies X-Gitea-Signature (the hex HMAC-SHA256 of the raw
// body under the webhook secret; Forgejo sends it too) before reading the
// body, then decodes pull request and review events of the configured
// repository. Other events and repositories are (nil, nil).
func (f *Forge) ParseWebhook(r *http.Request, body []byte) (*slipway.ForgeEvent, error) {
	if err := forge.CheckHMAC(forge.Gitea, f.secret, r, body, "X-Gitea-Signature", "", "Settings > Webhooks: Secret"); err != nil {
		return nil, err
	}
	event := r.Header.Get("X-Gitea-Event")
	reviewState, isReview := reviewEvents[event]
	if event != "pull_request" && !isReview {
		return nil, nil
	}
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, slipway.Errorf(slipway.EINVALID, "gitea webhook: %s payload: %v", event, err)
	}
	if p.Repository == nil || !forge.SameRepo(f.slug(), p.Repository.FullName) {
		return nil, nil
	}
	if p.PullRequest == nil || p.PullRequest.Index <= 0 {
		return nil, slipway.Errorf(slipway.EINVALID, "gitea webhook: %s event without a pull request", event)
	}
	pr := convert(p.PullRequest)
	ev := &slipway.ForgeEvent{Forge: forge.Gitea, Delivery: r.Header.Get("X-Gitea-Delivery"), Number: pr.Number, Branch: pr.Branch, HeadSHA: pr.HeadSHA}
	if p.Sender != nil {
		ev.Actor = p.Sender.UserName
	}
	if isReview {
		sha := p.CommitID
		if sha == "" {
			sha = pr.HeadSHA // Gitea records a review at the head it was given on
		}
		ev.Kind = "reviewed"
		ev.Review = &slipway.Review{User: ev.Actor, State: reviewState, CommitSHA: sha, At: f.now()}
		if p.Review != nil {
			ev.Review.Body = p.Review.Content
		}
		return ev, nil
	}
	switch p.Action {
	case "opened", "reopened":
		ev.Kind = "opened"
	case "synchronized":
		ev.Kind = "synchronized"
	case "closed":
		ev.Kind = "closed"
		if pr.State == slipway.PRMerged {
			ev.Kind, ev.MergeSHA = "merged", pr.MergeSHA
		}
	default:
		return nil, nil
	}
	return ev, nil
}
