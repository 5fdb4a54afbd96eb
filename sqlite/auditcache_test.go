package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/slipway/slipway"
)

// Decoded audit entries are reused only while the row holds the very text
// they came from, and callers never share the cache's slices.
func TestAuditCacheNeverServesStaleEntries(t *testing.T) {
	ctx := context.Background()
	db := open(t, t.TempDir())
	st := db.Store()
	for i := 0; i < 3; i++ {
		e := &slipway.AuditEntry{At: time.Date(2026, 12, 1, 9, i, 0, 0, time.UTC), Kind: "promoted", Service: "api", Env: "prod", Approvers: []string{"alice@example.com"}, PromotionID: "p-1"}
		if err := st.Audit.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	first, err := st.Pages.AuditPage(ctx, 0, 10)
	if err != nil || len(first) != 3 || first[0].Seq != 3 || first[0].Hash == "" {
		t.Fatalf("page %+v %v", first, err)
	}
	first[0].Approvers[0] = "mallory@example.com" // a caller scribbles on its copy
	again, _ := st.Pages.AuditPage(ctx, 0, 10)
	if again[0].Approvers[0] != "alice@example.com" {
		t.Fatalf("a caller's change reached the cache: %v", again[0].Approvers)
	}
	// Someone edits the stored row behind the store's back: the page shows
	// what is stored (and verification, which bypasses the cache, fails).
	if _, err := db.db.ExecContext(ctx, `UPDATE audit SET entry = json_set(entry, '$.verdict', 'forged') WHERE seq = 3`); err != nil {
		t.Fatal(err)
	}
	edited, _ := st.Pages.AuditPage(ctx, 0, 1)
	if edited[0].Verdict != "forged" {
		t.Fatalf("the cache hid an edited row: %+v", edited[0])
	}
	if all, _ := st.Audit.AuditEntries(ctx); all[2].Verdict != "forged" {
		t.Fatal("the chain read did not see the edit")
	}
}
