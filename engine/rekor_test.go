package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/tlog/rekor"
	"github.com/slipway/slipway/tlog/rekor/rekortest"
)

// TestIntakeRecordsKeySignaturesInRekor: with a Rekor log configured, a
// build signed with a key and no log entry gets one at intake, verified
// against the pinned log key and naming exactly this signature; a log that
// is down or answers with another entry refuses the intake and records no
// build. No Rekor runs here: rekortest plays one with Rekor's own
// server-side code (see its package comment).
func TestIntakeRecordsKeySignaturesInRekor(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	log := rekortest.New(t)
	c, err := rekor.New(log.URL, log.Key, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.e.Rekor = c

	ref, commit := f.build("1.0.0", f.signer)
	b, _, err := f.e.RegisterBuild(ctx, "api", commit, ref.String())
	if err != nil {
		t.Fatal(err)
	}
	idx, leaf, ok := strings.Cut(b.RekorEntry, ":")
	if !ok || idx != "2605736670" || len(leaf) != 64 || log.Entries() != 1 {
		t.Fatalf("rekor entry of the build %q (log holds %d)", b.RekorEntry, log.Entries())
	}
	// The entry records this signature: uploading it again finds it.
	again, _, err := f.e.RegisterBuild(ctx, "api", commit, ref.String())
	if err != nil || again.RekorEntry != b.RekorEntry || log.Entries() != 1 {
		t.Fatalf("second intake: %q %v (log holds %d)", again.RekorEntry, err, log.Entries())
	}

	// A log that answers every upload with its first entry is caught.
	log.SetReplay(true)
	ref2, commit2 := f.build("1.0.1", f.signer)
	if _, _, err := f.e.RegisterBuild(ctx, "api", commit2, ref2.String()); err == nil || !strings.Contains(err.Error(), "rekor") {
		t.Fatalf("a replayed entry was accepted: %v", err)
	}
	if _, err := f.e.Store.Builds.Build(ctx, slipway.BuildID("api", ref2.Digest)); slipway.ErrorCode(err) != slipway.ENOTFOUND {
		t.Fatalf("a build was recorded without its log entry: %v", err)
	}
	log.SetReplay(false)

	// A log that is down: refused, nothing recorded, and it says what to do.
	log.Close()
	if _, _, err := f.e.RegisterBuild(ctx, "api", commit2, ref2.String()); err == nil || !strings.Contains(err.Error(), "register the build again once the log answers") {
		t.Fatalf("intake with the log down: %v", err)
	}
	if _, err := f.e.Store.Builds.Build(ctx, slipway.BuildID("api", ref2.Digest)); slipway.ErrorCode(err) != slipway.ENOTFOUND {
		t.Fatalf("a build was recorded while the log was down: %v", err)
	}
}
