package ui

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/api"
	"github.com/slipway/slipway/engine"
	"github.com/slipway/slipway/gate"
	"github.com/slipway/slipway/window"
)

// ---- the environment matrix ----

// cell is one service in one environment.
type cell struct {
	Env       string
	Version   string
	Digest    string
	Since     *time.Time
	Promotion string
	Active    *slipway.Promotion // a promotion on its way there
	Last      *attempt           // the newest promotion, when it ended without running (lastAttempt)
	Tone      string             // ok, wait, run, bad, none: the colour, always with Label
	Label     string             // the state in words
}

// attempt is a promotion that ended without leaving its build running,
// as the matrix shows it: "last attempt: v1.4.0 aborted 12 min ago".
type attempt struct {
	P       *slipway.Promotion
	Version string // its release tag ("" when its build has none)
	Tone    string
	Ago     string // when it ended, relative to the engine's clock
}

type matrixRow struct {
	Service string
	Image   string
	Cells   []cell
}

type matrixData struct {
	Envs    []string
	Rows    []matrixRow
	Waiting []*slipway.Promotion // active promotions, newest first
}

// tone is the colour class of a promotion state; the page always writes
// the state's name next to it.
func tone(s slipway.PromotionState) string {
	switch s {
	case slipway.StateSucceeded:
		return "ok"
	case slipway.StateWaiting, slipway.StateReviewOpen, slipway.StatePaused:
		return "wait"
	case slipway.StatePinning, slipway.StateSynced, slipway.StateCanary:
		return "run"
	case slipway.StateAborted, slipway.StateFailed, slipway.StateRolledBack:
		return "bad"
	}
	return "none"
}

// matrix is what runs where, read in one store query (as GET
// /api/v1/services reads it), and the promotions under way. A cell with
// nothing under way also reads its pin's newest promotion (lastAttempt):
// one indexed row per cell, since no store query gives the newest
// promotion of every pin at once. They share one read snapshot when the
// store has them: the cells agree with each other, and a page opens one
// read transaction, not one a cell.
func (u *UI) matrix(w http.ResponseWriter, r *http.Request, v *view) (string, error) {
	ctx, cfg := r.Context(), u.Engine.Cfg
	if snap := u.Engine.Store.Snapshot; snap != nil {
		var end func()
		ctx, end = snap(ctx)
		defer end()
	}
	names := make([]string, len(cfg.Services))
	for i, s := range cfg.Services {
		names[i] = s.Name
	}
	ps, err := u.Engine.Store.Pages.Matrix(ctx, names)
	if err != nil {
		return "", err
	}
	type key struct{ svc, env string }
	current, active := map[key]*slipway.Promotion{}, map[key]*slipway.Promotion{}
	for _, p := range ps {
		if p.State == slipway.StateSucceeded {
			current[key{p.Service, p.Env}] = p
		} else {
			active[key{p.Service, p.Env}] = p
		}
	}
	d, tags := matrixData{}, u.releaseTags()
	for _, env := range cfg.Environments {
		d.Envs = append(d.Envs, env.Name)
	}
	for _, s := range cfg.Services {
		row := matrixRow{Service: s.Name, Image: s.Image}
		for _, env := range cfg.Environments {
			k := key{s.Name, env.Name}
			c := cell{Env: env.Name, Tone: "none", Label: "nothing deployed"}
			if cur := current[k]; cur != nil {
				since := cur.Updated
				c.Version, c.Digest, c.Since, c.Promotion = tags.of(ctx, cur), cur.Digest, &since, cur.ID
				c.Tone, c.Label = "ok", "running"
			}
			if p := active[k]; p != nil {
				c.Active, c.Tone, c.Label = p, tone(p.State), string(p.State)
			} else if c.Last, err = u.lastAttempt(ctx, s.Name, env.Name, tags); err != nil {
				return "", err
			}
			row.Cells = append(row.Cells, c)
		}
		d.Rows = append(d.Rows, row)
	}
	if d.Waiting, err = u.Engine.Store.Pages.PromotionPage(ctx, slipway.PromotionFilter{Active: true}, 0, 50); err != nil {
		return "", err
	}
	v.Title, v.Nav, v.Data = "Environments", "matrix", d
	return "matrix", nil
}

