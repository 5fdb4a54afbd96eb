package gate

import (
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/window"
)

var update = flag.Bool("update", false, "rewrite golden files")

const (
	digestA = "sha256:aaaaaaaaaaaa1111111111111111111111111111111111111111111111111111"
	digestB = "sha256:bbbbbbbbbbbb2222222222222222222222222222222222222222222222222222"
)

var now = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) time.Time { return now.Add(-d) }

func approve(user string, d time.Duration, groups ...string) Approval {
	return Approval{User: user, Groups: groups, Digest: digestA, Approve: true, At: ago(d)}
}

func base() Input {
	return Input{Service: "payments-api", Env: "prod", SourceEnv: "staging", Digest: digestA,
		Requester: "rita", RequestedAt: ago(48 * time.Hour), Now: now,
		People: []string{"Ann Author <ann@example.org>", "carl@example.org"}}
}

func gateNamed(t *testing.T, ev Evaluation, name string) Result {
	t.Helper()
	for _, g := range ev.Gates {
		if g.Name == name {
			return g
		}
	}
	t.Fatalf("no gate %q in %+v", name, ev.Gates)
	return Result{}
}

func TestApprovals(t *testing.T) {
	policy := ApprovalPolicy{Required: 2, Groups: []string{"sre"}, ExpiresAfter: 72 * time.Hour}
	cases := []struct {
		name      string
		policy    ApprovalPolicy
		approvals []Approval
		state     State
		reason    string
		next      *time.Time
	}{
		{"none yet", policy, nil, Wait, "needs 2 more approvals from group sre", nil},
		{"two distinct approvers", policy, []Approval{approve("sam", time.Hour, "sre"), approve("sue", 2*time.Hour, "sre")}, Pass,
			"2 of 2 approvals: sue, sam", ptr(ago(2 * time.Hour).Add(72 * time.Hour))},
		{"duplicate approver counts once", policy, []Approval{approve("sam", time.Hour, "sre"), approve("SAM", 2*time.Hour, "sre")}, Wait,
			"needs 1 more approval from group sre (1 of 2: sam)", ptr(ago(time.Hour).Add(72 * time.Hour))},
		{"digest change voids", policy, []Approval{approve("sam", time.Hour, "sre"), func() Approval { a := approve("sue", time.Hour, "sre"); a.Digest = digestB; return a }()}, Wait,
			"not counted: 1 for another digest", nil},
		{"expired", policy, []Approval{approve("sam", time.Hour, "sre"), approve("sue", 72*time.Hour, "sre")}, Wait,
			"not counted: 1 expired", nil},
		{"expires exactly now", policy, []Approval{approve("sam", time.Hour, "sre"), approve("sue", 72*time.Hour-time.Nanosecond, "sre")}, Pass, "2 of 2", nil},
		{"self via co-author email", policy, []Approval{approve("sam", time.Hour, "sre"), func() Approval {
			a := approve("carl", time.Hour, "sre")
			a.Aliases = []string{"Carl@Example.org"}
			return a
		}()}, Wait, "not counted: 1 self-approval", nil},
		{"self via author display name", policy, []Approval{approve("sam", time.Hour, "sre"), func() Approval {
			a := approve("ann", time.Hour, "sre")
			a.Aliases = []string{"ann@example.org"}
			return a
		}()}, Wait, "1 self-approval", nil},
		{"requester cannot approve", policy, []Approval{approve("sam", time.Hour, "sre"), approve("rita", time.Hour, "sre")}, Wait, "1 self-approval", nil},
		{"self approval allowed", ApprovalPolicy{Required: 1, AllowSelfApproval: true}, []Approval{approve("rita", time.Hour)}, Pass, "1 of 1 approvals: rita", nil},
		{"outside the groups", policy, []Approval{approve("sam", time.Hour, "sre"), approve("dev", time.Hour, "developers")}, Wait, "1 outside group sre", nil},
		{"rejection fails", policy, []Approval{approve("sam", time.Hour, "sre"), {User: "sue", Digest: digestA, Comment: "error budget spent", At: ago(time.Minute)}}, Fail,
			"rejected by sue: error budget spent; a new digest is needed", nil},
		{"rejection of another digest is void", policy, []Approval{approve("sam", time.Hour, "sre"), approve("sue", time.Hour, "sre"), {User: "tom", Digest: digestB, At: ago(time.Minute)}}, Pass, "2 of 2", nil},
		{"latest decision of a person counts", policy, []Approval{{User: "sue", Digest: digestA, At: ago(2 * time.Hour)}, approve("sue", time.Hour, "sre"), approve("sam", time.Hour, "sre")}, Pass, "2 of 2", nil},
		{"not required", ApprovalPolicy{}, nil, "", "", nil},
	}
	for _, c := range cases {
		in := base()
		in.Policy.Approvals = c.policy
		in.Approvals = c.approvals
		ev := Evaluate(in)
		if c.state == "" {
			if len(ev.Gates) != 0 || !ev.Open {
				t.Errorf("%s: gates %+v, want none", c.name, ev.Gates)
			}
			continue
		}
		g := gateNamed(t, ev, "approvals")
		if g.State != c.state || !strings.Contains(g.Reason, c.reason) {
			t.Errorf("%s: %s %q, want %s containing %q", c.name, g.State, g.Reason, c.state, c.reason)
		}
		if c.next != nil && (g.NextChange == nil || !g.NextChange.Equal(*c.next)) {
			t.Errorf("%s: nextChange %v, want %v", c.name, g.NextChange, c.next)
		}
		if ev.Open != (c.state == Pass) {
			t.Errorf("%s: Open = %v", c.name, ev.Open)
		}
	}
}

