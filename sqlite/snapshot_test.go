package sqlite

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/slipway/slipway"
)

// TestSnapshotReadsOneState: the reads of a snapshot see the database as
// it was at the first of them, whatever another process commits between
// them; once it ends, reads see the change.
func TestSnapshotReadsOneState(t *testing.T) {
	w := newMatrixWorld(t)
	p := w.promote(t, w.db.Store(), "api", "dev")
	st := w.db.Store()
	ctx, end := st.Snapshot(context.Background())
	defer end()
	if got, err := st.Promotions.Promotion(ctx, p.ID); err != nil || got.Reason != "evaluating gates" {
		t.Fatalf("%+v %v", got, err)
	}
	p.Reason = "waiting: approvals: 1 of 2"
	if err := w.other.Store().Promotions.Update(context.Background(), p, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Promotions.Promotion(ctx, p.ID); got.Reason != "evaluating gates" {
		t.Fatalf("a snapshot saw a later commit: %q", got.Reason)
	}
	if got, _ := st.Promotions.Promotion(context.Background(), p.ID); got.Reason != p.Reason {
		t.Fatalf("a read outside the snapshot missed the commit: %q", got.Reason)
	}
	end()
	if got, _ := st.Promotions.Promotion(ctx, p.ID); got.Reason != p.Reason {
		t.Fatalf("a read after the snapshot ended missed the commit: %q", got.Reason)
	}
}

// TestSnapshotSeesItsOwnWrites: a write made with a snapshot's context
// ends the snapshot, so the reads after it see the write (an approval's
// answer is the promotion as stored after it).
func TestSnapshotSeesItsOwnWrites(t *testing.T) {
	w := newMatrixWorld(t)
	p := w.promote(t, w.db.Store(), "api", "dev")
	st := w.db.Store()
	ctx, end := st.Snapshot(context.Background())
	defer end()
	if as, err := st.Gates.Approvals(ctx, p.ID); err != nil || len(as) != 0 {
		t.Fatalf("%v %v", as, err)
	}
	if err := st.Gates.AddApproval(ctx, &slipway.Approval{PromotionID: p.ID, User: "bob@example.com", Digest: p.Digest, Approve: true, At: t0}); err != nil {
		t.Fatal(err)
	}
	if as, err := st.Gates.Approvals(ctx, p.ID); err != nil || len(as) != 1 {
		t.Fatalf("the approval written in the snapshot's context is not read after it: %v %v", as, err)
	}
	// A transaction (Transition) ends it the same way.
	ctx2, end2 := st.Snapshot(context.Background())
	defer end2()
	st.Promotions.Promotion(ctx2, p.ID)
	if err := st.Promotions.Transition(ctx2, p, slipway.StatePinning, "gates passed", t0); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Promotions.Promotion(ctx2, p.ID); got.State != slipway.StatePinning {
		t.Fatalf("the transition written in the snapshot's context is not read after it: %s", got.State)
	}
}

// TestSnapshotsNeverWaitForEachOther: as many readers as the pool has
// connections, each in a snapshot (which holds a connection), all at once,
// then each reading statements never prepared before (preparing takes a
// connection): they must all finish. Had snapshots prepared statements
// through the pool, they would wait for each other's connections forever.
func TestSnapshotsNeverWaitForEachOther(t *testing.T) {
	db := open(t, t.TempDir())
	const readers = maxConns
	var begun sync.WaitGroup
	begun.Add(readers)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for g := range readers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, end := db.Snapshot(context.Background())
				defer end()
				var n int
				if err := db.db.QueryRowContext(ctx, "SELECT count(*) FROM promotions").Scan(&n); err != nil {
					t.Error(err)
				}
				begun.Done()
				begun.Wait() // every connection is in a snapshot now
				for i := range 4 {
					q := fmt.Sprintf("SELECT %d + count(*) FROM promotions WHERE service <> 'g%d-%d'", i, g, i)
					if err := db.db.QueryRowContext(ctx, q).Scan(&n); err != nil || n != i {
						t.Errorf("%s: %d %v", q, n, err)
					}
				}
			}()
		}
		wg.Wait()
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("readers in snapshots waited for each other for 30s")
	}
}

// TestSnapshotInSnapshot: a snapshot asked for within one is the same
// (a second would hold a second connection).
func TestSnapshotInSnapshot(t *testing.T) {
	db := open(t, t.TempDir())
	ctx, end := db.Snapshot(context.Background())
	defer end()
	inner, endInner := db.Snapshot(ctx)
	if inner != ctx {
		t.Fatal("a snapshot within a snapshot is a new one")
	}
	endInner()
	if sn := ctx.Value(snapshotKey{}).(*snapshot); sn.done {
		t.Fatal("ending the inner snapshot ended the outer one")
	}
}
