package engine

import (
	"context"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/gate"
	"github.com/slipway/slipway/window"
)

// GateReport is every gate of one promotion (or of the next candidate), as
// gate.Evaluate decides them, with the promotion it belongs to.
type GateReport struct {
	gate.Evaluation
	PromotionID string `json:"promotion,omitempty"`
	Release     string `json:"release,omitempty"`
	// State and Status say where an active promotion is and why it waits
	// there (a pull request under review, a canary, a git remote, forge or
	// registry that does not answer since when).
	State  slipway.PromotionState `json:"state,omitempty"`
	Status string                 `json:"status,omitempty"`
}

// WindowClosed reports whether the sync-window gate (or a stop) holds the
// promotion: the gates that may change between opening a pull request and
// merging it.
func (r *GateReport) WindowClosed() bool {
	for _, g := range r.Gates {
		if (g.Name == "window" || g.Name == "stop") && g.State != gate.Pass {
			return true
		}
	}
	return false
}

// Summary joins the reasons of the gates that hold the promotion.
func (r *GateReport) Summary() string {
	var parts []string
	for _, g := range r.Gates {
		if g.State != gate.Pass {
			parts = append(parts, g.Name+": "+g.Reason)
		}
	}
	if len(parts) == 0 {
		return "all gates pass"
	}
	return strings.Join(parts, "; ")
}

