package window

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseAppProjectEqualsList(t *testing.T) {
	list := mustParseFile(t, "testdata/contract.yaml")
	proj := mustParseFile(t, "testdata/appproject.yaml")
	if len(proj.Windows) != 2 {
		t.Fatalf("AppProject: %d windows, want 2", len(proj.Windows))
	}
	for i := range list.Windows {
		a, b := list.Windows[i].Spec, proj.Windows[i].Spec
		b.Description = ""
		if !reflect.DeepEqual(a, b) {
			t.Errorf("window %d: list %+v, AppProject %+v", i, a, b)
		}
	}
	if got := proj.Windows[1].Description; got != "holiday freeze" {
		t.Errorf("description = %q", got)
	}
}

func TestParseForms(t *testing.T) {
	cases := []struct {
		name, in string
		windows  int
		err      string
	}{
		{"JSON list", `[{"kind":"deny","schedule":"0 0 * * *","duration":"1h","applications":["*"]}]`, 1, ""},
		{"syncWindows mapping", "syncWindows:\n  - kind: deny\n    schedule: '0 0 * * *'\n    duration: 1h\n    applications: ['*']\n", 1, ""},
		{"AppProject without windows", "kind: AppProject\nspec:\n  sourceRepos: ['*']\n", 0, ""},
		{"empty list", "[]", 0, ""},
		{"not YAML", "- kind: [", 0, "x.yaml: not valid YAML or JSON"},
		{"unquoted star", "- kind: deny\n  schedule: * * * * *\n", 0, "quote schedules"},
		{"scalar", "hello", 0, "x.yaml:1: expected a list of windows"},
		{"no windows at all", "kind: ConfigMap\n", 0, "no sync windows found"},
		{"window not a mapping", "- just a string\n", 0, "x.yaml:1: window 0: a window must be a mapping"},
		{"syncWindows not a list", "syncWindows: {kind: deny}\n", 0, "x.yaml:1: syncWindows must be a list"},
	}
	for _, c := range cases {
		s, err := Parse("x.yaml", []byte(c.in))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err = %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if len(s.Windows) != c.windows {
			t.Errorf("%s: %d windows, want %d", c.name, len(s.Windows), c.windows)
		}
	}
}

// TestParseProblemsAreLineNumbered: each bad field is named with its line
// and the fix.
func TestParseProblemsAreLineNumbered(t *testing.T) {
	s := mustParseFile(t, "testdata/bad.yaml")
	if !s.Windows[0].Valid() {
		t.Fatalf("window 0: %v", s.Windows[0].Problems)
	}
	var got []string
	for _, p := range s.Windows[1].Problems {
		got = append(got, p.Error())
	}
	want := []string{
		`testdata/bad.yaml:7: window 1 field duration: cannot parse duration "2d"`,
		`testdata/bad.yaml:8: window 1 field timezone: unknown field "timezone": did you mean "timeZone"?`,
	}
	if len(got) != len(want) {
		t.Fatalf("problems = %q", got)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d = %q, want prefix %q", i, got[i], want[i])
		}
	}
}

func TestParseFieldTypes(t *testing.T) {
	in := "- kind: deny\n  schedule: '0 0 * * *'\n  duration: 1h\n  applications: payments\n  manualSync: yes\n"
	s, err := Parse("t.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	ps := s.Windows[0].Problems
	if len(ps) != 2 || ps[0].Field != "applications" || ps[0].Line != 4 || ps[1].Field != "manualSync" || ps[1].Line != 5 {
		t.Fatalf("problems = %v", ps)
	}
}

// FuzzParse: any input either fails with an error naming the file or gives
// windows that can be validated and evaluated without panicking; valid
// windows survive a round trip through their Spec.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"- kind: deny\n  schedule: '0 0 * * *'\n  duration: 1h\n  applications: ['*']\n",
		"kind: AppProject\nspec:\n  syncWindows:\n  - {kind: allow, schedule: 'CRON_TZ=Europe/Berlin 0 9 * * 1-5', duration: 8h, clusters: ['eu-*']}\n",
		"[{\"kind\":\"deny\",\"start\":\"2026-12-24T00:00:00Z\",\"end\":\"2026-12-26T00:00:00Z\",\"namespaces\":[\"{a,b}[!c]?\"]}]",
		"- kind: allow\n  schedule: CRON_TZ=UTC\n  duration: -1h\n",
		"syncWindows: ~\n",
	} {
		f.Add([]byte(seed))
	}
	target := Target{Application: "payments-api", Namespace: "prod", ClusterName: "eu-1"}
	at := mustTime("2026-03-29T01:30:00Z")
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("f.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yaml") {
				t.Fatalf("error does not name the input: %v", err)
			}
			return
		}
		_ = s.Validate(at)
		d := s.Evaluate(Query{Target: target, At: at})
		for _, w := range s.Windows {
			if !w.Valid() && (d.CanSync || d.Error == "") {
				t.Fatalf("invalid window did not fail closed: %+v", d)
			}
			if w.Valid() {
				again := Compile("again", []Spec{w.Spec}).Windows[0]
				if !again.Valid() || again.Matches(target) != w.Matches(target) {
					t.Fatalf("window %+v changed on recompilation", w.Spec)
				}
			}
		}
	})
}

func FuzzGlob(f *testing.F) {
	for _, seed := range []string{"*", "payments-*", "a?c", "[a-c]x", "[!a]", "{a,b{c,d}}", `\*`, "[", "{", "}", "]"} {
		f.Add(seed, "payments-api")
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		g, err := compileGlob(pattern)
		if err != nil {
			return
		}
		_ = g.match(s)
		if !strings.ContainsAny(pattern, `*?[]{}\,`) && g.match(s) != (s == pattern) {
			t.Fatalf("literal %q vs %q", pattern, s)
		}
	})
}
