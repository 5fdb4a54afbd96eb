package gate

import (
	"fmt"
	"testing"
	"time"

	"github.com/slipway/slipway/window"
)

// benchWindows is a realistic project: 20 windows mixing business-hours
// allows in several zones, nightly and weekend denies, dated freezes and
// per-team selectors.
func benchWindows() *window.Set {
	zones := []string{"Europe/Berlin", "America/New_York", "UTC", "Asia/Tokyo"}
	var specs []window.Spec
	for i := 0; i < 20; i++ {
		z := zones[i%len(zones)]
		switch i % 5 {
		case 0:
			specs = append(specs, window.Spec{Kind: "allow", Schedule: fmt.Sprintf("0 %d * * 1-5", 7+i%4), Duration: "9h", TimeZone: z, Applications: []string{"svc-*"}})
		case 1:
			specs = append(specs, window.Spec{Kind: "deny", Schedule: "0 22 * * *", Duration: "8h", TimeZone: z, Namespaces: []string{"prod"}, ManualSync: true})
		case 2:
			specs = append(specs, window.Spec{Kind: "deny", Schedule: "0 0 * * 6", Duration: "48h", TimeZone: z, Clusters: []string{"prod-*"}})
		case 3:
			specs = append(specs, window.Spec{Kind: "deny", Start: "2026-12-24T00:00:00Z", End: "2027-01-02T00:00:00Z", Applications: []string{fmt.Sprintf("svc-%d*", i)}})
		default:
			specs = append(specs, window.Spec{Kind: "allow", Schedule: "30 13 * * 2,4", Duration: "2h", TimeZone: z, Applications: []string{"{svc-1,svc-2}*"}, Namespaces: []string{"staging"}, AndOperator: true})
		}
	}
	return window.Compile("bench", specs)
}

// benchInputs are 1,000 services × 3 environments, each with approvals,
// two required checks, soak and the 20 windows.
func benchInputs() []Input {
	set := benchWindows()
	envs := []string{"dev", "staging", "prod"}
	at := time.Date(2026, 12, 1, 15, 4, 5, 0, time.UTC)
	var ins []Input
	for s := 0; s < 1000; s++ {
		svc := fmt.Sprintf("svc-%d", s)
		digest := fmt.Sprintf("sha256:%064x", s)
		for _, env := range envs {
			pinned := at.Add(-time.Duration(s%48) * time.Hour)
			ins = append(ins, Input{
				Service: svc, Env: env, SourceEnv: "staging", Digest: digest, Requester: "rita",
				RequestedAt: at.Add(-time.Hour), People: []string{"ann@example.org", "bob@example.org"}, Now: at,
				Policy: Policy{
					Approvals:      ApprovalPolicy{Required: 2, Groups: []string{"sre"}, ExpiresAfter: 72 * time.Hour},
					RequiredChecks: []string{"e2e", "load"}, Soak: 24 * time.Hour,
					Windows: set, Target: window.Target{Application: svc, Namespace: env, ClusterName: env + "-eu"},
				},
				Approvals: []Approval{
					{User: "sam", Groups: []string{"sre"}, Digest: digest, Approve: true, At: at.Add(-30 * time.Minute)},
					{User: "sue", Groups: []string{"sre"}, Digest: digest, Approve: true, At: at.Add(-20 * time.Minute)},
				},
				Verifications: []Verification{
					{Check: "e2e", Passed: true, Digest: digest, At: at.Add(-2 * time.Hour)},
					{Check: "load", Passed: s%7 != 0, Digest: digest, At: at.Add(-2 * time.Hour)},
				},
				PinnedAt: &pinned,
			})
		}
	}
	return ins
}

// BenchmarkEvaluate1000x3x20 evaluates every gate (nextChange included) of
// 1,000 services × 3 environments with 20 sync windows each; one op is the
// whole fleet. Target: under 1 s on 2 cores.
func BenchmarkEvaluate1000x3x20(b *testing.B) {
	ins := benchInputs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		open := 0
		for _, in := range ins {
			if Evaluate(in).Open {
				open++
			}
		}
		if i == 0 {
			b.ReportMetric(float64(open), "open/op")
		}
	}
}
