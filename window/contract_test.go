package window

import (
	"os"
	"testing"
	"time"
)

func mustParseFile(t *testing.T, path string) *Set {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse(path, data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestContract pins the worked examples of shared/contracts/README.md.
func TestContract(t *testing.T) {
	set := mustParseFile(t, "testdata/contract.yaml")
	type ma struct{ matched, active bool }
	cases := []struct {
		app     string
		at      string
		manual  bool
		canSync bool
		windows []ma
		reason  string
		next    string // "" = null
	}{
		{app: "payments-api", at: "2026-12-24T10:00:00Z", canSync: false,
			windows: []ma{{true, true}, {true, true}},
			reason:  "deny window 1 (0 0 24 12 *, 48h) is active until 2026-12-26T00:00:00Z",
			next:    "2026-12-28T08:00:00Z"},
		{app: "payments-api", at: "2026-12-24T10:00:00Z", manual: true, canSync: true,
			windows: []ma{{true, true}, {true, true}},
			// Manual passes the deny (manualSync) whatever the allow does; when the
			// deny ends on Saturday the inactive allow, without manualSync, blocks.
			reason: "deny window 1 (0 0 24 12 *, 48h) is active until 2026-12-26T00:00:00Z; manual sync is allowed by every active deny window",
			next:   "2026-12-26T00:00:00Z"},
		{app: "web", at: "2026-12-24T10:00:00Z", canSync: true,
			windows: []ma{{true, true}, {false, true}},
			reason:  "allow window 0 (0 9 * * 1-5, 8h, Europe/Berlin) is active until 2026-12-24T16:00:00Z",
			next:    "2026-12-24T16:00:00Z"},
		{app: "web", at: "2026-12-26T18:00:00Z", canSync: false,
			windows: []ma{{true, false}, {false, false}},
			reason:  "no allow window is active; allow window 0 (0 9 * * 1-5, 8h, Europe/Berlin) opens at 2026-12-28T08:00:00Z",
			next:    "2026-12-28T08:00:00Z"},
		{app: "web", at: "2026-12-28T07:59:59Z", canSync: false,
			windows: []ma{{true, false}, {false, false}},
			next:    "2026-12-28T08:00:00Z"},
		{app: "web", at: "2026-12-28T08:00:00Z", canSync: true,
			windows: []ma{{true, true}, {false, false}},
			next:    "2026-12-28T16:00:00Z"},
	}
	for _, c := range cases {
		d := set.Evaluate(Query{Target: Target{Application: c.app}, At: at(t, c.at), Manual: c.manual})
		name := c.app + "@" + c.at
		if d.Error != "" {
			t.Fatalf("%s: unexpected error %s", name, d.Error)
		}
		if d.CanSync != c.canSync {
			t.Errorf("%s manual=%v: canSync = %v, want %v (%s)", name, c.manual, d.CanSync, c.canSync, d.Reason)
		}
		for i, w := range c.windows {
			if got := d.Windows[i]; got.Matched != w.matched || got.Active != w.active {
				t.Errorf("%s: window %d matched/active = %v/%v, want %v/%v", name, i, got.Matched, got.Active, w.matched, w.active)
			}
		}
		if c.reason != "" && d.Reason != c.reason {
			t.Errorf("%s: reason\n got %q\nwant %q", name, d.Reason, c.reason)
		}
		got := ""
		if d.NextChange != nil {
			got = d.NextChange.Format(time.RFC3339)
		}
		if got != c.next {
			t.Errorf("%s: nextChange = %q, want %q", name, got, c.next)
		}
	}
}

func mustTime(s string) time.Time {
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return v
}

func TestSince(t *testing.T) {
	set := mustParseFile(t, "testdata/contract.yaml")
	cases := []struct {
		app, at, want string
	}{
		// Blocked since Wednesday's allow closed (17:00 Berlin); the freeze
		// that began at midnight kept it blocked.
		{"payments-api", "2026-12-24T10:00:00Z", "2026-12-23T16:00:00Z"},
		{"web", "2026-12-24T10:00:00Z", "2026-12-24T08:00:00Z"}, // the allow opened (09:00 Berlin)
		{"web", "2026-12-26T18:00:00Z", "2026-12-25T16:00:00Z"}, // Friday's allow closed (17:00 Berlin)
		{"web", "2026-12-28T08:00:00Z", "2026-12-28T08:00:00Z"}, // opening instant
		{"payments-api", "2026-12-26T00:00:00Z", "2026-12-23T16:00:00Z"},
		{"other", "2026-12-28T07:00:00Z", "2026-12-25T16:00:00Z"},
	}
	for _, c := range cases {
		d := set.Evaluate(Query{Target: Target{Application: c.app}, At: at(t, c.at)})
		got := ""
		if d.Since != nil {
			got = d.Since.Format(time.RFC3339)
		}
		if got != c.want {
			t.Errorf("%s@%s: since = %q, want %q (%s)", c.app, c.at, got, c.want, d.Reason)
		}
	}
}

// TestConcurrentEvaluate: a Set is shared by every promotion of a project;
// run with -race.
func TestConcurrentEvaluate(t *testing.T) {
	set := mustParseFile(t, "testdata/contract.yaml")
	want := set.Evaluate(Query{Target: Target{Application: "payments-api"}, At: mustTime("2026-12-24T10:00:00Z")})
	done := make(chan string)
	for g := 0; g < 4; g++ {
		go func() {
			for i := 0; i < 50; i++ {
				d := set.Evaluate(Query{Target: Target{Application: "payments-api"}, At: mustTime("2026-12-24T10:00:00Z")})
				if d.Reason != want.Reason || !d.NextChange.Equal(*want.NextChange) {
					done <- d.Reason
					return
				}
			}
			done <- ""
		}()
	}
	for g := 0; g < 4; g++ {
		if r := <-done; r != "" {
			t.Errorf("concurrent evaluation differs: %s", r)
		}
	}
}
