package conventional

import (
	"strings"
	"testing"
)

func TestLint(t *testing.T) {
	tests := []struct {
		name    string
		msg     string
		rules   LintRules
		want    []string // substrings of problems, in order; none = clean
		example string   // expected corrected header of the first problem
	}{
		{name: "clean", msg: "feat(api): add rollback endpoint\n\nBody.\n\nRefs: #1"},
		{name: "merge commits pass", msg: "Merge pull request #12 from a/b"},
		{name: "git revert passes", msg: "Revert \"feat: x\"\n\nThis reverts commit abc1234."},
		{name: "no type", msg: "Add rollback endpoint", want: []string{"is not \"type(scope): description\""}, example: "fix: add rollback endpoint"},
		{name: "unknown type", msg: "feature!: x", rules: LintRules{Types: []string{"feat", "fix"}}, want: []string{`type "feature" is not allowed`}, example: "feat!: x"},
		{name: "typo type", msg: "fxi: x", want: []string{`type "fxi"`}, example: "fix: x"},
		{name: "scope not allowed", msg: "fix(db): x", rules: LintRules{Scopes: []string{"api", "web"}}, want: []string{`scope "db" is not allowed`}, example: "fix(api): x"},
		{name: "scope required", msg: "fix: x", rules: LintRules{RequireScope: true, Scopes: []string{"web"}}, want: []string{"scope is required"}, example: "fix(web): x"},
		{name: "no space", msg: "fix:x", want: []string{"one space after the colon"}, example: "fix: x"},
		{name: "empty description", msg: "fix(api): ", want: []string{"description after the colon is empty"}, example: "fix(api): describe the change"},
		{name: "long header", msg: "fix: " + strings.Repeat("a", 120), rules: LintRules{MaxHeaderLength: 100}, want: []string{"header is 125 characters"}},
		{name: "no blank line", msg: "fix: x\nbody", want: []string{"blank line"}},
		{name: "wrong breaking footer", msg: "feat: x\n\nBREAKING CHANGES: y", want: []string{`"BREAKING CHANGES:" is not recognised`}},
		{name: "empty", msg: "\n", want: []string{"empty commit message"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probs := Lint(tt.msg, tt.rules)
			if len(probs) != len(tt.want) {
				t.Fatalf("problems = %v, want %d", probs, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(probs[i].Message, w) {
					t.Errorf("problem %d = %q, want %q", i, probs[i].Message, w)
				}
			}
			if tt.example != "" && probs[0].Example != tt.example {
				t.Errorf("example = %q, want %q", probs[0].Example, tt.example)
			}
			// Every proposed example must itself lint clean.
			for _, p := range probs {
				if p.Example != "" {
					if again := Lint(p.Example, tt.rules); len(again) != 0 && !strings.Contains(tt.name, "long") {
						t.Errorf("example %q has problems: %v", p.Example, again)
					}
				}
			}
		})
	}
}

func FuzzLint(f *testing.F) {
	f.Add("fix(api: x")
	f.Add("feat!: y\n\nBREAKING CHANGES: z")
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range Lint(s, LintRules{Scopes: []string{"api"}, RequireScope: true, MaxHeaderLength: 72}) {
			if p.Line < 1 || p.Message == "" {
				t.Fatalf("bad problem %+v", p)
			}
		}
	})
}
