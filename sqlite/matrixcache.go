package sqlite

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/slipway/slipway"
)

// matrixCache keeps, per service, the promotions of the environment
// matrix (the newest succeeded per environment and the active ones) with
// the service's version when they were read. The version is kept by
// triggers on promotions (migration 0009), so it moves with every change
// to the service's promotions whoever makes it; a service's rows are
// reused only while its version is the one read with them, which one
// indexed read per page checks. The matrix was the costliest read of the
// API (a fifth of the server's time under load): most of its rows had not
// changed since the last time.
type matrixCache struct {
	mu       sync.Mutex
	services map[string]matrixRows
}

type matrixRows struct {
	version int64
	rows    []slipway.Promotion
}

// maxMatrixServices bounds the cache (a few kilobytes a service); past it,
// it starts again.
const maxMatrixServices = 4096

// get returns the cached rows of svc if they were read at version v.
func (c *matrixCache) get(svc string, v int64) ([]slipway.Promotion, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	x, ok := c.services[svc]
	if !ok || x.version != v {
		return nil, false
	}
	return x.rows, true
}

// put keeps the rows of svc read at version v (or later: the version is
// read first), unless rows of a newer version are there already.
func (c *matrixCache) put(svc string, v int64, rows []slipway.Promotion) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if x, ok := c.services[svc]; ok && x.version > v {
		return
	}
	if c.services == nil || len(c.services) >= maxMatrixServices {
		c.services = map[string]matrixRows{}
	}
	c.services[svc] = matrixRows{version: v, rows: rows}
}

// Matrix lists, for each (service, environment) of the services, the
// newest succeeded promotion (what runs) and the active ones, oldest
// first. It reads the services' versions, then the rows of the services
// whose version moved since they were cached. The versions are read
// first: rows read after them are at least as new, so a change in between
// only makes the next read look again, never keeps a stale row.
func (s *PageStore) Matrix(ctx context.Context, services []string) ([]*slipway.Promotion, error) {
	if len(services) == 0 {
		return nil, nil
	}
	versions, err := s.promotionVersions(ctx, services)
	if err != nil {
		return nil, err
	}
	var out []*slipway.Promotion
	var missed []string
	for _, svc := range services {
		rows, ok := s.matrix.get(svc, versions[svc])
		if !ok {
			missed = append(missed, svc)
			continue
		}
		for i := range rows {
			p := rows[i] // a copy: callers own what they get
			out = append(out, &p)
		}
	}
	if len(missed) > 0 {
		ps, err := s.matrixRows(ctx, missed)
		if err != nil {
			return nil, err
		}
		by := map[string][]slipway.Promotion{}
		for _, p := range ps {
			by[p.Service] = append(by[p.Service], *p)
		}
		for _, svc := range missed {
			s.matrix.put(svc, versions[svc], by[svc])
		}
		out = append(out, ps...)
	}
	sortBySeq(out)
	return out, nil
}

// promotionVersions reads the versions of services (0 for a service that
// never had a promotion).
func (s *PageStore) promotionVersions(ctx context.Context, services []string) (map[string]int64, error) {
	args := make([]any, len(services))
	for i, svc := range services {
		args[i] = svc
	}
	type sv struct {
		service string
		version int64
	}
	vs, err := queryAll(ctx, s.DB, func(r rowScanner) (sv, error) {
		var x sv
		err := r.Scan(&x.service, &x.version)
		return x, err
	}, `SELECT service, version FROM promotion_versions WHERE service IN `+placeholders(len(services)), args...)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(vs))
	for _, x := range vs {
		out[x.service] = x.version
	}
	return out, nil
}

// matrixRows reads the matrix's rows of services from the table.
func (s *PageStore) matrixRows(ctx context.Context, services []string) ([]*slipway.Promotion, error) {
	args := make([]any, len(services))
	for i, svc := range services {
		args[i] = svc
	}
	// A range of promotions_by_state per service for what runs, a range of
	// the partial index promotions_one_active per service for what is
	// under way (the planner would rather seek promotions_by_state once per
	// active state, at twice the cost), then the rows by seq: a correlated
	// "last succeeded" subquery per row cost three times more.
	in := placeholders(len(services))
	return queryAll(ctx, s.DB, scanPromotion, promotionSelect+` WHERE seq IN (
		SELECT max(seq) FROM promotions WHERE service IN `+in+` AND state = 'succeeded' GROUP BY service, env
		UNION ALL SELECT seq FROM promotions INDEXED BY promotions_one_active WHERE service IN `+in+` AND state IN `+activeStates+`)
		ORDER BY seq`, append(args, args...)...)
}

// placeholders is "(?,?,…)" for n values.
func placeholders(n int) string { return `(?` + strings.Repeat(",?", n-1) + `)` }

// sortBySeq orders promotions oldest first (the order of their ids).
func sortBySeq(ps []*slipway.Promotion) {
	slices.SortFunc(ps, func(a, b *slipway.Promotion) int {
		return cmp.Compare(slipway.PromotionSeq(a.ID), slipway.PromotionSeq(b.ID))
	})
}
