package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/slipway/slipway"
)

// RolloutReport is `slipway platform status`: the waves of a rollout and
// what each waits on.
type RolloutReport struct {
	ID       string               `json:"id"`
	Platform string               `json:"platform"`
	Version  string               `json:"version"`
	Env      string               `json:"env"`
	State    slipway.RolloutState `json:"state"`
	Reason   string               `json:"reason"`
	Wave     int                  `json:"wave"` // 1-based current wave (waves+1 when done)
	Waves    []WaveReport         `json:"waves"`
	Excluded []ServiceReport      `json:"excluded,omitempty"`
}

// WaveReport is one wave.
type WaveReport struct {
	Number    int             `json:"number"` // 1-based
	Step      int             `json:"step"`
	MaxUpdate int             `json:"maxUpdate"`
	Continued bool            `json:"continued,omitempty"`
	State     string          `json:"state"` // succeeded, running, waiting-for-person, paused, failed, rolled-back, not-started
	Services  []ServiceReport `json:"services"`
}

// ServiceReport is one service of a wave and what holds it.
type ServiceReport struct {
	Service     string `json:"service"`
	Version     string `json:"version"`
	Digest      string `json:"digest"`
	State       string `json:"state"`
	PromotionID string `json:"promotion,omitempty"`
	Promotion   string `json:"promotionState,omitempty"`
	// WaitsOn says what the service waits on: its promotion's gates (as
	// `slipway why` says them), its canary, or a person.
	WaitsOn string      `json:"waitsOn,omitempty"`
	Gates   *GateReport `json:"gates,omitempty"`
}

// RolloutStatus reports a rollout: id "" for the newest rollout into env
// (env "" for the newest anywhere).
func (e *Engine) RolloutStatus(ctx context.Context, id, env string) (*RolloutReport, error) {
	var ro *slipway.Rollout
	var err error
	if id != "" {
		ro, err = e.Store.Rollouts.Rollout(ctx, id)
	} else {
		var rs []*slipway.Rollout
		if rs, err = e.Store.Rollouts.Rollouts(ctx, slipway.RolloutFilter{Env: env}); err == nil && len(rs) == 0 {
			err = slipway.Errorf(slipway.ENOTFOUND, "no platform rollout yet%s: start one with `slipway platform promote --version X --to ENV`", map[bool]string{true: " into " + env}[env != ""])
		} else if err == nil {
			ro = rs[0]
		}
	}
	if err != nil {
		return nil, err
	}
	rep := &RolloutReport{ID: ro.ID, Platform: ro.Platform, Version: ro.Version, Env: ro.Env, State: ro.State, Reason: ro.Reason, Wave: ro.Wave + 1}
	for i, w := range ro.Waves {
		wr := WaveReport{Number: i + 1, Step: w.Step, MaxUpdate: w.MaxUpdate, Continued: w.Continued, State: waveState(ro, i)}
		for _, rs := range ro.InWave(i) {
			sr, err := e.serviceReport(ctx, ro, rs)
			if err != nil {
				return nil, err
			}
			wr.Services = append(wr.Services, sr)
		}
		rep.Waves = append(rep.Waves, wr)
	}
	for _, rs := range ro.InWave(-1) {
		rep.Excluded = append(rep.Excluded, ServiceReport{Service: rs.Service, Version: rs.Version, Digest: rs.Digest, State: rs.State, WaitsOn: rs.Reason})
	}
	return rep, nil
}

func waveState(ro *slipway.Rollout, i int) string {
	switch {
	case i < ro.Wave:
		for _, s := range ro.InWave(i) {
			if s.State == slipway.ServiceRolledBack {
				return "rolled-back"
			}
		}
		return "succeeded"
	case i > ro.Wave:
		return "not-started"
	case ro.State == slipway.RolloutFailing || ro.State == slipway.RolloutFailed:
		return "failed"
	case ro.State == slipway.RolloutPaused:
		return "paused"
	case ro.Waves[i].MaxUpdate == 0 && !ro.Waves[i].Continued && ro.InFlight() == 0:
		return "waiting-for-person"
	}
	return "running"
}

// serviceReport says where one service stands, with its promotion's gates
// when they hold it.
func (e *Engine) serviceReport(ctx context.Context, ro *slipway.Rollout, rs *slipway.RolloutService) (ServiceReport, error) {
	sr := ServiceReport{Service: rs.Service, Version: rs.Version, Digest: rs.Digest, State: rs.State, PromotionID: rs.PromotionID, WaitsOn: rs.Reason}
	if rs.PromotionID == "" {
		return sr, nil
	}
	p, err := e.Store.Promotions.Promotion(ctx, rs.PromotionID)
	if err != nil {
		return sr, err
	}
	sr.Promotion = string(p.State)
	switch p.State {
	case slipway.StateWaiting:
		rep, err := e.Why(ctx, p.Service, p.Env)
		if err != nil {
			return sr, err
		}
		sr.Gates, sr.WaitsOn = rep, "gates: "+rep.Summary()
	case slipway.StateCanary:
		sr.WaitsOn = "canary with analysis running"
		if c, err := e.Store.Promotions.CanaryProgress(ctx, p.ID); err == nil && c != nil {
			sr.WaitsOn = fmt.Sprintf("canary at step %d (%d%%)", c.Step, c.Weight)
		}
	case slipway.StatePaused:
		sr.WaitsOn = fmt.Sprintf("a person: %s (`slipway canary promote|abort --promotion %s`)", p.Reason, p.ID)
	case slipway.StateReviewOpen:
		sr.WaitsOn = fmt.Sprintf("pull request #%d to merge", p.PR)
	}
	return sr, nil
}

// Text renders the report for a person.
func (r *RolloutReport) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rollout %s: platform %s %s -> %s: %s (%s)\n", r.ID, r.Platform, r.Version, r.Env, r.State, r.Reason)
	for _, w := range r.Waves {
		extra := ""
		if w.Continued {
			extra = ", continued by a person"
		}
		fmt.Fprintf(&b, "wave %d (step %d, maxUpdate %d%s): %s\n", w.Number, w.Step, w.MaxUpdate, extra, w.State)
		for _, s := range w.Services {
			line := fmt.Sprintf("  %-14s %-10s %-12s", s.Service, s.Version, s.State)
			if s.PromotionID != "" {
				line += " " + s.PromotionID
			}
			if why := strings.TrimPrefix(s.WaitsOn, s.PromotionID+" "); why != "" {
				line += "  " + why
			}
			b.WriteString(strings.TrimRight(line, " ") + "\n")
		}
	}
	for _, s := range r.Excluded {
		fmt.Fprintf(&b, "excluded: %s %s (%s)\n", s.Service, s.Version, s.WaitsOn)
	}
	return b.String()
}
