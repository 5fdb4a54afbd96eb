package engine

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/window"
)

// Gate states.
const (
	GatePass = "pass"
	GateWait = "wait"
	GateFail = "fail"
)

// GateResult is one gate's verdict, in words a person on call can act on.
type GateResult struct {
	Name       string     `json:"name"`
	State      string     `json:"state"`
	Reason     string     `json:"reason"`
	Since      *time.Time `json:"since,omitempty"`
	NextChange *time.Time `json:"nextChange"`
}

// GateReport is every gate of one promotion (or of the next candidate).
type GateReport struct {
	Service     string       `json:"service"`
	Env         string       `json:"env"`
	PromotionID string       `json:"promotion,omitempty"`
	Digest      string       `json:"digest,omitempty"`
	Release     string       `json:"release,omitempty"`
	Open        bool         `json:"open"`
	Gates       []GateResult `json:"gates"`
}

// NextChange is the earliest instant a time-driven gate that holds the
// promotion changes (a window opens, a soak ends), or nil.
func (r *GateReport) NextChange() *time.Time {
	var best *time.Time
	for _, g := range r.Gates {
		if g.State != GatePass && g.NextChange != nil && (best == nil || g.NextChange.Before(*best)) {
			best = g.NextChange
		}
	}
	return best
}

// WindowClosed reports whether the sync-window gate holds the promotion.
func (r *GateReport) WindowClosed() bool {
	for _, g := range r.Gates {
		if g.Name == "window" && g.State != GatePass {
			return true
		}
	}
	return false
}

// Summary joins the reasons of the gates that hold the promotion.
func (r *GateReport) Summary() string {
	var parts []string
	for _, g := range r.Gates {
		if g.State != GatePass {
			parts = append(parts, g.Name+": "+g.Reason)
		}
	}
	if len(parts) == 0 {
		return "all gates pass"
	}
	return strings.Join(parts, "; ")
}