func ptr(t time.Time) *time.Time { return &t }

func TestChecks(t *testing.T) {
	v := func(check string, passed bool, d time.Duration, digest string) Verification {
		return Verification{Check: check, Passed: passed, Digest: digest, At: ago(d), URL: "https://ci/" + check}
	}
	cases := []struct {
		name   string
		vs     []Verification
		state  State
		reason string
	}{
		{"no result", nil, Wait, "no e2e result for aaaaaaaaaaaa in staging yet"},
		{"passed", []Verification{v("e2e", true, time.Hour, digestA)}, Pass, "e2e passed (https://ci/e2e)"},
		{"failed", []Verification{v("e2e", false, time.Hour, digestA)}, Fail, "e2e failed (https://ci/e2e); needs a newer passing result"},
		{"newer pass after failure", []Verification{v("e2e", false, 2*time.Hour, digestA), v("e2e", true, time.Hour, digestA)}, Pass, "passed"},
		{"newer failure after pass", []Verification{v("e2e", true, 2*time.Hour, digestA), v("e2e", false, time.Hour, digestA)}, Fail, "failed"},
		{"result for another digest", []Verification{v("e2e", true, time.Hour, digestB)}, Wait, "no e2e result"},
		{"another check", []Verification{v("load", true, time.Hour, digestA)}, Wait, "no e2e result"},
	}
	for _, c := range cases {
		in := base()
		in.Policy.RequiredChecks = []string{"e2e"}
		in.Verifications = c.vs
		g := gateNamed(t, Evaluate(in), "check e2e")
		if g.State != c.state || !strings.Contains(g.Reason, c.reason) {
			t.Errorf("%s: %s %q, want %s containing %q", c.name, g.State, g.Reason, c.state, c.reason)
		}
	}
}

func TestSoak(t *testing.T) {
	cases := []struct {
		name   string
		pinned *time.Time
		state  State
		reason string
		next   *time.Time
	}{
		{"not in the source environment", nil, Wait, "aaaaaaaaaaaa is not running in staging", nil},
		{"soaking", ptr(ago(20*time.Hour + 48*time.Minute)), Wait, "soak done in 3h12m (20h48m of 1d in staging)", ptr(now.Add(3*time.Hour + 12*time.Minute))},
		{"re-pinned an hour ago restarts the clock", ptr(ago(time.Hour)), Wait, "soak done in 23h", ptr(now.Add(23 * time.Hour))},
		{"done exactly now", ptr(ago(24 * time.Hour)), Pass, "soaked 1d in staging", nil},
		{"seconds left round up", ptr(ago(24*time.Hour - 30*time.Second)), Wait, "soak done in 30s", nil},
	}
	for _, c := range cases {
		in := base()
		in.Policy.Soak = 24 * time.Hour
		in.PinnedAt = c.pinned
		g := gateNamed(t, Evaluate(in), "soak")
		if g.State != c.state || !strings.Contains(g.Reason, c.reason) {
			t.Errorf("%s: %s %q, want %s containing %q", c.name, g.State, g.Reason, c.state, c.reason)
		}
		if c.next != nil && (g.NextChange == nil || !g.NextChange.Equal(*c.next)) {
			t.Errorf("%s: nextChange %v, want %v", c.name, g.NextChange, c.next)
		}
	}
}

func freezeWindows(t *testing.T) *window.Set {
	t.Helper()
	return window.Compile("test", []window.Spec{
		{Kind: "allow", Schedule: "0 9 * * 1-5", Duration: "8h", TimeZone: "Europe/Berlin", Applications: []string{"*"}},
		{Kind: "deny", Schedule: "0 0 24 12 *", Duration: "48h", Applications: []string{"payments-*"}, ManualSync: true},
	})
}