// lastAttempt is the newest promotion of service into env when the
// matrix should show it next to what runs, else nil. The rule: it is shown
// when (1) no promotion of that pin is under way (the caller checks: an
// active one is the cell's "next" line), and (2) the newest promotion of
// the pin ended without its build running: aborted, failed, superseded or
// rolled-back (a rejection keeps a promotion waiting, so it is the active
// one). Then it is newer than what runs by construction: what runs is the
// newest succeeded promotion, and newest is the store's creation order
// (PromotionSeq), not a clock; with at most one active promotion per pin,
// created later also means ended later. A rolled-back promotion ran and
// was reverted: the cell shows the older success that runs again, and
// this line says what was rolled back.
func (u *UI) lastAttempt(ctx context.Context, service, env string, tags releaseTags) (*attempt, error) {
	ps, err := u.Engine.Store.Pages.PromotionPage(ctx, slipway.PromotionFilter{Service: service, Env: env}, 0, 1)
	if err != nil || len(ps) == 0 {
		return nil, err
	}
	p := ps[0]
	if p.State.Active() || p.State == slipway.StateSucceeded {
		return nil, nil
	}
	return &attempt{P: p, Version: tags.of(ctx, p), Tone: tone(p.State), Ago: ago(u.Engine.Now(), p.Updated)}, nil
}

// releaseTags finds the release tag of a promotion made before its build
// was released (dev), once per build for one page.
type releaseTags struct {
	st   slipway.ReleaseStore
	seen map[string]string
}

func (u *UI) releaseTags() releaseTags {
	return releaseTags{st: u.Engine.Store.Releases, seen: map[string]string{}}
}

// of is p's release tag: its own, else its build's release ("" for none,
// or when the store cannot say: the page shows the digest then).
func (t releaseTags) of(ctx context.Context, p *slipway.Promotion) string {
	if p.Release != "" {
		return p.Release
	}
	tag, ok := t.seen[p.BuildID]
	if !ok {
		if rel, err := t.st.ReleaseOfBuild(ctx, p.BuildID); err == nil && rel != nil {
			tag = rel.Tag
		}
		t.seen[p.BuildID] = tag
	}
	return tag
}

// ---- one promotion ----

type promotionData struct {
	P         *slipway.Promotion
	Tone      string
	Gates     *engine.GateReport // nil when the promotion does not wait
	GatesNote string             // why there are no gates to show
	Approvals []slipway.Approval
	History   []slipway.Transition
	Diff      pinDiff
	CanDecide bool // approve and reject forms are shown (the engine decides)
	HasCanary bool
}

// gateTone is a gate's colour class.
func gateTone(s gate.State) string {
	switch s {
	case gate.Pass:
		return "ok"
	case gate.Wait:
		return "wait"
	}
	return "bad"
}

var notices = map[string]string{
	"approved":        "Your approval is recorded.",
	"rejected":        "Your rejection is recorded.",
	"canary-promoted": "The canary goes on: your decision is recorded.",
	"canary-aborted":  "The canary is aborted: traffic is back on stable and Git is reverted.",
	"hold-released":   "The hold is released: the digest may be promoted again.",
	"overridden":      "Break glass recorded: windows and stop switches no longer hold this promotion.",
	"line-stopped":    "The line is stopped: nothing moves there until it is lifted.",
	"line-restarted":  "The stop switch is lifted.",
}

func (u *UI) promotion(w http.ResponseWriter, r *http.Request, v *view) (string, error) {
	d, err := u.promotionData(r.Context(), r.PathValue("id"))
	if err != nil {
		return "", err
	}
	v.Notice = notices[r.URL.Query().Get("done")]
	v.Title, v.Nav, v.Data = "Promotion "+d.P.ID, "promotions", d
	return "promotion", nil
}