// Text renders the report for `slipway why`.
func (r *GateReport) Text() string {
	head := ""
	if r.PromotionID != "" {
		head = fmt.Sprintf("promotion %s", r.PromotionID)
		if r.Release != "" {
			head += " (" + r.Release + ")"
		}
		if r.State != "" {
			head += ": " + string(r.State)
		}
		head += "\n"
		if r.Status != "" {
			head += "  " + r.Status + "\n"
		}
	}
	return head + r.Evaluation.Text()
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
	active, err := e.Store.Promotions.Promotions(ctx, slipway.PromotionFilter{Service: service, Env: env, Active: true})
	if err != nil {
		return nil, err
	}
	if len(active) > 0 {
		p := active[len(active)-1]
		rep, err := e.evaluateGates(ctx, p)
		if err != nil {
			return nil, err
		}
		rep.State = p.State
		if p.State != slipway.StateWaiting || strings.Contains(p.Reason, " unreachable since ") {
			rep.Status = p.Reason
		}
		return rep, nil
	}
	prev := e.Cfg.Previous(env)
	if prev == nil {
		return nil, slipway.Errorf(slipway.ENOTFOUND, "no promotion of %s to %s is waiting, and %s is the first environment: register a build", service, env, env)
	}
	cur, err := e.Store.Promotions.Current(ctx, service, prev.Name)
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

// evaluateGates decides every gate of p now, from the store and the
// configuration (gate.Evaluate is pure); a held digest fails first. It
// changes nothing.
func (e *Engine) evaluateGates(ctx context.Context, p *slipway.Promotion) (*GateReport, error) {
	env, _, err := e.Cfg.Environment(p.Env)
	if err != nil {
		return nil, invalid("%v", err)
	}
	svc, err := e.Cfg.Service(p.Service)
	if err != nil {
		return nil, invalid("%v", err)
	}
	in := gate.Input{
		Service: p.Service, Env: p.Env, Digest: p.Digest, RequestedAt: p.Created, Now: e.Now(),
		Manual: p.Requester != "slipway",
		Policy: gate.Policy{
			Approvals: gate.ApprovalPolicy{
				Required: env.Gates.Approvals.Required, Groups: env.Gates.Approvals.Groups,
				AllowSelfApproval: env.Gates.Approvals.AllowSelfApproval, ExpiresAfter: env.Gates.Approvals.ExpiresAfter.Duration,
			},
			Target: window.Target{Application: svc.Application, Namespace: env.Namespace, ClusterName: env.ClusterName, ClusterServer: env.ClusterServer},
		},
	}
	if in.Manual {
		in.Requester = p.Requester
	}
	deferred := env.ForgeApprovals && p.PR == 0
	if deferred {
		in.Policy.Approvals.Required = 0 // reviews come on the pull request; checked before it merges
	}
	if in.People, err = e.releaseAuthors(ctx, p); err != nil {
		return nil, err
	}
	if in.Policy.Windows, err = e.windows(ctx, env); err != nil {
		return nil, err
	}
	// The rest are reads of the store only: one snapshot, so the gates
	// are decided on one state of it (and its reads are cheaper).
	if snap := e.Store.Snapshot; snap != nil {
		var end func()
		ctx, end = snap(ctx)
		defer end()
	}
	stops, err := e.Store.Gates.Stops(ctx)
	if err != nil {
		return nil, err
	}
	for _, st := range stops {
		in.Stops = append(in.Stops, gate.Stop{Env: st.Env, By: st.By, Reason: st.Reason, Since: st.Since})
	}
	if p.ID != "" {
		if o, err := e.Store.Gates.Override(ctx, p.ID); err != nil {
			return nil, err
		} else if o != nil {
			// Recorded only after the permission was checked.
			in.Override = &gate.Override{User: o.User, Permitted: true, Reason: o.Reason, Digest: o.Digest, At: o.At}
		}
		as, err := e.Store.Gates.Approvals(ctx, p.ID)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			in.Approvals = append(in.Approvals, gate.Approval{User: a.User, Groups: e.Cfg.GroupsOf(a.User), Digest: a.Digest, Approve: a.Approve, Comment: a.Comment, At: a.At})
		}
	}
	// Verifications and soak look at the environment the digest comes
	// from; an expedited hotfix skips them (recorded), never the rest.
	if prev := e.Cfg.Previous(p.Env); prev != nil && p.Expedited == "" {
		in.SourceEnv = prev.Name
		in.Policy.RequiredChecks = env.Gates.Verifications
		in.Policy.Soak = env.Gates.Soak.Duration
		vs, err := e.Store.Gates.Verifications(ctx, p.Service, prev.Name, p.Digest)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			in.Verifications = append(in.Verifications, gate.Verification{Check: v.Check, Passed: v.Passed, Digest: v.Digest, At: v.At, URL: v.URL})
		}
		if cur, err := e.Store.Promotions.Current(ctx, p.Service, prev.Name); err != nil {
			return nil, err
		} else if cur != nil && cur.Digest == p.Digest {
			at, err := e.Store.Promotions.SucceededAt(ctx, cur.ID)
			if err != nil {
				return nil, err
			}
			in.PinnedAt = &at
		}
	}
	rep := &GateReport{Evaluation: gate.Evaluate(in), PromotionID: p.ID, Release: p.Release}
	if deferred && env.Gates.Approvals.Required > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("approvals: %d from reviews of the pull request, checked before it merges", env.Gates.Approvals.Required))
	}
	if p.Expedited != "" && (len(env.Gates.Verifications) > 0 || env.Gates.Soak.Duration > 0) {
		rep.Notes = append(rep.Notes, "verifications and soak skipped for an expedited promotion: "+p.Expedited)
	}
	if h, err := e.Store.Holds.ActiveHold(ctx, p.Service, p.Digest); err != nil {
		return nil, err
	} else if h != nil {
		rep.Gates = append([]gate.Result{{Name: "hold", State: gate.Fail, Reason: "digest held: " + h.Reason + "; `slipway hold release` lifts it", Since: &h.Created}}, rep.Gates...)
		rep.Open = false
	}
	return rep, nil
}

// windows reads an environment's sync windows: inline, from a file next to
// the configuration, or from an AppProject manifest in the GitOps repo.
func (e *Engine) windows(ctx context.Context, env *config.Environment) (*window.Set, error) {
	switch {
	case env.Gates.AppProject != "":
		branch := e.Cfg.Branch(env)
		tip, err := e.GitOps.RemoteBranch(ctx, branch)
		if err != nil {
			return nil, err
		}
		data, err := e.GitOps.ReadFile(ctx, tip, env.Gates.AppProject, pinFileLimit)
		if err != nil {
			return nil, invalid("gates.appProject of %s: %s on branch %s of the GitOps repo: %v; fix the path in %s", env.Name, env.Gates.AppProject, branch, err, e.Cfg.Path())
		}
		return window.Parse(env.Gates.AppProject+"@"+branch, data)
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
	for _, n := range rep.Notes {
		e.emit("gate", p.ID, "%s", n)
	}
	return slipway.StatePinning, "gates passed", nil
}