// Text renders the report for `slipway why`: one line per gate.
func (r *GateReport) Text() string {
	var b strings.Builder
	what := r.Release
	if what == "" && r.Digest != "" {
		what = slipway.Digest12(r.Digest)
	}
	verdict := "BLOCKED"
	if r.Open {
		verdict = "OPEN"
	}
	fmt.Fprintf(&b, "%s %s -> %s: %s", r.Service, what, r.Env, verdict)
	if r.PromotionID != "" {
		fmt.Fprintf(&b, " (promotion %s)", r.PromotionID)
	}
	b.WriteString("\n")
	for _, g := range r.Gates {
		fmt.Fprintf(&b, "  %-4s  %-13s %s", g.State, g.Name, g.Reason)
		if g.NextChange != nil && g.State != GatePass {
			fmt.Fprintf(&b, " (next change %s)", g.NextChange.UTC().Format("2006-01-02T15:04Z"))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Why explains the gates of the waiting promotion of service into env, or of
// the build that would be promoted next (the one running in the previous
// environment) when none is waiting.
func (e *Engine) Why(ctx context.Context, service, env string) (*GateReport, error) {
	if _, err := e.Cfg.Service(service); err != nil {
		return nil, invalid("%v", err)
	}
	if _, _, err := e.Cfg.Environment(env); err != nil {
		return nil, invalid("%v", err)
	}
	active, err := e.Store.Promotions(ctx, sqliteFilter(service, env, true))
	if err != nil {
		return nil, err
	}
	if len(active) > 0 {
		return e.evaluateGates(ctx, active[len(active)-1])
	}
	prev := e.Cfg.Previous(env)
	if prev == nil {
		return nil, slipway.Errorf(slipway.ENOTFOUND, "no promotion of %s to %s is waiting, and %s is the first environment: register a build", service, env, env)
	}
	cur, err := e.Store.Current(ctx, service, prev.Name)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, slipway.Errorf(slipway.ENOTFOUND, "nothing to promote to %s: no build of %s has succeeded in %s yet", env, service, prev.Name)
	}
	candidate := *cur
	candidate.ID, candidate.Env, candidate.Requester = "", env, ""
	return e.evaluateGates(ctx, &candidate)
}

// evaluateGates decides every gate of p now: hold, approvals, verifications,
// soak, sync window. It reads the store and the configuration; it changes nothing.
func (e *Engine) evaluateGates(ctx context.Context, p *slipway.Promotion) (*GateReport, error) {
	env, _, err := e.Cfg.Environment(p.Env)
	if err != nil {
		return nil, invalid("%v", err)
	}
	now := e.Now()
	rep := &GateReport{Service: p.Service, Env: p.Env, PromotionID: p.ID, Digest: p.Digest, Release: p.Release}
	add := func(g GateResult) { rep.Gates = append(rep.Gates, g) }

	if h, err := e.Store.ActiveHold(ctx, p.Service, p.Digest); err != nil {
		return nil, err
	} else if h != nil {
		add(GateResult{Name: "hold", State: GateFail, Reason: "digest held: " + h.Reason, Since: &h.Created})
	}
	if g, err := e.approvalGate(ctx, env, p, now); err != nil {
		return nil, err
	} else if g != nil {
		add(*g)
	}
	prev := e.Cfg.Previous(p.Env)
	if prev != nil {
		vs, err := e.verificationGates(ctx, env, prev, p)
		if err != nil {
			return nil, err
		}
		rep.Gates = append(rep.Gates, vs...)
		if g, err := e.soakGate(ctx, env, prev, p, now); err != nil {
			return nil, err
		} else if g != nil {
			add(*g)
		}
	}
	if g, err := e.windowGate(env, p, now); err != nil {
		return nil, err
	} else if g != nil {
		add(*g)
	}
	rep.Open = true
	for _, g := range rep.Gates {
		if g.State != GatePass {
			rep.Open = false
		}
	}
	return rep, nil
}

func (e *Engine) approvalGate(ctx context.Context, env *config.Environment, p *slipway.Promotion, now time.Time) (*GateResult, error) {
	rule := env.Gates.Approvals
	if rule.Required == 0 {
		return nil, nil
	}
	g := &GateResult{Name: "approvals"}
	var decisions []slipway.Approval
	if p.ID != "" {
		var err error
		if decisions, err = e.Store.Approvals(ctx, p.ID); err != nil {
			return nil, err
		}
	}
	authors, err := e.releaseAuthors(ctx, p)
	if err != nil {
		return nil, err
	}
	counted := map[string]bool{}
	var names []string
	var expiry *time.Time
	for _, a := range decisions {
		if a.Digest != p.Digest || counted[strings.ToLower(a.User)] {
			continue // bound to another digest, or a second decision by the same person
		}
		if rule.ExpiresAfter.Duration > 0 && !now.Before(a.At.Add(rule.ExpiresAfter.Duration)) {
			continue // expired
		}
		if !rule.AllowSelfApproval && (same(a.User, p.Requester) || anySame(a.User, authors)) {
			continue
		}
		if len(rule.Groups) > 0 && !e.Cfg.InGroup(a.User, rule.Groups) {
			continue
		}
		if !a.Approve {
			g.State, g.Reason, g.Since = GateFail, fmt.Sprintf("rejected by %s: %s", a.User, a.Comment), &a.At
			return g, nil
		}
		counted[strings.ToLower(a.User)] = true
		names = append(names, a.User)
		if rule.ExpiresAfter.Duration > 0 {
			t := a.At.Add(rule.ExpiresAfter.Duration)
			if expiry == nil || t.Before(*expiry) {
				expiry = &t
			}
		}
	}
	if len(names) >= rule.Required {
		g.State, g.Reason, g.NextChange = GatePass, fmt.Sprintf("%d/%d: %s", len(names), rule.Required, strings.Join(names, ", ")), expiry
		return g, nil
	}
	from := ""
	if len(rule.Groups) > 0 {
		from = " from group " + strings.Join(rule.Groups, " or ")
	}
	missing := rule.Required - len(names)
	plural := "approval"
	if missing > 1 {
		plural = "approvals"
	}
	g.State, g.Reason = GateWait, fmt.Sprintf("needs %d more %s%s (%d/%d)", missing, plural, from, len(names), rule.Required)
	if p.ID != "" {
		g.Reason += "; `slipway approve --promotion " + p.ID + "`"
	}
	return g, nil
}

func anySame(user string, ids []string) bool {
	for _, id := range ids {
		if same(user, id) {
			return true
		}
	}
	return false
}

func (e *Engine) verificationGates(ctx context.Context, env, prev *config.Environment, p *slipway.Promotion) ([]GateResult, error) {
	if len(env.Gates.Verifications) == 0 {
		return nil, nil
	}
	if p.Expedited != "" {
		return []GateResult{{Name: "verifications", State: GatePass, Reason: "skipped for an expedited promotion: " + p.Expedited}}, nil
	}
	results, err := e.Store.Verifications(ctx, p.Service, prev.Name, p.Digest)
	if err != nil {
		return nil, err
	}
	var out []GateResult
	for _, check := range env.Gates.Verifications {
		g := GateResult{Name: check, State: GateWait, Reason: fmt.Sprintf("no %s result for this digest in %s yet", check, prev.Name)}
		for _, v := range results { // oldest first: the newest result wins
			if v.Check != check {
				continue
			}
			at := v.At
			g.Since = &at
			if v.Passed {
				g.State, g.Reason = GatePass, fmt.Sprintf("passed in %s", prev.Name)
			} else {
				g.State, g.Reason = GateFail, fmt.Sprintf("failed in %s; a newer passing result unblocks", prev.Name)
			}
			if v.URL != "" {
				g.Reason += " (" + v.URL + ")"
			}
		}
		out = append(out, g)
	}
	return out, nil
}

func (e *Engine) soakGate(ctx context.Context, env, prev *config.Environment, p *slipway.Promotion, now time.Time) (*GateResult, error) {
	soak := env.Gates.Soak.Duration
	if soak == 0 {
		return nil, nil
	}
	if p.Expedited != "" {
		return &GateResult{Name: "soak-time", State: GatePass, Reason: "skipped for an expedited promotion: " + p.Expedited}, nil
	}
	cur, err := e.Store.Current(ctx, p.Service, prev.Name)
	if err != nil {
		return nil, err
	}
	if cur == nil || cur.Digest != p.Digest {
		return &GateResult{Name: "soak-time", State: GateWait, Reason: fmt.Sprintf("this digest is not running in %s", prev.Name)}, nil
	}
	since, err := e.Store.SucceededAt(ctx, cur.ID)
	if err != nil {
		return nil, err
	}
	done := since.Add(soak)
	g := &GateResult{Name: "soak-time", Since: &since}
	if now.Before(done) {
		g.State, g.Reason, g.NextChange = GateWait, fmt.Sprintf("soak done in %s (%s in %s)", done.Sub(now).Round(time.Minute), soak, prev.Name), &done
	} else {
		g.State, g.Reason = GatePass, fmt.Sprintf("ran %s in %s (needs %s)", now.Sub(since).Round(time.Minute), prev.Name, soak)
	}
	return g, nil
}

// windowGate evaluates the environment's sync windows, Argo CD semantics.
func (e *Engine) windowGate(env *config.Environment, p *slipway.Promotion, now time.Time) (*GateResult, error) {
	set, err := e.windows(env)
	if err != nil || set == nil {
		return nil, err
	}
	svc, err := e.Cfg.Service(p.Service)
	if err != nil {
		return nil, invalid("%v", err)
	}
	d := set.Evaluate(window.Query{
		Target: window.Target{Application: svc.Application, Namespace: env.Namespace, ClusterName: env.ClusterName, ClusterServer: env.ClusterServer},
		At:     now,
	})
	g := &GateResult{Name: "window", Reason: d.Reason, NextChange: d.NextChange}
	switch {
	case d.Error != "":
		g.State, g.Reason = GateWait, "invalid sync window, blocked until fixed: "+d.Error
	case d.CanSync:
		g.State = GatePass
	default:
		g.State = GateWait
	}
	return g, nil
}

// windows reads an environment's sync windows (inline or from a file).
func (e *Engine) windows(env *config.Environment) (*window.Set, error) {
	switch {
	case env.Gates.WindowsFile != "":
		path := e.Cfg.Resolve(env.Gates.WindowsFile)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, invalid("windowsFile of %s: %v", env.Name, err)
		}
		return window.Parse(path, data)
	case env.Gates.Windows.Kind != 0:
		data, err := yaml.Marshal(&env.Gates.Windows)
		if err != nil {
			return nil, err
		}
		return window.Parse(fmt.Sprintf("%s (environments %s gates.windows)", e.Cfg.Path(), env.Name), data)
	}
	return nil, nil
}

// gateStep holds a promotion until every gate passes.
type gateStep struct{}

func (gateStep) String() string { return "gates" }

func (gateStep) Run(ctx context.Context, e *Engine, p *slipway.Promotion) (slipway.PromotionState, string, error) {
	rep, err := e.evaluateGates(ctx, p)
	if err != nil {
		return "", "", err
	}
	if !rep.Open {
		reason := "waiting: " + rep.Summary()
		if reason != p.Reason {
			e.emit("gate", p.ID, "%s to %s waits: %s", p.ID, p.Env, rep.Summary())
		}
		return "", reason, nil
	}
	if len(rep.Gates) > 0 {
		e.emit("gate", p.ID, "all gates of %s pass (%d checked)", p.ID, len(rep.Gates))
	}
	return slipway.StatePinning, "gates passed", nil
}