func (u *UI) promotionData(ctx context.Context, id string) (*promotionData, error) {
	st := u.Engine.Store
	p, err := st.Promotions.Promotion(ctx, id)
	if err != nil {
		return nil, err
	}
	d := &promotionData{P: p, Tone: tone(p.State), CanDecide: p.State == slipway.StateWaiting}
	if env, _, err := u.Engine.Cfg.Environment(p.Env); err == nil && env.ForgeApprovals && p.State == slipway.StateReviewOpen {
		d.CanDecide = true // approvals count until the pull request merges (engine.Approve)
	}
	if d.History, err = st.Promotions.History(ctx, id); err != nil {
		return nil, err
	}
	if d.Approvals, err = st.Gates.Approvals(ctx, id); err != nil {
		return nil, err
	}
	if p.State.Active() && p.State != slipway.StatePinning {
		// The gates of the promotion waiting for this service and
		// environment, as `slipway why` shows them.
		rep, err := u.Engine.Why(ctx, p.Service, p.Env)
		switch {
		case err != nil:
			d.GatesNote = "The gates could not be evaluated: " + err.Error()
		case rep.PromotionID != p.ID:
			d.GatesNote = "Promotion " + rep.PromotionID + " is the one waiting now."
		default:
			d.Gates = rep
		}
	} else {
		d.GatesNote = "Gates are evaluated while a promotion waits; this one is " + string(p.State) + " (its history below says how it got here)."
	}
	runs, err := st.Analysis.AnalysisRuns(ctx, id)
	if err != nil {
		return nil, err
	}
	cp, err := st.Promotions.CanaryProgress(ctx, id)
	if err != nil {
		return nil, err
	}
	d.HasCanary = len(runs) > 0 || cp != nil
	d.Diff = u.pinDiff(ctx, p)
	return d, nil
}

// decide approves or rejects through the engine, as the person logged in;
// the engine's refusal (403 for one's own change) is shown on the page.
func (u *UI) decide(approve bool) pageFunc {
	done := map[bool]string{true: "approved", false: "rejected"}[approve]
	return u.actOnPromotion(done, func(r *http.Request, id, user string) error {
		_, err := u.Engine.Approve(r.Context(), id, user, approve, r.PostFormValue("comment"))
		return err
	})
}

// canaryDecision promotes or aborts a paused canary through the engine,
// as the person logged in (it needs canary-decide and a reason).
func (u *UI) canaryDecision(promote bool) pageFunc {
	done := map[bool]string{true: "canary-promoted", false: "canary-aborted"}[promote]
	return u.actOnPromotion(done, func(r *http.Request, id, user string) error {
		_, err := u.Engine.DecideCanary(r.Context(), id, user, promote, r.PostFormValue("reason"))
		return err
	})
}

// override breaks glass: the promotion may pass sync windows and stop
// switches (the engine checks override and audits it).
func (u *UI) override(w http.ResponseWriter, r *http.Request, v *view) (string, error) {
	return u.actOnPromotion("overridden", func(r *http.Request, id, user string) error {
		_, err := u.Engine.Override(r.Context(), id, user, r.PostFormValue("reason"))
		return err
	})(w, r, v)
}

// actOnPromotion runs one change to a promotion as the person logged in:
// on success back to its page with the done notice; a refusal is shown on
// that page in the engine's words, with the API's status.
func (u *UI) actOnPromotion(done string, act func(r *http.Request, id, user string) error) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, v *view) (string, error) {
		id := r.PathValue("id")
		if err := act(r, id, slipway.ActorFrom(r.Context()).Name); err != nil {
			d, derr := u.promotionData(r.Context(), id)
			if derr != nil {
				return "", err
			}
			v.Status, _ = api.StatusOf(err)
			v.Error = err.Error()
			v.Title, v.Nav, v.Data = "Promotion "+id, "promotions", d
			return "promotion", nil
		}
		http.Redirect(w, r, "/promotions/"+id+"?done="+done, http.StatusSeeOther)
		return "", nil
	}
}

