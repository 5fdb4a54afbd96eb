package platform_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/slipway/slipway/platform"
)

func mustRollout(t *testing.T, src string) *platform.Rollout {
	t.Helper()
	r, err := platform.ParseRollout([]byte(src), "rollout.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestPlanFollowsRollingSync pins Argo CD RollingSync's selection rules
// (applicationset/progressivesync buildAppDependencyList,
// labelMatchedExpression): expressions AND together; In needs the key and
// one of the values; NotIn passes a missing key and wins over In; a step
// without expressions selects everything; a service goes with the first
// step that selects it (RollingSync flags the others); steps that select
// nothing pass; services no step selects are left out.
func TestPlanFollowsRollingSync(t *testing.T) {
	r := mustRollout(t, `
steps:
  - matchExpressions:
      - {key: tier, operator: In, values: [data, cache]}
      - {key: region, operator: NotIn, values: [eu]}
  - matchExpressions:
      - {key: tier, operator: In, values: [backend]}
    maxUpdate: 1
  - matchExpressions:
      - {key: canary, operator: Exists}
  - matchExpressions:
      - {key: tier, operator: In, values: [nothing-has-this]}
  - matchExpressions:
      - {key: tier, operator: NotIn, values: [data]}
      - {key: legacy, operator: DoesNotExist}
    maxUpdate: 50%
`)
	services := map[string]map[string]string{
		"db":     {"tier": "data"},                    // step 1
		"db-eu":  {"tier": "data", "region": "eu"},    // NotIn eu fails step 1; NotIn data fails step 5: excluded
		"api":    {"tier": "backend", "canary": "on"}, // steps 2 and 3: goes with 2, warned
		"nolbl":  {},                                  // In needs the key; step 5: NotIn passes a missing key
		"web":    {"tier": "frontend"},                // step 5
		"web2":   {"tier": "frontend"},                // step 5
		"old":    {"tier": "frontend", "legacy": "y"}, // DoesNotExist fails: excluded
		"edge":   {"canary": ""},                      // Exists: an empty value still exists (step 3)
		"cache1": {"tier": "cache"},                   // step 1
	}
	p := r.Plan(services)
	var got []string
	for _, w := range p.Waves {
		got = append(got, fmt.Sprintf("%d:%v:%d", w.Step, w.Services, w.MaxUpdate))
	}
	want := "1:[cache1 db]:2 2:[api]:1 3:[edge]:1 4:[]:0 5:[nolbl web web2]:1"
	if strings.Join(got, " ") != want {
		t.Errorf("waves\n got  %s\n want %s", strings.Join(got, " "), want)
	}
	if fmt.Sprint(p.Excluded) != "[db-eu old]" {
		t.Errorf("excluded %v", p.Excluded)
	}
	if w := strings.Join(p.Warnings, "\n"); !strings.Contains(w, "service api is selected by steps 2, 3, 5: it is promoted in step 2") || !strings.Contains(w, "steps 4 select no service") {
		t.Errorf("warnings:\n%s", w)
	}
	// No steps: one wave of everything, all at once (AllAtOnce).
	all := (&platform.Rollout{}).Plan(services)
	if len(all.Waves) != 1 || len(all.Waves[0].Services) != len(services) || all.Waves[0].MaxUpdate != len(services) || len(all.Excluded) != 0 {
		t.Errorf("no steps: %+v", all)
	}
}

// TestMaxUpdateScale: intstr.GetScaledValueFromIntOrPercent rounding down,
// then RollingSync's floor of 1 for a percentage above 0%.
func TestMaxUpdateScale(t *testing.T) {
	for _, tc := range []struct {
		yaml  string
		total int
		want  int
	}{
		{"", 5, 5}, // unset: all
		{"maxUpdate: 0", 5, 0},
		{`maxUpdate: "0%"`, 5, 0},
		{"maxUpdate: 2", 5, 2},
		{"maxUpdate: 9", 5, 9}, // more than the step holds: all at once
		{`maxUpdate: "10%"`, 5, 1},
		{`maxUpdate: "1%"`, 1, 1},
		{`maxUpdate: "50%"`, 5, 2},
		{`maxUpdate: "50%"`, 2, 1},
		{`maxUpdate: "99%"`, 10, 9},
		{`maxUpdate: "100%"`, 7, 7},
		{`maxUpdate: "150%"`, 5, 7},
		{`maxUpdate: "10%"`, 0, 1},
	} {
		r := mustRollout(t, "steps: [{"+tc.yaml+"}]")
		if got := r.Steps[0].MaxUpdate.Scale(tc.total); got != tc.want {
			t.Errorf("%s of %d: %d, want %d", tc.yaml, tc.total, got, tc.want)
		}
	}
}

// TestRolloutErrors: bad input is refused, naming the field and the fix.
func TestRolloutErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`steps: [{maxUpdate: "5"}]`, `"5": a string must be a percentage`},
		{`steps: [{maxUpdate: -1}]`, `"-1": write a whole number`},
		{`steps: [{maxUpdate: 2.5}]`, `"2.5": write a whole number`},
		{`steps: [{maxUpdate: "x%"}]`, `"x%": write a whole percentage`},
		{`steps: [{maxUpdate: "-5%"}]`, `"-5%": write a whole percentage`},
		{`steps: [{maxUpdate: [1]}]`, `maxUpdate: write a number`},
		{`steps: [{matchExpressions: [{key: tier, operator: Gt, values: [1]}]}]`, `operator: "Gt": use In, NotIn, Exists or DoesNotExist`},
		{`steps: [{matchExpressions: [{key: tier, operator: In}]}]`, `values: In needs at least one value`},
		{`steps: [{matchExpressions: [{key: tier, operator: Exists, values: [a]}]}]`, `values: Exists takes no values`},
		{`steps: [{matchExpressions: [{operator: Exists}]}]`, `key: "": give the label key`},
		{`steps: [{matchExpression: []}]`, `field matchExpression not found`},
		{`rollbackOnFailure: everything`, `rollbackOnFailure: "everything": write wave`},
	} {
		_, err := platform.ParseRollout([]byte(tc.src), "rollout.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "rollout.yaml") {
			t.Errorf("%s: got %v, want an error containing %q", tc.src, err, tc.want)
		}
	}
}

