package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slipway/slipway"
)

func rollout(env, version string) *slipway.Rollout {
	return &slipway.Rollout{
		Platform: "acme", Version: version, Env: env, State: slipway.RolloutRunning, Requester: "alice@example.com",
		Waves: []slipway.RolloutWave{{Step: 1, MaxUpdate: 1, Services: []string{"api"}}, {Step: 2, MaxUpdate: 0, Services: []string{"web"}}},
		Services: []slipway.RolloutService{
			{Service: "api", Version: "1.2.0", Tag: "api/v1.2.0", BuildID: "api-1", Digest: digest("a"), Wave: 0, State: slipway.ServicePending},
			{Service: "web", Version: "2.0.0", Digest: digest("b"), Wave: 1, State: slipway.ServicePending},
			{Service: "cron", Version: "0.1.0", Digest: digest("c"), Wave: -1, State: slipway.ServiceExcluded},
		},
		Created: T0,
	}
}

// testRollouts: a rollout reads back as stored (plan, per-service records,
// times in UTC); updates are compare-and-swap on the revision; one active
// rollout per environment, and a finished one frees it.
func testRollouts(t *testing.T, st slipway.Store) {
	r := rollout("prod", "1.4.0")
	r.RollbackAll = true
	if err := st.Rollouts.CreateRollout(ctx, r); err != nil || r.ID == "" || r.Revision != 1 {
		t.Fatalf("create: %v %+v", err, r)
	}
	got, err := st.Rollouts.Rollout(ctx, r.ID)
	if err != nil || got.Version != "1.4.0" || !got.RollbackAll || len(got.Waves) != 2 || got.Waves[1].MaxUpdate != 0 || got.Waves[0].Services[0] != "api" ||
		len(got.Services) != 3 || got.Service("cron").Wave != -1 || got.Service("api").Tag != "api/v1.2.0" || !got.Created.Equal(T0) || got.Created.Location() != time.UTC {
		t.Fatalf("read back %+v %v", got, err)
	}
	_, err = st.Rollouts.Rollout(ctx, "r-999")
	code(t, err, slipway.ENOTFOUND)

	// A second rollout into prod is refused naming the first; staging is free.
	err = st.Rollouts.CreateRollout(ctx, rollout("prod", "1.5.0"))
	code(t, err, slipway.ECONFLICT)
	if err == nil || !contains(err.Error(), r.ID) {
		t.Fatalf("conflict should name %s: %v", r.ID, err)
	}
	other := rollout("staging", "1.5.0")
	if err := st.Rollouts.CreateRollout(ctx, other); err != nil {
		t.Fatal(err)
	}

	// Compare-and-swap: the promotion id is recorded; a stale copy is refused.
	stale := *got
	got.Service("api").State, got.Service("api").PromotionID = slipway.ServicePromoting, "p-7"
	got.Updated = T0.Add(time.Minute)
	if err := st.Rollouts.UpdateRollout(ctx, got); err != nil || got.Revision != 2 {
		t.Fatalf("update: %v revision %d", err, got.Revision)
	}
	stale.State = slipway.RolloutPaused
	code(t, st.Rollouts.UpdateRollout(ctx, &stale), slipway.ECONFLICT)
	again, _ := st.Rollouts.Rollout(ctx, r.ID)
	if again.Service("api").PromotionID != "p-7" || again.State != slipway.RolloutRunning || again.Revision != 2 {
		t.Fatalf("a refused update changed the rollout: %+v", again)
	}
	missing := *again
	missing.ID = "r-999"
	code(t, st.Rollouts.UpdateRollout(ctx, &missing), slipway.ENOTFOUND)

	// Listing: newest first; Active leaves out finished ones.
	again.State, again.Wave = slipway.RolloutSucceeded, 2
	if err := st.Rollouts.UpdateRollout(ctx, again); err != nil {
		t.Fatal(err)
	}
	all, err := st.Rollouts.Rollouts(ctx, slipway.RolloutFilter{})
	if err != nil || len(all) != 2 || all[0].ID != other.ID {
		t.Fatalf("all rollouts, newest first: %v %v", ids(all), err)
	}
	if act, _ := st.Rollouts.Rollouts(ctx, slipway.RolloutFilter{Active: true}); len(act) != 1 || act[0].ID != other.ID {
		t.Fatalf("active rollouts: %v", ids(act))
	}
	if p, _ := st.Rollouts.Rollouts(ctx, slipway.RolloutFilter{Env: "prod"}); len(p) != 1 || p[0].ID != r.ID {
		t.Fatalf("prod rollouts: %v", ids(p))
	}
	// prod is free again once its rollout finished.
	if err := st.Rollouts.CreateRollout(ctx, rollout("prod", "1.5.0")); err != nil {
		t.Fatalf("a finished rollout must not block the next: %v", err)
	}
}

// testRolloutContention: many processes start a rollout into one
// environment at once; exactly one wins, the others are refused.
func testRolloutContention(t *testing.T, st slipway.Store) {
	const n = 12
	var wg sync.WaitGroup
	var mu sync.Mutex
	won, refused := 0, 0
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			err := st.Rollouts.CreateRollout(ctx, rollout("prod", fmt.Sprintf("1.%d.0", i)))
			mu.Lock()
			defer mu.Unlock()
			switch slipway.ErrorCode(err) {
			case "":
				won++
			case slipway.ECONFLICT:
				refused++
			default:
				t.Errorf("create %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	if won != 1 || refused != n-1 {
		t.Fatalf("%d rollouts created, %d refused; want 1 and %d", won, refused, n-1)
	}
}

func ids(rs []*slipway.Rollout) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID+":"+string(r.State))
	}
	return out
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