// ---- the canary ----

type canaryData struct {
	P        *slipway.Promotion
	Tone     string
	Progress *slipway.CanaryProgress
	Runs     []canaryRun
	Abort    string // why the canary was aborted
}

type canaryRun struct {
	Run          slipway.AnalysisRun
	Charts       []chart
	Measurements []slipway.Measurement
}

func (u *UI) canary(w http.ResponseWriter, r *http.Request, v *view) (string, error) {
	ctx, st, id := r.Context(), u.Engine.Store, r.PathValue("id")
	p, err := st.Promotions.Promotion(ctx, id)
	if err != nil {
		return "", err
	}
	d := canaryData{P: p, Tone: tone(p.State)}
	if d.Progress, err = st.Promotions.CanaryProgress(ctx, id); err != nil {
		return "", err
	}
	if p.State == slipway.StateAborted {
		d.Abort = p.Reason
	}
	runs, err := st.Analysis.AnalysisRuns(ctx, id)
	if err != nil {
		return "", err
	}
	for i, run := range runs {
		ms, err := st.Analysis.Measurements(ctx, run.ID)
		if err != nil {
			return "", err
		}
		d.Runs = append(d.Runs, canaryRun{Run: run, Measurements: ms, Charts: charts(ms, "run"+strconv.Itoa(i+1))})
	}
	v.Title, v.Nav, v.Data = "Canary of "+p.ID, "promotions", d
	return "canary", nil
}

// ---- releases ----

type releasesData struct {
	Releases []*slipway.Release
}

func (u *UI) releases(w http.ResponseWriter, r *http.Request, v *view) (string, error) {
	rs, err := u.Engine.Store.Releases.Releases(r.Context(), r.URL.Query().Get("service"))
	if err != nil {
		return "", err
	}
	v.Title, v.Nav, v.Data = "Releases", "releases", releasesData{Releases: rs}
	return "releases", nil
}

type releaseData struct {
	R          *slipway.Release
	Build      *slipway.Build
	Notes      []block
	Promotions []*slipway.Promotion
}

func (u *UI) release(w http.ResponseWriter, r *http.Request, v *view) (string, error) {
	ctx, st := r.Context(), u.Engine.Store
	svc, version := r.PathValue("service"), r.PathValue("version")
	rs, err := st.Releases.Releases(ctx, svc)
	if err != nil {
		return "", err
	}
	d := releaseData{}
	for _, x := range rs {
		if x.Version == version || "v"+x.Version == version {
			d.R = x
			break
		}
	}
	if d.R == nil {
		return "", slipway.Errorf(slipway.ENOTFOUND, "%s has no release %s: see the list of releases", svc, version)
	}
	if d.Build, err = st.Builds.Build(ctx, d.R.BuildID); err != nil && slipway.ErrorCode(err) != slipway.ENOTFOUND {
		return "", err
	}
	d.Notes = markdown(d.R.Notes)
	if d.Build != nil {
		if d.Promotions, err = st.Promotions.Promotions(ctx, slipway.PromotionFilter{Service: svc, Digest: d.Build.Digest}); err != nil {
			return "", err
		}
	}
	v.Title, v.Nav, v.Data = d.R.Service+" "+d.R.Tag, "releases", d
	return "release", nil
}

// ---- holds, stops and windows ----

type windowRow struct {
	Env, Service string
	Windows      int // configured windows (0: always open)
	Decision     *window.Decision
}

type freezesData struct {
	Now     time.Time
	Envs    []string // for the stop form
	Holds   []slipway.Hold
	Stops   []slipway.Stop
	Windows []windowRow
}

