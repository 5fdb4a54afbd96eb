package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/auth"
)

// Webhooks. Each is authenticated by its own signature, refused (and
// logged) when the signature is bad, the timestamp stale or the delivery
// replayed, and acted on once per delivery id.

const (
	maxBuildHook = 64 << 10
	maxForgeHook = 10 << 20
	// forgeDeliveryTTL is how long forge delivery ids are remembered: forges
	// redeliver old events with their original id on request.
	forgeDeliveryTTL = 30 * 24 * time.Hour
)

// buildHook is CI's "a build is ready", signed with the service's key.
func (s *Server) buildHook(r *http.Request) (any, error) {
	body, err := readAll(r, maxBuildHook)
	if err != nil {
		return nil, err
	}
	delivery := r.Header.Get(auth.HeaderDelivery)
	refuse := func(err error) error {
		s.Log.Warn("build hook refused", "delivery", delivery, "remote", clientIP(r), "reason", err)
		return err
	}
	if delivery == "" || len(delivery) > 200 || strings.ContainsFunc(delivery, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
		return nil, refuse(slipway.Errorf(slipway.EINVALID, "%s is required: a unique id per delivery (a UUID), at most 200 printable characters; a retry sends the same id", auth.HeaderDelivery))
	}
	var req BuildRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, refuse(slipway.Errorf(slipway.EINVALID, "build hook body: %v: send {\"service\", \"commit\", \"image\"}", err))
	}
	key, err := s.Engine.Cfg.Hooks.Build.Key(req.Service)
	if err != nil {
		return nil, refuse(fmt.Errorf("build hook key of %s: %w", req.Service, err))
	}
	if key == nil {
		return nil, refuse(slipway.Errorf(slipway.EFORBIDDEN, "POST /hooks/build is off: no key is configured (hooks.build.secretEnv or secretFile in slipway.yaml)"))
	}
	now := s.Now()
	if err := auth.VerifyHook(key, r.Header.Get(auth.HeaderTimestamp), r.Header.Get(auth.HeaderSignature), body, now); err != nil {
		return nil, refuse(auth.Unauthenticated("build hook refused: %v", err))
	}
	deliveries := s.Engine.Store.Deliveries
	if err := deliveries.RecordDelivery(r.Context(), "build", delivery, now); err != nil {
		return nil, refuse(err)
	}
	ci := &slipway.Actor{Name: "hook/build", Kind: slipway.ActorCI, Via: "hmac", Service: req.Service}
	res, err := s.register(r.WithContext(slipway.WithActor(r.Context(), ci)), req)
	if err != nil && retryable(err) {
		// Slipway or the registry failed, not the request: the same
		// delivery may come again.
		deliveries.ForgetDelivery(r.Context(), "build", delivery)
	}
	return res, err
}

// retryable errors are the server's, not the request's.
func retryable(err error) bool {
	status, _ := StatusOf(err)
	return status >= 500
}

// forgeHook is a forge's pull-request event: verified by the forge
// adapter's own scheme, then taken as a hint only — the promotion whose
// pull request it names is advanced, and the engine reads the forge again
// rather than believing the payload.
func (s *Server) forgeHook(r *http.Request) (any, error) {
	name := r.PathValue("forge")
	f := s.Engine.Forge
	parser, ok := f.(slipway.WebhookParser)
	if !ok || f.Name() != name {
		return nil, slipway.Errorf(slipway.ENOTFOUND, "no %s webhook here: the GitOps forge is %s (gitops.forge.type), which receives no webhooks at this path", name, f.Name())
	}
	body, err := readAll(r, maxForgeHook)
	if err != nil {
		return nil, err
	}
	ev, err := parser.ParseWebhook(r, body)
	if err != nil {
		s.Log.Warn("forge webhook refused", "forge", name, "remote", clientIP(r), "reason", err)
		if slipway.ErrorCode(err) == slipway.EFORBIDDEN {
			return nil, auth.Unauthenticated("%v", err)
		}
		return nil, err
	}
	if ev == nil {
		return Accepted{Status: "ignored", Message: "not an event Slipway acts on"}, nil
	}
	now := s.Now()
	if ev.Delivery != "" {
		if err := s.Engine.Store.Deliveries.RecordDelivery(r.Context(), "forge:"+name, ev.Delivery, now); err != nil {
			s.Log.Warn("forge webhook refused", "forge", name, "delivery", ev.Delivery, "remote", clientIP(r), "reason", err)
			return nil, err
		}
	}
	active, err := s.Engine.Store.Promotions.Promotions(r.Context(), slipway.PromotionFilter{Active: true})
	if err != nil {
		return nil, err
	}
	for _, p := range active {
		if p.PR == ev.Number {
			if err := s.Engine.Store.Queue.Enqueue(r.Context(), slipway.WorkAdvance, p.ID, now); err != nil {
				return nil, err
			}
			s.Log.Info("forge webhook", "forge", name, "event", ev.Kind, "pr", ev.Number, "promotion", p.ID)
			return Accepted{Status: "accepted", Message: fmt.Sprintf("promotion %s will be advanced (pull request #%d %s); Slipway reads the forge again", p.ID, ev.Number, ev.Kind)}, nil
		}
	}
	return Accepted{Status: "ignored", Message: fmt.Sprintf("no active promotion has pull request #%d", ev.Number)}, nil
}

func readAll(r *http.Request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > limit {
		return nil, slipway.Errorf(slipway.EINVALID, "the body is larger than %d bytes", limit)
	}
	return body, nil
}

// Housekeep prunes expired sessions and old webhook deliveries, every
// interval, until ctx ends.
func (s *Server) Housekeep(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		now := s.Now()
		st := s.Engine.Store
		if n, err := st.Sessions.PruneSessions(ctx, now); err == nil && n > 0 {
			s.Log.Info("expired sessions pruned", "n", n)
		}
		st.Deliveries.PruneDeliveries(ctx, now.Add(-forgeDeliveryTTL))
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
