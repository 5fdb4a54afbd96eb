package ui

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/slipway/slipway"
)

// ---- every promotion ----

// promotionsPageSize is how many promotions one page of /promotions lists.
const promotionsPageSize = 50

// stateActive is the state filter's value for every state under way
// (slipway.PromotionFilter.Active).
const stateActive = "active"

// listFilter is what /promotions was asked for, as the form shows it.
type listFilter struct {
	Service, Env, State string
}

// query is the filter as URL parameters, with before when not empty.
func (f listFilter) query(before string) string {
	q := url.Values{}
	for k, v := range map[string]string{"service": f.Service, "env": f.Env, "state": f.State, "before": before} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if len(q) == 0 {
		return "/promotions"
	}
	return "/promotions?" + q.Encode()
}

type listRow struct {
	P       *slipway.Promotion
	Version string
}

type promotionsData struct {
	Services, Envs []string
	States         []slipway.PromotionState
	Filter         listFilter
	Invalid        bool // a filter was refused: no list
	Rows           []listRow
	First          bool   // the newest page
	FirstURL       string // the newest page with the same filters
	NextURL        string // the next (older) page ("": none)
}

// promotions lists every promotion, newest first, a page at a time
// (?before=<id>: older than that promotion), narrowed by service,
// environment and state. A filter value that names nothing is refused with
// 400 on the page, its form kept, so the person can correct it.
func (u *UI) promotions(w http.ResponseWriter, r *http.Request, v *view) (string, error) {
	cfg, q := u.Engine.Cfg, r.URL.Query()
	d := promotionsData{States: slipway.States, Filter: listFilter{Service: q.Get("service"), Env: q.Get("env"), State: q.Get("state")}}
	for _, s := range cfg.Services {
		d.Services = append(d.Services, s.Name)
	}
	for _, e := range cfg.Environments {
		d.Envs = append(d.Envs, e.Name)
	}
	d.FirstURL = d.Filter.query("")
	d.First = q.Get("before") == ""
	v.Title, v.Nav, v.Data = "Promotions", "promotions", &d
	f, before, err := d.storeFilter(q.Get("before"))
	if err != nil {
		d.Invalid, v.Status, v.Error = true, http.StatusBadRequest, err.Error()
		return "promotions", nil
	}
	size := u.pageSize
	if size <= 0 {
		size = promotionsPageSize
	}
	ps, err := u.Engine.Store.Pages.PromotionPage(r.Context(), f, before, size+1)
	if err != nil {
		return "", err
	}
	if len(ps) > size {
		ps = ps[:size]
		d.NextURL = d.Filter.query(ps[size-1].ID)
	}
	tags := u.releaseTags()
	for _, p := range ps {
		d.Rows = append(d.Rows, listRow{P: p, Version: tags.of(r.Context(), p)})
	}
	return "promotions", nil
}

// storeFilter checks the filters against slipway.yaml and the states
// and returns the store's filter and cursor; the error names the field
// and the values it takes.
func (d *promotionsData) storeFilter(before string) (slipway.PromotionFilter, int64, error) {
	f := slipway.PromotionFilter{Service: d.Filter.Service, Env: d.Filter.Env}
	if f.Service != "" && !slices.Contains(d.Services, f.Service) {
		return f, 0, fmt.Errorf("service=%q is not a service of slipway.yaml: choose one of %s, or any service", f.Service, strings.Join(d.Services, ", "))
	}
	if f.Env != "" && !slices.Contains(d.Envs, f.Env) {
		return f, 0, fmt.Errorf("env=%q is not an environment of slipway.yaml: choose one of %s, or any environment", f.Env, strings.Join(d.Envs, ", "))
	}
	switch st := slipway.PromotionState(d.Filter.State); {
	case d.Filter.State == "":
	case d.Filter.State == stateActive:
		f.Active = true
	case slices.Contains(slipway.States, st):
		f.State = st
	default:
		names := make([]string, len(slipway.States))
		for i, s := range slipway.States {
			names[i] = string(s)
		}
		return f, 0, fmt.Errorf("state=%q is not a promotion state: choose one of %s, %s (any state under way), or any state", d.Filter.State, strings.Join(names, ", "), stateActive)
	}
	var seq int64
	if before != "" {
		if seq = slipway.PromotionSeq(before); seq == 0 {
			return f, 0, fmt.Errorf("before=%q is not a promotion id: follow the page links (they give one such as p-42)", before)
		}
	}
	return f, seq, nil
}
