// Package notify delivers the notification outbox: the engine writes each
// notice, for each receiver that wants it, into a store table in the same
// breath as the change it announces; a Deliverer posts them — to
// Slack-compatible incoming webhooks as {"text": …}, to generic JSON
// webhooks as the notice itself (signed like the build hook when a key is
// configured) — and retries failures with exponential backoff. A receiver
// that is down delays its own notifications, never a promotion.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/auth"
	"github.com/slipway/slipway/config"
)

// LeaseName is the lease the delivering replica holds, so two replicas
// never post the same notification at once.
const LeaseName = "notify"

// Deliverer posts due notifications. Fill the fields, then Run.
type Deliverer struct {
	Outbox    slipway.OutboxStore
	Leases    slipway.LeaseStore // nil: deliver without a lease (one process)
	Owner     string             // this process in the lease
	Receivers []config.Notification
	Client    *http.Client // nil: a client with a 10s timeout
	Now       func() time.Time
	Log       *slog.Logger
	// MaxAttempts is how many failed deliveries make it give up (default 12:
	// with the default backoff, about a day of trying).
	MaxAttempts int
	// Backoff is the wait after the n-th failure (default: 2^n seconds, at
	// most an hour, with jitter).
	Backoff func(failures int) time.Duration
	// PollEvery is how often the outbox is read (default 1s).
	PollEvery time.Duration
}

func (d *Deliverer) defaults() {
	if d.Client == nil {
		d.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.MaxAttempts <= 0 {
		d.MaxAttempts = 12
	}
	if d.Backoff == nil {
		d.Backoff = Backoff
	}
	if d.PollEvery <= 0 {
		d.PollEvery = time.Second
	}
}

// Backoff is 2^failures seconds, at most an hour, with up to a quarter of
// jitter so receivers coming back are not hit by every retry at once.
func Backoff(failures int) time.Duration {
	d := min(time.Second<<min(failures, 12), time.Hour)
	return d - time.Duration(rand.Int64N(int64(d/4)+1))
}

// Run delivers until ctx ends, while this process holds the lease.
func (d *Deliverer) Run(ctx context.Context) error {
	d.defaults()
	ttl := max(15*time.Second, 3*d.PollEvery)
	for ctx.Err() == nil {
		if d.Leases != nil {
			if _, err := d.Leases.Acquire(ctx, LeaseName, d.Owner, ttl); err != nil {
				sleep(ctx, ttl/3)
				continue
			}
		}
		if _, err := d.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			d.Log.Warn("notification outbox", "err", err)
		}
		sleep(ctx, d.PollEvery)
	}
	if d.Leases != nil {
		d.Leases.Release(context.WithoutCancel(ctx), LeaseName, d.Owner)
	}
	return nil
}

// DeliverDue makes one pass over the due notifications and returns how
// many were delivered.
func (d *Deliverer) DeliverDue(ctx context.Context) (int, error) {
	d.defaults()
	due, err := d.Outbox.DueNotifications(ctx, d.Now(), 50)
	if err != nil {
		return 0, err
	}
	delivered := 0
	for _, n := range due {
		if ctx.Err() != nil {
			break
		}
		err := d.send(ctx, n)
		now := d.Now()
		if err == nil {
			delivered++
			if err := d.Outbox.MarkDelivered(ctx, n.ID, now); err != nil {
				return delivered, err
			}
			d.Log.Info("notification delivered", "receiver", n.Receiver, "event", n.Notice.Event, "id", n.ID)
			continue
		}
		giveUp := n.Attempts+1 >= d.MaxAttempts || isPermanent(err)
		next := now.Add(d.Backoff(n.Attempts + 1))
		var ra *retryAfter
		if errors.As(err, &ra) && ra.wait > 0 {
			next = now.Add(min(ra.wait, time.Hour))
		}
		d.Log.Warn("notification not delivered", "receiver", n.Receiver, "event", n.Notice.Event, "id", n.ID, "attempt", n.Attempts+1, "giving_up", giveUp, "retry_at", next, "err", err)
		if err := d.Outbox.RetryNotification(ctx, n.ID, next, err.Error(), giveUp, now); err != nil {
			return delivered, err
		}
	}
	return delivered, nil
}

