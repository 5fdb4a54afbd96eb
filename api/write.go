package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/engine"
)

// The changes. Each hands the request's actor to the engine in the
// context; the engine checks the permission and records the actor.

func (s *Server) registerBuild(r *http.Request) (any, error) {
	req, err := decode[BuildRequest](r)
	if err != nil {
		return nil, err
	}
	return s.register(r, req)
}

// register is intake for the API and the build hook: 201 for a new build,
// 200 for one registered before.
func (s *Server) register(r *http.Request, req BuildRequest) (any, error) {
	b, created, err := s.Engine.RegisterBuild(r.Context(), req.Service, req.Commit, req.Image)
	if err != nil {
		return nil, err // a registration whose automatic promotion failed says so
	}
	res := BuildResult{Build: toBuild(b), Created: created}
	if !created {
		return statusOverride{http.StatusOK, res}, nil
	}
	return res, nil
}

func (s *Server) release(r *http.Request) (any, error) {
	req, err := decode[ReleaseRequest](r)
	if err != nil {
		return nil, err
	}
	rel, err := s.Engine.Release(r.Context(), engine.ReleaseRequest{Service: req.Service, BuildID: req.Build})
	if err != nil {
		return nil, err
	}
	return toRelease(rel), nil
}

func (s *Server) promote(r *http.Request) (any, error) {
	req, err := decode[PromoteRequest](r)
	if err != nil {
		return nil, err
	}
	p, err := s.Engine.Promote(r.Context(), engine.PromoteRequest{Service: req.Service, Env: req.Env, BuildID: req.Build, Release: req.Release, Expedite: req.Expedite, Requester: actorName(r)})
	if err != nil {
		return nil, err
	}
	return toPromotion(p), nil
}

func (s *Server) decide(approve bool) func(*http.Request) (any, error) {
	return func(r *http.Request) (any, error) {
		req, err := decodeOptional[DecisionRequest](r)
		if err != nil {
			return nil, err
		}
		p, err := s.Engine.Approve(r.Context(), r.PathValue("id"), actorName(r), approve, req.Comment)
		if err != nil {
			return nil, err
		}
		return s.fresh(r, p)
	}
}

// fresh re-reads a promotion the engine may have moved since it returned it.
func (s *Server) fresh(r *http.Request, p *slipway.Promotion) (any, error) {
	if now, err := s.Engine.Store.Promotions.Promotion(r.Context(), p.ID); err == nil {
		p = now
	}
	return toPromotion(p), nil
}

func (s *Server) override(r *http.Request) (any, error) {
	req, err := decode[ReasonRequest](r)
	if err != nil {
		return nil, err
	}
	p, err := s.Engine.Override(r.Context(), r.PathValue("id"), actorName(r), req.Reason)
	if err != nil {
		return nil, err
	}
	return s.fresh(r, p)
}

func (s *Server) canary(r *http.Request) (any, error) {
	req, err := decode[CanaryRequest](r)
	if err != nil {
		return nil, err
	}
	if req.Decision != "promote" && req.Decision != "abort" {
		return nil, slipway.Errorf(slipway.EINVALID, "decision %q: use promote or abort", req.Decision)
	}
	p, err := s.Engine.DecideCanary(r.Context(), r.PathValue("id"), actorName(r), req.Decision == "promote", req.Reason)
	if err != nil {
		return nil, err
	}
	return s.fresh(r, p)
}

func (s *Server) reportVerification(r *http.Request) (any, error) {
	req, err := decode[VerificationRequest](r)
	if err != nil {
		return nil, err
	}
	v := &slipway.Verification{Service: req.Service, Env: req.Env, Check: req.Check, Digest: req.Digest, Passed: req.Passed, URL: req.URL}
	if err := s.Engine.ReportVerification(r.Context(), v); err != nil {
		return nil, err
	}
	return toVerification(*v), nil
}

func (s *Server) runCheck(r *http.Request) (any, error) {
	req, err := decode[CheckRequest](r)
	if err != nil {
		return nil, err
	}
	v, err := s.Engine.RunCheck(r.Context(), req.Service, req.Env, req.Check, req.Digest)
	if err != nil {
		return nil, err
	}
	return toVerification(*v), nil
}

func (s *Server) rollback(r *http.Request) (any, error) {
	req, err := decode[RollbackRequest](r)
	if err != nil {
		return nil, err
	}
	p, err := s.Engine.Rollback(r.Context(), req.Service, req.Env, actorName(r), req.Reason)
	if err != nil {
		return nil, err
	}
	return toPromotion(p), nil
}

func (s *Server) releaseHold(r *http.Request) (any, error) {
	req, err := decode[HoldReleaseRequest](r)
	if err != nil {
		return nil, err
	}
	if err := s.Engine.ReleaseHold(r.Context(), req.Service, req.Digest, actorName(r)); err != nil {
		return nil, err
	}
	return Done{Message: fmt.Sprintf("hold on %s of %s released", req.Digest, req.Service)}, nil
}

// stopEnv reads which switch a stop request names.
func stopEnv(req StopRequest) (string, error) {
	if (req.Env == "") == !req.All {
		return "", slipway.Errorf(slipway.EINVALID, "name one environment (env) or every one (all: true)")
	}
	return req.Env, nil
}

func (s *Server) stopLine(r *http.Request) (any, error) {
	req, err := decode[StopRequest](r)
	if err != nil {
		return nil, err
	}
	env, err := stopEnv(req)
	if err != nil {
		return nil, err
	}
	if err := s.Engine.StopLine(r.Context(), env, actorName(r), req.Reason); err != nil {
		return nil, err
	}
	return Done{Message: "line stopped for " + orEvery(env)}, nil
}

func (s *Server) liftStop(r *http.Request) (any, error) {
	req, err := decode[StopRequest](r)
	if err != nil {
		return nil, err
	}
	env, err := stopEnv(req)
	if err != nil {
		return nil, err
	}
	if err := s.Engine.LiftStop(r.Context(), env, actorName(r)); err != nil {
		return nil, err
	}
	return Done{Message: "line restarted for " + orEvery(env)}, nil
}

func orEvery(env string) string {
	if env == "" {
		return "every environment"
	}
	return env
}

func (s *Server) merge(r *http.Request) (any, error) {
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || n <= 0 {
		return nil, slipway.Errorf(slipway.EINVALID, "pull request number %q: give a positive number", r.PathValue("number"))
	}
	if err := s.Engine.MergePR(r.Context(), n, actorName(r)); err != nil {
		return nil, err
	}
	return Done{Message: fmt.Sprintf("pull request #%d merged", n)}, nil
}

// decodeOptional is decode for bodies that may be absent (approve with no
// comment).
func decodeOptional[T any](r *http.Request) (T, error) {
	var zero T
	if r.ContentLength == 0 {
		return zero, nil
	}
	return decode[T](r)
}
