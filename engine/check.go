package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/analysis"
	"github.com/slipway/slipway/auth"
)

// RunCheck runs a verification Slipway owns (an AnalysisTemplate configured
// under the environment's checks:, e.g. a load test through the job
// provider) against a digest, and records its verdict exactly as a reported
// result: Successful passes; Failed, Error and Inconclusive fail (a gate
// must not open on a verdict nobody could read). The digest defaults to what
// runs in env.
func (e *Engine) RunCheck(ctx context.Context, service, envName, check, digest string) (*slipway.Verification, error) {
	if err := e.authorize(ctx, auth.Verify, auth.Scope{Service: service, Env: envName}, nil); err != nil {
		return nil, err
	}
	if _, err := e.Cfg.Service(service); err != nil {
		return nil, invalid("%v", err)
	}
	env, _, err := e.Cfg.Environment(envName)
	if err != nil {
		return nil, invalid("%v", err)
	}
	c, ok := env.Checks[check]
	if !ok {
		var names []string
		for n := range env.Checks {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, invalid("environment %s has no check %q to run (it defines: %s); add it under checks: in %s, or report results with `slipway verify report`", envName, check, strings.Join(names, ", "), e.Cfg.Path())
	}
	if digest == "" {
		cur, err := e.Store.Promotions.Current(ctx, service, envName)
		if err != nil {
			return nil, err
		}
		if cur == nil {
			return nil, slipway.Errorf(slipway.ENOTFOUND, "nothing of %s runs in %s to check: pass --digest", service, envName)
		}
		digest = cur.Digest
	}
	lib, err := analysis.LoadFiles(e.Cfg.Dir(), c.Template)
	if err != nil {
		return nil, invalid("check %s of %s: %v", check, envName, err)
	}
	ts := lib.Templates()
	if len(ts) != 1 {
		return nil, invalid("check %s of %s: %s must define exactly one AnalysisTemplate, found %d", check, envName, c.Template, len(ts))
	}
	args := map[string]string{"service": service, "digest": digest, "env": envName}
	for k, v := range c.Args {
		args[k] = v
	}
	e.emit(envName, check, "running check %s (%s) against %s", check, c.Template, digestShort(digest))
	res, err := analysis.Run(ctx, ts[0], analysis.Options{
		Args: args, Library: lib,
		OnMeasurement: func(m analysis.MeasurementEvent) {
			e.emit(envName, check, "measurement %s #%d %s %s", m.Measurement.Metric, m.Measurement.Index, m.Measurement.Phase, m.Measurement.Value)
		},
	})
	if err != nil {
		return nil, invalid("check %s of %s could not start: %v", check, envName, err)
	}
	v := &slipway.Verification{Service: service, Env: envName, Check: check, Digest: digest, Passed: res.Phase == analysis.PhaseSuccessful,
		URL: fmt.Sprintf("analysis:%s %s", c.Template, res.Phase)}
	if err := e.ReportVerification(ctx, v); err != nil {
		return nil, err
	}
	return v, nil
}