func TestWindowStopAndOverride(t *testing.T) {
	stop := Stop{By: "ops", Reason: "incident 42", Since: ago(time.Hour)}
	prodStop := Stop{Env: "prod", By: "ops", Reason: "db migration", Since: ago(2 * time.Hour)}
	devStop := Stop{Env: "dev", By: "ops", Reason: "dev only", Since: ago(time.Hour)}
	good := &Override{User: "olga", Permitted: true, Reason: "hotfix for incident 42, payments down", Digest: digestA, At: ago(time.Minute)}
	cases := []struct {
		name       string
		at         time.Time
		stops      []Stop
		override   *Override
		open       bool
		want       map[string]State
		reason     string
		overridden bool
		note       string
	}{
		{"inside the allow window", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), nil, nil, true, map[string]State{"window": Pass}, "allow window 0", false, ""},
		{"deny window waits, not fails", time.Date(2026, 12, 24, 10, 0, 0, 0, time.UTC), nil, nil, false, map[string]State{"window": Wait}, "deny window 1 (0 0 24 12 *, 48h) is active until 2026-12-26T00:00:00Z", false, ""},
		{"global stop", now, []Stop{stop}, nil, false, map[string]State{"stop": Wait, "window": Pass}, "line stopped everywhere by ops: incident 42", false, ""},
		{"env stop", now, []Stop{prodStop, devStop}, nil, false, map[string]State{"stop": Wait}, "line stopped for prod by ops: db migration", false, ""},
		{"other env stop", now, []Stop{devStop}, nil, true, map[string]State{"window": Pass}, "", false, ""},
		{"override passes window and stop", time.Date(2026, 12, 24, 10, 0, 0, 0, time.UTC), []Stop{stop}, good, true, map[string]State{"stop": Pass, "window": Pass}, "overridden (break glass) by olga", true, ""},
		{"override without permission is ignored", now, []Stop{stop}, &Override{User: "eve", Reason: "trust me it is fine", Digest: digestA}, false, map[string]State{"stop": Wait}, "", false, "needs the override permission"},
		{"override without reason is ignored", now, []Stop{stop}, &Override{User: "olga", Permitted: true, Reason: "urgent", Digest: digestA}, false, map[string]State{"stop": Wait}, "", false, "needs a written reason"},
		{"override for another digest is ignored", now, []Stop{stop}, &Override{User: "olga", Permitted: true, Reason: "hotfix for incident 42", Digest: digestB}, false, map[string]State{"stop": Wait}, "", false, "it is for bbbbbbbbbbbb"},
	}
	for _, c := range cases {
		in := base()
		in.Now = c.at
		in.Policy.Windows = freezeWindows(t)
		in.Policy.Target = window.Target{Application: "payments-api"}
		in.Stops, in.Override = c.stops, c.override
		ev := Evaluate(in)
		if ev.Open != c.open {
			t.Errorf("%s: Open = %v, want %v\n%s", c.name, ev.Open, c.open, ev.Text())
		}
		for name, st := range c.want {
			if g := gateNamed(t, ev, name); g.State != st {
				t.Errorf("%s: %s = %s, want %s (%s)", c.name, name, g.State, st, g.Reason)
			}
		}
		if c.reason != "" && !strings.Contains(ev.Text(), c.reason) {
			t.Errorf("%s: text does not contain %q:\n%s", c.name, c.reason, ev.Text())
		}
		if (ev.Overridden != nil) != c.overridden {
			t.Errorf("%s: Overridden = %v", c.name, ev.Overridden)
		}
		if c.note != "" && (len(ev.Notes) != 1 || !strings.Contains(ev.Notes[0], c.note)) {
			t.Errorf("%s: notes %q, want %q", c.name, ev.Notes, c.note)
		}
	}
}

func TestInvalidWindowWaitsWithTheError(t *testing.T) {
	in := base()
	in.Policy.Windows = window.Compile("w.yaml", []window.Spec{{Kind: "deny", Schedule: "@daily", Duration: "1h", Applications: []string{"*"}}})
	g := gateNamed(t, Evaluate(in), "window")
	if g.State != Wait || !strings.Contains(g.Reason, "window 0 field schedule") {
		t.Fatalf("%s %q", g.State, g.Reason)
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 30 * time.Second: "30s", 59*time.Second + time.Millisecond: "1m", 3*time.Hour + 11*time.Minute + time.Second: "3h12m",
		26 * time.Hour: "1d2h", 48 * time.Hour: "2d", 45 * time.Minute: "45m",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestWhyGolden pins the `slipway why` text of a promotion held by
// several gates.
func TestWhyGolden(t *testing.T) {
	in := base()
	in.Now = time.Date(2026, 12, 24, 10, 0, 0, 0, time.UTC)
	in.RequestedAt = in.Now.Add(-2 * time.Hour)
	in.Policy = Policy{
		Approvals:      ApprovalPolicy{Required: 2, Groups: []string{"sre"}, ExpiresAfter: 72 * time.Hour},
		RequiredChecks: []string{"e2e", "load"},
		Soak:           24 * time.Hour,
		Windows:        freezeWindows(t),
		Target:         window.Target{Application: "payments-api"},
	}
	in.Approvals = []Approval{{User: "sam", Groups: []string{"sre"}, Digest: digestA, Approve: true, At: in.Now.Add(-time.Hour)}}
	in.Verifications = []Verification{
		{Check: "e2e", Passed: true, Digest: digestA, At: in.Now.Add(-3 * time.Hour), URL: "https://ci.example.org/run/981"},
		{Check: "load", Passed: false, Digest: digestA, At: in.Now.Add(-90 * time.Minute)},
	}
	in.PinnedAt = ptr(in.Now.Add(-20*time.Hour - 48*time.Minute))
	ev := Evaluate(in)
	got := ev.Text()
	const golden = "testdata/why.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("why text:\n%s\nwant:\n%s", got, want)
	}
}
