package postgres

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/postgres/pgtest"
	"github.com/slipway/slipway/sqlite"
	"github.com/slipway/slipway/storetest"
)

// BenchmarkPromotionLifecycle measures one promotion through the store:
// CreatePromotion, then pinning → synced → succeeded (3 transitions, each
// with its history row), in SQLite and in PostgreSQL (the pgtest server:
// loopback TCP, fsync off). "serial" is one caller; "parallel" is
// GOMAXPROCS callers on distinct pin locations, where SQLite's single
// writer and PostgreSQL's row locks differ.
//
//	go test -run '^$' -bench PromotionLifecycle -benchtime 2s ./postgres/
func BenchmarkPromotionLifecycle(b *testing.B) {
	stores := []struct {
		name string
		open func(b *testing.B) slipway.Store
	}{
		{"sqlite", func(b *testing.B) slipway.Store {
			db, err := sqlite.Open(ctx, b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			return db.Store()
		}},
		{"postgres", func(b *testing.B) slipway.Store { return open(b, pgtest.DSN(b)).Store() }},
	}
	for _, s := range stores {
		b.Run(s.name+"/serial", func(b *testing.B) {
			st := s.open(b)
			build := benchBuild(b, st)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				lifecycle(b, st, build, "prod")
			}
		})
		b.Run(s.name+"/parallel", func(b *testing.B) {
			st := s.open(b)
			build := benchBuild(b, st)
			var envs atomic.Int64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				env := fmt.Sprintf("env-%d", envs.Add(1))
				for pb.Next() {
					lifecycle(b, st, build, env)
				}
			})
		})
	}
}

func benchBuild(b *testing.B, st slipway.Store) *slipway.Build {
	b.Helper()
	d := "sha256:" + fmt.Sprintf("%064x", 1)
	build := &slipway.Build{ID: slipway.BuildID("api", d), Service: "api", Commit: fmt.Sprintf("%040x", 1), Image: "r/api", Digest: d, KeyID: "k", Created: storetest.T0}
	if _, err := st.Builds.CreateBuild(ctx, build); err != nil {
		b.Fatal(err)
	}
	return build
}

func lifecycle(b *testing.B, st slipway.Store, build *slipway.Build, env string) {
	p := &slipway.Promotion{Service: build.Service, Env: env, BuildID: build.ID, Digest: build.Digest, Requester: "bench", State: slipway.StateWaiting, Created: storetest.T0}
	if _, err := st.Promotions.CreatePromotion(ctx, p, false); err != nil {
		b.Error(err)
		return
	}
	for _, to := range []slipway.PromotionState{slipway.StatePinning, slipway.StateSynced, slipway.StateSucceeded} {
		if err := st.Promotions.Transition(ctx, p, to, string(to), storetest.T0); err != nil {
			b.Error(err)
			return
		}
	}
}
