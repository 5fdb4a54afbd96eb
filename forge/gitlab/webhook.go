package gitlab

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/forge"
)

// signingPrefix marks a GitLab webhook signing token (Standard Webhooks:
// "whsec_" and the base64 of a 32-byte key).
const signingPrefix = "whsec_"

// signatureTolerance is how far webhook-timestamp may be from now, as the
// Standard Webhooks specification recommends.
const signatureTolerance = 5 * time.Minute

// ParseWebhook verifies a delivery with the scheme the configured secret
// implies, then decodes Merge Request Hook events of the configured
// project. A secret starting with whsec_ is a signing token: the delivery
// must carry webhook-id, webhook-timestamp and a webhook-signature that is
// the HMAC-SHA256 of "id.timestamp.body" (GitLab's signing tokens follow
// the Standard Webhooks specification); a token-only delivery is refused,
// so a leaked-in-transit X-Gitlab-Token cannot downgrade it. Any other
// secret is the webhook's secret token, compared with X-Gitlab-Token in
// constant time.
func (f *Forge) ParseWebhook(r *http.Request, body []byte) (*slipway.ForgeEvent, error) {
	if len(f.secret) == 0 {
		return nil, forge.NoSecret(forge.GitLab)
	}
	if strings.HasPrefix(string(f.secret), signingPrefix) {
		if err := f.verifySignature(r, body); err != nil {
			return nil, err
		}
	} else {
		tok := r.Header.Get("X-Gitlab-Token")
		if tok == "" {
			return nil, forge.Refuse(forge.GitLab, "no X-Gitlab-Token header: set the webhook's Secret token (Settings > Webhooks) to gitops.forge.webhookSecret*")
		}
		// Compare digests, so the comparison takes the same time whatever
		// the lengths.
		a, b := sha256.Sum256([]byte(tok)), sha256.Sum256(f.secret)
		if subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
			return nil, forge.Refuse(forge.GitLab, "X-Gitlab-Token does not match the configured secret")
		}
	}
	if gl.HookEventType(r) != gl.EventTypeMergeRequest {
		return nil, nil
	}
	var e gl.MergeEvent
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, slipway.Errorf(slipway.EINVALID, "gitlab webhook: merge request payload: %v", err)
	}
	if !f.projectMatches(e.Project.PathWithNamespace, e.Project.ID) {
		return nil, nil
	}
	a := e.ObjectAttributes
	ev := &slipway.ForgeEvent{
		Forge: forge.GitLab, Delivery: deliveryID(r), Number: int(a.IID), Branch: a.SourceBranch, HeadSHA: a.LastCommit.ID,
	}
	if e.User != nil {
		ev.Actor = e.User.Username
	}
	switch a.Action {
	case "open", "reopen":
		ev.Kind = "opened"
	case "update":
		if a.OldRev == "" {
			return nil, nil // a title or label edit, not a push
		}
		ev.Kind = "synchronized"
	case "merge":
		ev.Kind, ev.MergeSHA = "merged", a.MergeCommitSHA
		if ev.MergeSHA == "" {
			ev.MergeSHA = a.LastCommit.ID // fast-forward: the head landed as is
		}
	case "close":
		ev.Kind = "closed"
	case "approval", "approved":
		ev.Kind = "reviewed"
		ev.Review = &slipway.Review{User: ev.Actor, State: "approved", CommitSHA: a.LastCommit.ID}
	case "unapproval", "unapproved":
		ev.Kind = "reviewed"
		ev.Review = &slipway.Review{User: ev.Actor, State: "dismissed", CommitSHA: a.LastCommit.ID}
	default:
		return nil, nil
	}
	if ev.Number <= 0 {
		return nil, slipway.Errorf(slipway.EINVALID, "gitlab webhook: %s event without a merge request iid", ev.Kind)
	}
	if ev.Review != nil {
		ev.Review.At = f.now()
	}
	return ev, nil
}

// verifySignature checks a Standard Webhooks signature made with the
// signing token.
func (f *Forge) verifySignature(r *http.Request, body []byte) error {
	id, stamp, sigs := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature")
	if id == "" || stamp == "" || sigs == "" {
		return forge.Refuse(forge.GitLab, "the delivery is not signed (webhook-id, webhook-timestamp, webhook-signature): set the webhook's Signing token to gitops.forge.webhookSecret*")
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(string(f.secret), signingPrefix))
	if err != nil || len(key) == 0 {
		return forge.Refuse(forge.GitLab, "the configured signing token is not whsec_ followed by base64: copy it from the webhook's settings")
	}
	ts, err := strconv.ParseInt(stamp, 10, 64)
	if err != nil {
		return forge.Refuse(forge.GitLab, "webhook-timestamp %q is not a Unix time", stamp)
	}
	if d := f.now().Sub(time.Unix(ts, 0)); d > signatureTolerance || d < -signatureTolerance {
		return forge.Refuse(forge.GitLab, "webhook-timestamp is %s away from now (more than %s): an old delivery replayed, or a clock is wrong", d.Round(time.Second), signatureTolerance)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + stamp + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		v, b64, ok := strings.Cut(s, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return forge.Refuse(forge.GitLab, "webhook-signature does not match the body: the signing token differs from Slipway's, or the delivery was altered")
}

// deliveryID is the delivery's idempotency key: Idempotency-Key (equal to
// webhook-id) on current GitLab, X-Gitlab-Event-UUID before.
func deliveryID(r *http.Request) string {
	for _, h := range []string{"Idempotency-Key", "webhook-id", "X-Gitlab-Event-UUID"} {
		if v := r.Header.Get(h); v != "" {
			return v
		}
	}
	return ""
}