// freezes says what is frozen now and when that changes: held digests,
// stop switches, and each environment's sync windows for each service, as
// the window gate decides them.
func (u *UI) freezes(w http.ResponseWriter, r *http.Request, v *view) (string, error) {
	ctx, e := r.Context(), u.Engine
	d := freezesData{Now: e.Now()}
	for _, env := range e.Cfg.Environments {
		d.Envs = append(d.Envs, env.Name)
	}
	var err error
	if d.Holds, err = e.Store.Holds.Holds(ctx, "", false); err != nil {
		return "", err
	}
	if d.Stops, err = e.Store.Gates.Stops(ctx); err != nil {
		return "", err
	}
	for _, env := range e.Cfg.Environments {
		set, err := e.SyncWindows(ctx, env.Name)
		if err != nil {
			return "", err
		}
		for _, s := range e.Cfg.Services {
			row := windowRow{Env: env.Name, Service: s.Name}
			if set != nil {
				dec := set.Evaluate(window.Query{At: d.Now, Manual: true,
					Target: window.Target{Application: s.Application, Namespace: env.Namespace, ClusterName: env.ClusterName, ClusterServer: env.ClusterServer}})
				row.Windows, row.Decision = len(set.Windows), &dec
			}
			d.Windows = append(d.Windows, row)
		}
	}
	v.Notice = notices[r.URL.Query().Get("done")]
	v.Title, v.Nav, v.Data = "Holds, stops and windows", "freezes", d
	return "freezes", nil
}

// releaseHold lets a held digest be promoted again, as the person logged
// in (the engine checks hold-release).
func (u *UI) releaseHold(w http.ResponseWriter, r *http.Request, v *view) (string, error) {
	return u.actOnFreezes(w, r, v, "hold-released", func(user string) error {
		return u.Engine.ReleaseHold(r.Context(), r.PostFormValue("service"), r.PostFormValue("digest"), user)
	})
}

// stopLine turns a stop switch on for one environment (env) or every one
// (env empty), as the person logged in (the engine checks stop).
func (u *UI) stopLine(w http.ResponseWriter, r *http.Request, v *view) (string, error) {
	return u.actOnFreezes(w, r, v, "line-stopped", func(user string) error {
		return u.Engine.StopLine(r.Context(), r.PostFormValue("env"), user, r.PostFormValue("reason"))
	})
}

// liftStop turns a stop switch off.
func (u *UI) liftStop(w http.ResponseWriter, r *http.Request, v *view) (string, error) {
	return u.actOnFreezes(w, r, v, "line-restarted", func(user string) error {
		return u.Engine.LiftStop(r.Context(), r.PostFormValue("env"), user)
	})
}

// actOnFreezes runs one change from the freezes page: on success back to
// it with the done notice; a refusal is shown on it in the engine's words.
func (u *UI) actOnFreezes(w http.ResponseWriter, r *http.Request, v *view, done string, act func(user string) error) (string, error) {
	if err := act(slipway.ActorFrom(r.Context()).Name); err != nil {
		page, ferr := u.freezes(w, r, v)
		if ferr != nil {
			return "", err
		}
		v.Status, _ = api.StatusOf(err)
		v.Error = err.Error()
		return page, nil
	}
	http.Redirect(w, r, "/freezes?done="+done, http.StatusSeeOther)
	return "", nil
}

// ---- the audit trail ----

const auditPageSize = 50

type auditData struct {
	Entries []slipway.AuditEntry
	Next    int64 // the before= of the next page (0: none)
	First   bool
}

func (u *UI) audit(w http.ResponseWriter, r *http.Request, v *view) (string, error) {
	var before int64
	if b := r.URL.Query().Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return "", slipway.Errorf(slipway.EINVALID, "before=%q: give an entry number from this page's links", b)
		}
		before = n
	}
	es, err := u.Engine.Store.Pages.AuditPage(r.Context(), before, auditPageSize+1)
	if err != nil {
		return "", err
	}
	d := auditData{First: before == 0}
	if len(es) > auditPageSize {
		es = es[:auditPageSize]
		d.Next = es[auditPageSize-1].Seq
	}
	d.Entries = es
	v.Title, v.Nav, v.Data = "Audit trail", "audit", d
	return "audit", nil
}
