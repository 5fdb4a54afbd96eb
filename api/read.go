package api

import (
	"encoding/base64"
	"net/http"
	"strconv"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/window"
)

// Cursor pagination: a cursor is opaque to clients (base64url of the key
// the next page starts after), and a page is read from the store without
// reading the rest where the store can (promotions, audit).

const (
	defaultLimit = 50
	maxLimit     = 500
)

func pageArgs(r *http.Request) (limit int, after string, err error) {
	limit = defaultLimit
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return 0, "", slipway.Errorf(slipway.EINVALID, "limit %q: give a number from 1 to %d", v, maxLimit)
		}
		limit = n
	}
	if c := r.URL.Query().Get("cursor"); c != "" {
		b, err := base64.RawURLEncoding.Strict().DecodeString(c)
		if err != nil || len(b) == 0 {
			return 0, "", slipway.Errorf(slipway.EINVALID, "cursor %q is not one this API handed out: pass the next value of the previous page", c)
		}
		after = string(b)
	}
	return limit, after, nil
}

func cursorOf(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

// pageSlice pages a list already in memory, after the item whose key is after.
func pageSlice[T, U any](items []T, key func(T) string, conv func(T) U, after string, limit int) (Page[U], error) {
	start := 0
	if after != "" {
		start = -1
		for i, x := range items {
			if key(x) == after {
				start = i + 1
				break
			}
		}
		if start < 0 {
			return Page[U]{}, slipway.Errorf(slipway.EINVALID, "the cursor's item is gone: list again from the first page")
		}
	}
	end := min(start+limit, len(items))
	p := Page[U]{Items: mapAll(items[start:end], conv)}
	if end < len(items) {
		p.Next = cursorOf(key(items[end-1]))
	}
	return p, nil
}

func boolArg(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, slipway.Errorf(slipway.EINVALID, "%s=%q: use true or false", name, v)
	}
	return b, nil
}

func (s *Server) me(r *http.Request) (any, error) {
	a := slipway.ActorFrom(r.Context())
	m := Me{Name: a.Name, Kind: a.Kind, Via: a.Via, Groups: nonNil(a.Groups), Service: a.Service, Permissions: nonNil(s.Engine.Cfg.AccessPolicy().Allowed(a))}
	if x := SessionOf(r.Context()); x != nil {
		m.CSRFToken = x.CSRF
	}
	return m, nil
}

func (s *Server) services(r *http.Request) (any, error) {
	limit, after, err := pageArgs(r)
	if err != nil {
		return nil, err
	}
	svcs := s.Engine.Cfg.Services
	ptrs := make([]*config.Service, len(svcs))
	for i := range svcs {
		ptrs[i] = &svcs[i]
	}
	page, err := pageSlice(ptrs, func(c *config.Service) string { return c.Name }, func(c *config.Service) *config.Service { return c }, after, limit)
	if err != nil {
		return nil, err
	}
	rows, err := s.matrix(r, page.Items...)
	if err != nil {
		return nil, err
	}
	return Page[Service]{Items: rows, Next: page.Next}, nil
}

func (s *Server) service(r *http.Request) (any, error) {
	c, err := s.Engine.Cfg.Service(r.PathValue("service"))
	if err != nil {
		return nil, slipway.Errorf(slipway.ENOTFOUND, "%v", err)
	}
	rows, err := s.matrix(r, c)
	if err != nil {
		return nil, err
	}
	return rows[0], nil
}

// matrix is the environment matrix of some services, read in one query:
// what runs in each environment and what is on its way there.
func (s *Server) matrix(r *http.Request, svcs ...*config.Service) ([]Service, error) {
	names := make([]string, len(svcs))
	for i, c := range svcs {
		names[i] = c.Name
	}
	ps, err := s.Engine.Store.Pages.Matrix(r.Context(), names)
	if err != nil {
		return nil, err
	}
	type key struct{ svc, env string }
	current, active := map[key]*slipway.Promotion{}, map[key]*slipway.Promotion{}
	for _, p := range ps {
		k := key{p.Service, p.Env}
		if p.State == slipway.StateSucceeded {
			current[k] = p
		} else {
			active[k] = p
		}
	}
	out := make([]Service, 0, len(svcs))
	for _, c := range svcs {
		row := Service{Name: c.Name, Image: c.Image, Environments: []Cell{}}
		for _, env := range s.Engine.Cfg.Environments {
			k, cell := key{c.Name, env.Name}, Cell{Env: env.Name}
			if cur := current[k]; cur != nil {
				since := cur.Updated
				cell.Digest, cell.Version, cell.Promotion, cell.Since = cur.Digest, cur.Release, cur.ID, &since
			}
			if p := active[k]; p != nil {
				cell.Active = &PromotionInfo{ID: p.ID, State: string(p.State), Reason: p.Reason}
			}
			row.Environments = append(row.Environments, cell)
		}
		out = append(out, row)
	}
	return out, nil
}