// send posts one notification to its receiver.
func (d *Deliverer) send(ctx context.Context, n slipway.Notification) error {
	r := d.receiver(n.Receiver)
	if r == nil {
		return permanent(fmt.Errorf("receiver %q is no longer in slipway.yaml's notifications", n.Receiver))
	}
	endpoint, err := r.Endpoint()
	if err != nil {
		return fmt.Errorf("receiver %s: %w", r.Name, err)
	}
	body, err := Payload(r.Type, n)
	if err != nil {
		return permanent(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return permanent(fmt.Errorf("receiver %s: %w", r.Name, err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Slipway-Notify/1")
	req.Header.Set("X-Slipway-Event", n.Notice.Event)
	req.Header.Set(auth.HeaderDelivery, fmt.Sprintf("%s-%d", r.Name, n.ID))
	if r.Type == "webhook" && (r.SecretEnv != "" || r.SecretFile != "") {
		key, err := config.ReadSecret(r.SecretEnv, r.SecretFile)
		if err != nil {
			return fmt.Errorf("receiver %s: signing key: %w", r.Name, err)
		}
		ts := d.Now().Unix()
		req.Header.Set(auth.HeaderTimestamp, strconv.FormatInt(ts, 10))
		req.Header.Set(auth.HeaderSignature, auth.SignHook(key, ts, body))
	}
	resp, err := d.Client.Do(req)
	if err != nil {
		return fmt.Errorf("receiver %s: %w", r.Name, err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	err = fmt.Errorf("receiver %s answered %s: %s", r.Name, resp.Status, strings.TrimSpace(string(snippet)))
	if resp.StatusCode == http.StatusTooManyRequests {
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return &retryAfter{err: err, wait: time.Duration(secs) * time.Second}
	}
	return err
}

func (d *Deliverer) receiver(name string) *config.Notification {
	for i := range d.Receivers {
		if d.Receivers[i].Name == name {
			return &d.Receivers[i]
		}
	}
	return nil
}

// Payload is the body a receiver of type kind gets.
func Payload(kind string, n slipway.Notification) ([]byte, error) {
	switch kind {
	case "slack":
		return json.Marshal(map[string]string{"text": SlackText(n.Notice)})
	case "webhook":
		return json.Marshal(struct {
			ID string `json:"id"`
			slipway.Notice
		}{fmt.Sprintf("%s-%d", n.Receiver, n.ID), n.Notice})
	}
	return nil, fmt.Errorf("receiver %s: unknown type %q", n.Receiver, kind)
}

// SlackText is a notice in Slack's mrkdwn: an emoji, the event and the
// environment in bold, the message; &, < and > escaped as Slack requires
// (so text from a commit message cannot become a link or a mention).
func SlackText(x slipway.Notice) string {
	icon := map[string]string{
		slipway.NoticeApprovalNeeded: ":raising_hand:", slipway.NoticeFrozen: ":snowflake:",
		slipway.NoticeCanaryAborted: ":rotating_light:", slipway.NoticeCanaryPaused: ":pause_button:",
		slipway.NoticeRollback: ":rewind:", slipway.NoticeBreakGlass: ":fire_extinguisher:",
		slipway.NoticeFailed: ":x:", slipway.NoticeStop: ":octagonal_sign:", slipway.NoticeRestart: ":arrow_forward:",
		slipway.NoticeHoldReleased: ":unlock:",
	}[x.Event]
	head := x.Event
	if x.Env != "" {
		head += " in " + x.Env
	}
	return strings.TrimSpace(icon + " *" + slackEscape(head) + "*: " + slackEscape(x.Message))
}

func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// permanentError is a failure retrying cannot fix.
type permanentError struct{ error }

func permanent(err error) error { return &permanentError{err} }

func isPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// retryAfter is a 429 with the receiver's Retry-After.
type retryAfter struct {
	err  error
	wait time.Duration
}

func (r *retryAfter) Error() string { return r.err.Error() }

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