// FuzzParseRollout: any input parses or is refused without panicking; what
// parses plans every service into at most one wave with a non-negative
// maxUpdate, and survives a round trip through YAML.
func FuzzParseRollout(f *testing.F) {
	for _, s := range []string{
		"",
		"steps: [{matchExpressions: [{key: tier, operator: In, values: [a]}], maxUpdate: 1}]",
		`steps: [{maxUpdate: "25%"}, {maxUpdate: 0}]`,
		"steps: [{matchExpressions: [{key: x, operator: DoesNotExist}]}]\nrollbackOnFailure: all",
		`steps: [{maxUpdate: "5"}]`,
		"steps: [{matchExpressions: [{key: a, operator: NotIn, values: [b, c]}, {key: d, operator: Exists}]}]",
	} {
		f.Add([]byte(s))
	}
	services := map[string]map[string]string{"a": {"tier": "a"}, "b": {"d": "", "a": "c"}, "c": {}}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := platform.ParseRollout(data, "fuzz")
		if err != nil {
			return
		}
		p := r.Plan(services)
		seen := map[string]bool{}
		for _, w := range p.Waves {
			if w.MaxUpdate < 0 {
				t.Fatalf("negative maxUpdate %d", w.MaxUpdate)
			}
			for _, s := range w.Services {
				if seen[s] {
					t.Fatalf("%s in two waves", s)
				}
				seen[s] = true
			}
		}
		if len(seen)+len(p.Excluded) != len(services) {
			t.Fatalf("planned %d + excluded %d of %d services", len(seen), len(p.Excluded), len(services))
		}
		out, err := yaml.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		again, err := platform.ParseRollout(out, "round trip")
		if err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		if !reflect.DeepEqual(r.Plan(services), again.Plan(services)) {
			t.Fatalf("round trip changed the plan:\n%s", out)
		}
	})
}
