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

// handler is a route's handler; typed ones decode a JSON body first, and
// the OpenAPI document describes the very type they decode.
type handler interface {
	serve(*http.Request) (any, error)
	body() any // the request body's type (nil: none)
}

// plain handles requests without a body.
type plain func(*http.Request) (any, error)

func (h plain) serve(r *http.Request) (any, error) { return h(r) }
func (plain) body() any                            { return nil }

// typed decodes the JSON body into a T (refusing unknown fields; an absent
// body is the zero T) and hands it over.
type typed[T any] func(*http.Request, T) (any, error)

func (h typed[T]) serve(r *http.Request) (any, error) {
	var req T
	if r.ContentLength != 0 {
		var err error
		if req, err = decode[T](r); err != nil {
			return nil, err
		}
	}
	return h(r, req)
}

func (typed[T]) body() any {
	var zero T
	return zero
}

// raw handlers read the body themselves (a form, or bytes to verify a
// signature over) but take a T, which the document describes.
type raw[T any] func(*http.Request) (any, error)

func (h raw[T]) serve(r *http.Request) (any, error) { return h(r) }
func (raw[T]) body() any                            { return typed[T](nil).body() }

// promotionOf answers with the promotion a change left (re-read: the
// engine may have moved it on since it returned).
func (s *Server) promotionOf(r *http.Request, p *slipway.Promotion, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	if now, err := s.Engine.Store.Promotions.Promotion(r.Context(), p.ID); err == nil {
		p = now
	}
	return toPromotion(p), nil
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

func (s *Server) release(r *http.Request, req ReleaseRequest) (any, error) {
	rel, err := s.Engine.Release(r.Context(), engine.ReleaseRequest{Service: req.Service, BuildID: req.Build})
	if err != nil {
		return nil, err
	}
	return toRelease(rel), nil
}

func (s *Server) promote(r *http.Request, req PromoteRequest) (any, error) {
	p, err := s.Engine.Promote(r.Context(), engine.PromoteRequest{Service: req.Service, Env: req.Env, BuildID: req.Build, Release: req.Release, Expedite: req.Expedite, Requester: actorName(r)})
	return s.promotionOf(r, p, err)
}

func (s *Server) decide(approve bool) func(*http.Request, DecisionRequest) (any, error) {
	return func(r *http.Request, req DecisionRequest) (any, error) {
		p, err := s.Engine.Approve(r.Context(), r.PathValue("id"), actorName(r), approve, req.Comment)
		return s.promotionOf(r, p, err)
	}
}

func (s *Server) override(r *http.Request, req ReasonRequest) (any, error) {
	p, err := s.Engine.Override(r.Context(), r.PathValue("id"), actorName(r), req.Reason)
	return s.promotionOf(r, p, err)
}

func (s *Server) canary(r *http.Request, req CanaryRequest) (any, error) {
	if req.Decision != "promote" && req.Decision != "abort" {
		return nil, slipway.Errorf(slipway.EINVALID, "decision %q: use promote or abort", req.Decision)
	}
	p, err := s.Engine.DecideCanary(r.Context(), r.PathValue("id"), actorName(r), req.Decision == "promote", req.Reason)
	return s.promotionOf(r, p, err)
}

func (s *Server) reportVerification(r *http.Request, req VerificationRequest) (any, error) {
	v := &slipway.Verification{Service: req.Service, Env: req.Env, Check: req.Check, Digest: req.Digest, Passed: req.Passed, URL: req.URL}
	if err := s.Engine.ReportVerification(r.Context(), v); err != nil {
		return nil, err
	}
	return toVerification(*v), nil
}

func (s *Server) runCheck(r *http.Request, req CheckRequest) (any, error) {
	v, err := s.Engine.RunCheck(r.Context(), req.Service, req.Env, req.Check, req.Digest)
	if err != nil {
		return nil, err
	}
	return toVerification(*v), nil
}

func (s *Server) rollback(r *http.Request, req RollbackRequest) (any, error) {
	p, err := s.Engine.Rollback(r.Context(), req.Service, req.Env, actorName(r), req.Reason)
	if err != nil {
		return nil, err
	}
	return toPromotion(p), nil // as rolled back (re-reading could show a newer state of the pin)
}

func (s *Server) releaseHold(r *http.Request, req HoldReleaseRequest) (any, error) {
	if err := s.Engine.ReleaseHold(r.Context(), req.Service, req.Digest, actorName(r)); err != nil {
		return nil, err
	}
	return Done{Message: fmt.Sprintf("hold on %s of %s released", req.Digest, req.Service)}, nil
}

// stopSwitch turns the named stop switch on (with a reason) or off.
func (s *Server) stopSwitch(on bool) func(*http.Request, StopRequest) (any, error) {
	return func(r *http.Request, req StopRequest) (any, error) {
		if (req.Env == "") == !req.All {
			return nil, slipway.Errorf(slipway.EINVALID, "name one environment (env) or every one (all: true)")
		}
		where := req.Env
		if req.All {
			where = "every environment"
		}
		if on {
			if err := s.Engine.StopLine(r.Context(), req.Env, actorName(r), req.Reason); err != nil {
				return nil, err
			}
			return Done{Message: "line stopped for " + where}, nil
		}
		if err := s.Engine.LiftStop(r.Context(), req.Env, actorName(r)); err != nil {
			return nil, err
		}
		return Done{Message: "line restarted for " + where}, nil
	}
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