func (s *Server) builds(r *http.Request) (any, error) {
	limit, after, err := pageArgs(r)
	if err != nil {
		return nil, err
	}
	bs, err := s.Engine.Store.Builds.Builds(r.Context(), r.URL.Query().Get("service"))
	if err != nil {
		return nil, err
	}
	return pageSlice(bs, func(b *slipway.Build) string { return b.ID }, toBuild, after, limit)
}

func (s *Server) build(r *http.Request) (any, error) {
	b, err := s.Engine.Store.Builds.Build(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return toBuild(b), nil
}

func (s *Server) releases(r *http.Request) (any, error) {
	limit, after, err := pageArgs(r)
	if err != nil {
		return nil, err
	}
	rs, err := s.Engine.Store.Releases.Releases(r.Context(), r.URL.Query().Get("service"))
	if err != nil {
		return nil, err
	}
	return pageSlice(rs, func(x *slipway.Release) string { return x.Service + "\x00" + x.Tag }, toRelease, after, limit)
}

func (s *Server) promotions(r *http.Request) (any, error) {
	limit, after, err := pageArgs(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	f := slipway.PromotionFilter{Service: q.Get("service"), Env: q.Get("env"), State: slipway.PromotionState(q.Get("state"))}
	if f.Active, err = boolArg(r, "active"); err != nil {
		return nil, err
	}
	var before int64
	if after != "" {
		if before = slipway.PromotionSeq(after); before == 0 {
			return nil, slipway.Errorf(slipway.EINVALID, "cursor: not one this API handed out")
		}
	}
	ps, err := s.Engine.Store.Pages.PromotionPage(r.Context(), f, before, limit+1)
	if err != nil {
		return nil, err
	}
	out := Page[Promotion]{}
	if len(ps) > limit {
		ps = ps[:limit]
		out.Next = cursorOf(ps[limit-1].ID)
	}
	out.Items = mapAll(ps, toPromotion)
	return out, nil
}

func (s *Server) promotion(r *http.Request) (any, error) {
	ctx, st, id := r.Context(), s.Engine.Store, r.PathValue("id")
	p, err := st.Promotions.Promotion(ctx, id)
	if err != nil {
		return nil, err
	}
	d := PromotionDetail{Promotion: toPromotion(p)}
	h, err := st.Promotions.History(ctx, id)
	if err != nil {
		return nil, err
	}
	d.History = mapAll(h, func(t slipway.Transition) Transition {
		return Transition{From: string(t.From), To: string(t.To), Reason: t.Reason, At: t.At}
	})
	as, err := st.Gates.Approvals(ctx, id)
	if err != nil {
		return nil, err
	}
	d.Approvals = mapAll(as, toApproval)
	if c, err := st.Promotions.CanaryProgress(ctx, id); err != nil {
		return nil, err
	} else if c != nil {
		d.Canary = &CanaryProgress{Step: c.Step, Weight: c.Weight, Phase: c.Phase, Reason: c.Reason, Updated: c.Updated}
	}
	es, err := st.Audit.AuditOf(ctx, id)
	if err != nil {
		return nil, err
	}
	d.Audit = nonNil(es)
	return d, nil
}

func (s *Server) gates(r *http.Request) (any, error) {
	p, err := s.Engine.Store.Promotions.Promotion(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if p.State != slipway.StateWaiting && p.State != slipway.StateReviewOpen {
		return nil, slipway.Errorf(slipway.ECONFLICT, "promotion %s is %s: gates are evaluated while a promotion waits (its history says how it got here)", p.ID, p.State)
	}
	rep, err := s.Engine.Why(r.Context(), p.Service, p.Env)
	if err != nil {
		return nil, err
	}
	if rep.PromotionID != p.ID {
		return nil, slipway.Errorf(slipway.ECONFLICT, "promotion %s is no longer the one waiting for %s in %s (%s is)", p.ID, p.Service, p.Env, rep.PromotionID)
	}
	return rep, nil
}

func (s *Server) approvals(r *http.Request) (any, error) {
	id := r.PathValue("id")
	if _, err := s.Engine.Store.Promotions.Promotion(r.Context(), id); err != nil {
		return nil, err
	}
	as, err := s.Engine.Store.Gates.Approvals(r.Context(), id)
	return mapAll(as, toApproval), err
}

func (s *Server) analysis(r *http.Request) (any, error) {
	ctx, st, id := r.Context(), s.Engine.Store, r.PathValue("id")
	if _, err := st.Promotions.Promotion(ctx, id); err != nil {
		return nil, err
	}
	runs, err := st.Analysis.AnalysisRuns(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]AnalysisRun, 0, len(runs))
	for _, run := range runs {
		ms, err := st.Analysis.Measurements(ctx, run.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, AnalysisRun{ID: run.ID, Phase: run.Phase, Message: run.Message, Started: run.Started, Finished: run.Finished,
			Measurements: mapAll(ms, func(m slipway.Measurement) Measurement {
				return Measurement{Metric: m.Metric, Phase: m.Phase, Value: m.Value, Message: m.Message, At: m.At}
			})})
	}
	return out, nil
}

func required(r *http.Request, names ...string) ([]string, error) {
	var out []string
	for _, n := range names {
		v := r.URL.Query().Get(n)
		if v == "" {
			return nil, slipway.Errorf(slipway.EINVALID, "query parameter %s is required", n)
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *Server) why(r *http.Request) (any, error) {
	q, err := required(r, "service", "env")
	if err != nil {
		return nil, err
	}
	return s.Engine.Why(r.Context(), q[0], q[1])
}

func (s *Server) verifications(r *http.Request) (any, error) {
	q, err := required(r, "service", "env", "digest")
	if err != nil {
		return nil, err
	}
	vs, err := s.Engine.Store.Gates.Verifications(r.Context(), q[0], q[1], q[2])
	return mapAll(vs, toVerification), err
}

func (s *Server) holds(r *http.Request) (any, error) {
	all, err := boolArg(r, "all")
	if err != nil {
		return nil, err
	}
	hs, err := s.Engine.Store.Holds.Holds(r.Context(), r.URL.Query().Get("service"), all)
	return mapAll(hs, toHold), err
}

func (s *Server) stops(r *http.Request) (any, error) {
	ss, err := s.Engine.Store.Gates.Stops(r.Context())
	return mapAll(ss, func(x slipway.Stop) Stop { return Stop{Env: x.Env, By: x.By, Reason: x.Reason, Since: x.Since} }), err
}

func (s *Server) windows(r *http.Request) (any, error) {
	cfg := s.Engine.Cfg
	name := r.URL.Query().Get("service")
	if name == "" {
		name = cfg.Services[0].Name
	}
	svc, err := cfg.Service(name)
	if err != nil {
		return nil, slipway.Errorf(slipway.EINVALID, "%v", err)
	}
	out := []Windows{}
	for _, env := range cfg.Environments {
		set, err := s.Engine.SyncWindows(r.Context(), env.Name)
		if err != nil {
			return nil, err
		}
		w := Windows{Env: env.Name, Service: svc.Name}
		if set != nil {
			d := set.Evaluate(window.Query{At: s.Engine.Now(), Manual: true,
				Target: window.Target{Application: svc.Application, Namespace: env.Namespace, ClusterName: env.ClusterName, ClusterServer: env.ClusterServer}})
			w.Windows, w.Decision = len(set.Windows), &d
		}
		out = append(out, w)
	}
	return out, nil
}

func (s *Server) audit(r *http.Request) (any, error) {
	limit, after, err := pageArgs(r)
	if err != nil {
		return nil, err
	}
	var before int64
	if after != "" {
		if before, err = strconv.ParseInt(after, 10, 64); err != nil || before <= 0 {
			return nil, slipway.Errorf(slipway.EINVALID, "cursor: not one this API handed out")
		}
	}
	es, err := s.Engine.Store.Pages.AuditPage(r.Context(), before, limit+1)
	if err != nil {
		return nil, err
	}
	out := Page[AuditEntry]{}
	if len(es) > limit {
		es = es[:limit]
		out.Next = cursorOf(strconv.FormatInt(es[limit-1].Seq, 10))
	}
	out.Items = nonNil(es)
	return out, nil
}

func (s *Server) auditVerify(r *http.Request) (any, error) {
	n, err := s.Engine.VerifyAudit(r.Context())
	v := AuditVerdict{OK: err == nil, Entries: n}
	if err != nil {
		if slipway.ErrorCode(err) != slipway.ECONFLICT {
			return nil, err
		}
		v.Error = err.Error()
	}
	return v, nil
}

func (s *Server) notifications(r *http.Request) (any, error) {
	limit, _, err := pageArgs(r)
	if err != nil {
		return nil, err
	}
	ns, err := s.Engine.Store.Outbox.Notifications(r.Context(), limit)
	return mapAll(ns, toNotification), err
}
