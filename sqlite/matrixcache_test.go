package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/storetest"
)

var t0 = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

// matrixWorld is a store with a few services' promotions, and a second
// handle on the same database: another process as far as caches go.
type matrixWorld struct {
	db, other *DB
	svcs      []string
	n         int
}

func newMatrixWorld(t *testing.T) *matrixWorld {
	dir := t.TempDir()
	w := &matrixWorld{db: open(t, dir), svcs: []string{"api", "db", "web"}}
	w.other = open(t, dir)
	return w
}

// promote creates a promotion of svc to env through st and moves it
// through states.
func (w *matrixWorld) promote(t *testing.T, st slipway.Store, svc, env string, states ...slipway.PromotionState) *slipway.Promotion {
	t.Helper()
	w.n++
	b := storetest.Build(t, st, svc, fmt.Sprintf("%x", w.n))
	p := &slipway.Promotion{Service: svc, Env: env, BuildID: b.ID, Digest: b.Digest, Requester: "alice@example.com", State: slipway.StateWaiting, Reason: "evaluating gates", Created: t0.Add(time.Duration(w.n) * time.Minute)}
	if _, err := st.Promotions.CreatePromotion(context.Background(), p, true); err != nil {
		t.Fatal(err)
	}
	for _, to := range states {
		if err := st.Promotions.Transition(context.Background(), p, to, string(to), p.Created); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// check asserts that the cached matrix is what the table holds now.
func (w *matrixWorld) check(t *testing.T, what string) {
	t.Helper()
	ctx := context.Background()
	pages := &PageStore{w.db}
	got, err := pages.Matrix(ctx, w.svcs)
	if err != nil {
		t.Fatal(err)
	}
	want, err := pages.matrixRows(ctx, w.svcs)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after %s: the matrix served\n%s\nthe store holds\n%s", what, describe(got), describe(want))
	}
}

func describe(ps []*slipway.Promotion) string {
	s := ""
	for _, p := range ps {
		s += fmt.Sprintf("  %s %s/%s %s %q\n", p.ID, p.Service, p.Env, p.State, p.Reason)
	}
	return s
}

// TestMatrixCacheIsNeverStale changes the promotions every way the store
// allows, through this handle, through another handle (another process)
// and with plain SQL (a writer that knows nothing of the cache), reading
// the matrix (and so filling its cache) between every change: each read
// must be what the table holds at that moment.
func TestMatrixCacheIsNeverStale(t *testing.T) {
	w := newMatrixWorld(t)
	ctx := context.Background()
	w.check(t, "nothing yet")
	w.promote(t, w.db.Store(), "api", "dev", slipway.StatePinning, slipway.StateSynced, slipway.StateSucceeded)
	w.check(t, "a success in dev")
	p := w.promote(t, w.db.Store(), "api", "staging")
	w.check(t, "a waiting promotion")
	p.Reason = "waiting: approvals: 1 of 2"
	if err := w.db.Store().Promotions.Update(ctx, p, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	w.check(t, "a new reason (an approval re-evaluated)")
	// Another process supersedes it.
	w.promote(t, w.other.Store(), "api", "staging")
	w.check(t, "a promotion superseded by another process")
	q := w.promote(t, w.other.Store(), "db", "dev", slipway.StatePinning)
	w.check(t, "another process's promotion of another service")
	if err := w.other.Store().Promotions.Transition(ctx, q, slipway.StateFailed, "pin refused", t0); err != nil {
		t.Fatal(err)
	}
	w.check(t, "another process failed it")
	// A writer outside the store's code.
	if _, err := w.other.db.DB.Exec(`UPDATE promotions SET reason = 'edited by hand' WHERE service = 'api' AND state = 'waiting'`); err != nil {
		t.Fatal(err)
	}
	w.check(t, "a reason changed by plain SQL")
	if _, err := w.other.db.DB.Exec(`UPDATE promotions SET service = 'web' WHERE service = 'db'`); err != nil {
		t.Fatal(err)
	}
	w.check(t, "promotions moved to another service by plain SQL")
	if _, err := w.other.db.DB.Exec(`DELETE FROM transitions WHERE promotion_id IN (SELECT id FROM promotions WHERE service = 'api' AND env = 'dev')`); err != nil {
		t.Fatal(err)
	}
	if _, err := w.other.db.DB.Exec(`DELETE FROM promotions WHERE service = 'api' AND env = 'dev'`); err != nil {
		t.Fatal(err)
	}
	w.check(t, "promotions deleted by plain SQL")
}

// TestMatrixCacheRandomChanges makes random changes from both handles and
// checks every read against the table.
func TestMatrixCacheRandomChanges(t *testing.T) {
	w := newMatrixWorld(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	envs := []string{"dev", "staging", "prod"}
	for i := range 150 {
		st := w.db.Store()
		if rng.IntN(2) == 0 {
			st = w.other.Store()
		}
		svc, env := w.svcs[rng.IntN(len(w.svcs))], envs[rng.IntN(len(envs))]
		active, err := st.Promotions.Promotions(ctx, slipway.PromotionFilter{Service: svc, Env: env, Active: true})
		if err != nil {
			t.Fatal(err)
		}
		switch op := rng.IntN(4); {
		case len(active) == 0 || (op == 0 && active[0].State.Supersedable()):
			w.promote(t, st, svc, env)
		case op == 1:
			p := active[0]
			p.Reason = fmt.Sprintf("waiting: approvals: %d of 9", i)
			if err := st.Promotions.Update(ctx, p, t0.Add(time.Duration(i)*time.Second)); err != nil {
				t.Fatal(err)
			}
		default:
			p := active[0]
			for _, to := range []slipway.PromotionState{slipway.StatePinning, slipway.StateSynced, slipway.StateSucceeded} {
				if slipway.CanTransition(p.State, to) {
					if err := st.Promotions.Transition(ctx, p, to, string(to), t0.Add(time.Duration(i)*time.Second)); err != nil {
						t.Fatal(err)
					}
					break
				}
			}
		}
		w.check(t, fmt.Sprintf("change %d", i))
	}
}

// TestMatrixCacheCopies: what Matrix returns is the caller's; changing it
// changes nothing the next caller reads.
func TestMatrixCacheCopies(t *testing.T) {
	w := newMatrixWorld(t)
	w.promote(t, w.db.Store(), "api", "dev")
	pages := w.db.Store().Pages
	first, err := pages.Matrix(context.Background(), []string{"api"})
	if err != nil || len(first) != 1 {
		t.Fatalf("%v %v", first, err)
	}
	first[0].Reason, first[0].State = "scribbled", slipway.StateFailed
	again, _ := pages.Matrix(context.Background(), []string{"api"})
	if again[0].Reason != "evaluating gates" || again[0].State != slipway.StateWaiting {
		t.Fatalf("a caller's change reached the cache: %+v", again[0])
	}
}
