package commitlint

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// names lists the rules a message fails under config-conventional, errors
// then warnings, as "name" for errors and "~name" for warnings.
func names(o Outcome) string {
	var out []string
	for _, p := range o.Errors {
		out = append(out, p.Name)
	}
	for _, p := range o.Warnings {
		out = append(out, "~"+p.Name)
	}
	return strings.Join(out, " ")
}

// TestConfigConventionalRules pins each rule of config-conventional at its
// boundaries (the same verdicts are in golden.jsonl, recorded from the
// real commitlint; this table says why each case is there).
func TestConfigConventionalRules(t *testing.T) {
	cfg := ConfigConventional()
	feat := func(n int) string { return "feat: " + strings.Repeat("a", n-len("feat: ")) }
	cases := []struct {
		name, msg, want string
	}{
		// header-max-length 100, counted in UTF-16 units.
		{"header of exactly 100", feat(100), ""},
		{"header of 101", feat(101), "header-max-length"},
		{"100 units with é (1 unit each)", "feat: " + strings.Repeat("é", 94), ""},
		{"emoji count twice: 6+2*47 = 100", "feat: " + strings.Repeat("😀", 47), ""},
		{"emoji count twice: 6+2*48 = 102", "feat: " + strings.Repeat("😀", 48), "header-max-length"},
		{"trailing newline is not the header", feat(100) + "\n", ""},
		// header-trim, and what a leading blank does to parsing.
		{"leading space", " feat: x", "header-trim subject-empty type-empty"},
		{"trailing space", "feat: x ", "header-trim"},
		{"both", "\tfeat: x\u00a0", "header-trim subject-empty type-empty"},
		{"BOM is whitespace to JavaScript", "\ufefffeat: x", "header-trim subject-empty type-empty"},
		{"ideographic space", "feat: x\u3000", "header-trim"},
		{"NEL is not JavaScript whitespace", "feat: x\u0085", ""},
		// type-enum, type-case, type-empty.
		{"upper-case type", "FIX: x", "type-case type-enum"},
		{"sentence-case type", "Fix: x", "type-case type-enum"},
		{"unknown type", "feature: x", "type-enum"},
		{"no type", ": x", "type-empty"},
		{"not conventional", "x", "subject-empty type-empty"},
		{"no space after colon", "feat:x", "subject-empty type-empty"},
		{"empty subject", "feat: ", "header-trim subject-empty"},
		{"digit-led type passes type-case", "1fix: x", "type-enum"},
		{"bang", "feat!: x", ""},
		{"scope and bang", "feat(api)!: x", ""},
		{"any scope case", "feat(API): x", ""},
		// subject-case: never sentence, start, pascal or upper case.
		{"lower", "feat: add thing", ""},
		{"sentence", "feat: Add thing", "subject-case"},
		{"start", "feat: Add Thing", "subject-case"},
		{"upper", "feat: ADD THING", "subject-case"},
		{"pascal", "feat: AddThing", "subject-case"},
		{"camel is fine", "feat: addThing", ""},
		{"quoted proper name removed first", "feat: `Eslint` config", ""},
		{"subject starting with a digit", "feat: 1st thing", ""},
		{"iOS: not sentence case", "feat: iOS support", ""},
		{"non-Latin capital is sentence case", "feat: Привет мир", "subject-case"},
		{"non-letter start skips the rule", "feat: #12 thing", ""},
		{"astral capital: upperFirst leaves a surrogate", "feat: 𐐀x", "subject-case"},
		{"astral small letter: upperFirst cannot change it either", "feat: 𐐨x", "subject-case"},
		{"ß upper-cases to SS", "feat: ß", ""},
		// subject-full-stop looks at the header.
		{"full stop", "feat: add thing.", "subject-full-stop"},
		{"ellipsis is not a full stop", "feat: add thing...", ""},
		{"header ending in its only colon", "feat:", "subject-empty type-empty"},
		{"bang is not a full stop", "feat: add thing!", ""},
		// body-leading-blank (warning) and body-max-line-length 100.
		{"no blank before body", "feat: x\nbody", "~body-leading-blank"},
		{"blank before body", "feat: x\n\nbody", ""},
		{"body line of 100", "feat: x\n\n" + strings.Repeat("b", 100), ""},
		{"body line of 101", "feat: x\n\n" + strings.Repeat("b", 101), "body-max-line-length"},
		{"long URL line is exempt", "feat: x\n\nhttps://example.com/" + strings.Repeat("p", 120), ""},
		{"CRLF body", "feat: x\r\n\r\nbody\r\n", ""},
		{"CRLF without blank line", "feat: x\r\nbody", "~body-leading-blank"},
		// footer-leading-blank (warning) and footer-max-line-length 100.
		{"footer after blank", "feat: x\n\nCloses #1", ""},
		{"footer right after the body", "feat: x\n\nbody\nCloses #1", "~footer-leading-blank"},
		{"footer right after the header", "feat: x\nCloses #1", "~footer-leading-blank"},
		{"footer line of 100", "feat: x\n\nCloses #1\n" + strings.Repeat("f", 100), ""},
		{"footer line of 101", "feat: x\n\nCloses #1\n" + strings.Repeat("f", 101), "footer-max-line-length"},
		{"breaking change note", "feat: x\n\nBREAKING CHANGE: y", ""},
		{"lower-case note keyword still starts the footer", "feat: x\n\nbody\nbreaking change: y", "~footer-leading-blank"},
		// The default ignore list.
		{"merge", "Merge branch 'main' into dev", ""},
		{"merge line anywhere", "Fix: X.\n\nMerge pull request #1 from a/b", ""},
		{"git revert", "Revert \"feat: x\"", ""},
		{"fixup", "fixup! Fix: X.", ""},
		{"release commit", "chore(release): 1.2.3", ""},
		{"version", "v1.2.3", ""},
		{"version with leading zero is not one", "01.2.3", "subject-empty type-empty"},
		{"revert: is not ignored", "revert: Feat: x", "subject-case"},
		{"Automatic merge", "Automatic merge went well", ""},
		// Empty and comment-only messages are valid.
		{"empty", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := cfg.Lint(tc.msg, Options{})
			if got := names(o); got != tc.want {
				t.Errorf("%q: failed [%s], want [%s]\n%s", tc.msg, got, tc.want, showOutcome(o))
			}
			if o.Valid != (len(o.Errors) == 0) {
				t.Errorf("valid %v with %d errors", o.Valid, len(o.Errors))
			}
		})
	}
}

// TestMessages pins commitlint's wording, which CI annotations match on.
func TestMessages(t *testing.T) {
	cfg := ConfigConventional()
	o := cfg.Lint("Fix: Add Thing."+"\n"+strings.Repeat("b", 101)+"\n\nCloses #1\n"+strings.Repeat("f", 120), Options{})
	want := []string{
		"body's lines must not be longer than 100 characters [body-max-line-length]",
		"footer's lines must not be longer than 100 characters [footer-max-line-length]",
		"subject must not be sentence-case [subject-case]",
		"subject may not end with full stop [subject-full-stop]",
		"type must be lower-case [type-case]",
		"type must be one of [build, chore, ci, docs, feat, fix, perf, refactor, revert, style, test] [type-enum]",
		"body must have leading blank line [body-leading-blank]",
	}
	var got []string
	for _, p := range append(o.Errors, o.Warnings...) {
		got = append(got, p.Message+" ["+p.Name+"]")
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	o = cfg.Lint(strings.Repeat("x", 98)+": y", Options{})
	if len(o.Errors) == 0 || o.Errors[0].Message != "header must not be longer than 100 characters, current length is 101" {
		t.Errorf("header-max-length message: %+v", o.Errors)
	}
	o = cfg.Lint(" feat: x ", Options{})
	if o.Errors[0].Message != "header must not be surrounded by whitespace" {
		t.Errorf("header-trim message: %+v", o.Errors)
	}
}

// TestEditMode: a message file drops git's comments and what follows the
// scissors line, as commitlint --edit does; stdin keeps them.
func TestEditMode(t *testing.T) {
	cfg := ConfigConventional()
	msg := "feat: x\n# Please enter the commit message\n# " + strings.Repeat("c", 120) + "\n"
	if o := cfg.Lint(msg, Options{CommentChar: "#"}); !o.Valid || len(o.Warnings) != 0 {
		t.Errorf("comments should be dropped: %s", showOutcome(o))
	}
	if o := cfg.Lint(msg, Options{}); o.Valid {
		t.Errorf("from stdin the long comment line is body: %s", showOutcome(o))
	}
	scissors := "feat: x\n\nbody\n# ------------------------ >8 ------------------------\n" + strings.Repeat("d", 200) + "\n"
	if o := cfg.Lint(scissors, Options{CommentChar: "#"}); !o.Valid {
		t.Errorf("the diff below the scissors is not linted: %s", showOutcome(o))
	}
	if o := cfg.Lint("; comment\nfeat: x\n", Options{CommentChar: ";"}); !o.Valid || o.Input != "feat: x" {
		t.Errorf("core.commentChar ';': %s", showOutcome(o))
	}
}

func TestCases(t *testing.T) {
	cases := []struct {
		in, target string
		want       bool
	}{
		{"add thing", "lower-case", true},
		{"Add thing", "sentence-case", true},
		{"add thing", "sentence-case", false},
		{"Add Thing", "start-case", true},
		{"Add thing", "start-case", false},
		{"AddThing", "pascal-case", true},
		{"addThing", "camel-case", true},
		{"add-thing", "kebab-case", true},
		{"add_thing", "snake-case", true},
		{"ADD THING", "upper-case", true},
		{"HTTPRequest", "pascal-case", false}, // pascal-case of it is HttpRequest
		{"Http Request", "start-case", true},
		{"`X` y", "lower-case", true},
		{"ß", "upper-case", false},
		{"ǅ", "upper-case", false},
		{"1 Thing", "lower-case", true}, // a digit-led result passes every case
		{"  ", "upper-case", true},
		{"Ça Va", "start-case", false}, // deburred to "Ca Va" first
		{"Ca Va", "start-case", true},
	}
	for _, tc := range cases {
		if got := ensureCase(tc.in, tc.target); got != tc.want {
			t.Errorf("ensureCase(%q, %s) = %v, want %v (toCase %q)", tc.in, tc.target, got, tc.want, toCase(jsTrim(stripQuoted(tc.in)), tc.target))
		}
	}
}

func TestWords(t *testing.T) {
	cases := map[string]string{
		"add thing":         "add|thing",
		"addThing":          "add|Thing",
		"HTTPRequest":       "HTTP|Request",
		"add-thing_now":     "add|thing|now",
		"1st 2ND 3rd 4th":   "1st|2ND|3rd|4th",
		"x2 speed":          "x|2|speed",
		"Привет мир":        "Привет|мир",
		"😀 smile":           "😀|smile",
		"👍🏽":                "👍🏽",
		"🇫🇷x":               "🇫🇷|x",
		"ÀÉÎ ÕÜ":            "ÀÉÎ|ÕÜ",
		"XMLHttpRequest2go": "XML|Http|Request|2|go",
	}
	for in, want := range cases {
		if got := strings.Join(words(in), "|"); got != want {
			t.Errorf("words(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestDecodeUTF8LikeNode(t *testing.T) {
	cases := map[string]string{
		"ok":               "ok",
		"\xe2\x82A":        "\uFFFDA", // a truncated sequence is one U+FFFD, not two
		"\xff\xfe":         "\uFFFD\uFFFD",
		"\xed\xa0\x80":     "\uFFFD\uFFFD\uFFFD", // a surrogate: each byte
		"\xf0\x9f\x98":     "\uFFFD",
		"a\xc3":            "a\uFFFD",
		"\xf4\x90\x80\x80": "\uFFFD\uFFFD\uFFFD\uFFFD",
	}
	for in, want := range cases {
		if got := decodeUTF8([]byte(in)); got != want {
			t.Errorf("decodeUTF8(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReportText(t *testing.T) {
	r := NewReport()
	cfg := ConfigConventional()
	r.Add(cfg.Lint("feat: ok", Options{}))
	r.Add(cfg.Lint("Fix: Xy\nbody", Options{}))
	want := "⧗   --- input ---\nFix: Xy\n\nbody\n" +
		"✖   subject must not be sentence-case, start-case, pascal-case [subject-case]\n" +
		"✖   type must be lower-case [type-case]\n" +
		"✖   type must be one of [build, chore, ci, docs, feat, fix, perf, refactor, revert, style, test] [type-enum]\n" +
		"⚠   body must have leading blank line [body-leading-blank]\n" +
		"\n✖   found 3 problems, 1 warnings\nⓘ   Get help: " + DefaultHelpURL + "\n\n"
	if got := r.Text(DefaultHelpURL); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if r.Valid || r.ErrorCount != 3 || r.WarningCount != 1 {
		t.Errorf("report %+v", r)
	}
	ok := NewReport()
	ok.Add(cfg.Lint("feat: ok", Options{}))
	if got := ok.Text(DefaultHelpURL); got != "" {
		t.Errorf("a clean report prints nothing, got %q", got)
	}
	b, _ := json.Marshal(ok)
	if string(b) != `{"valid":true,"errorCount":0,"warningCount":0,"results":[{"valid":true,"errors":[],"warnings":[],"input":"feat: ok"}]}` {
		t.Errorf("json %s", b)
	}
}

// FuzzLint runs the whole path — bytes decoded as Node does, the ignore
// list, the parser, every config-conventional rule and both report
// formats — and checks what must hold for any input.
func FuzzLint(f *testing.F) {
	for _, c := range goldenMessages()[:160] {
		f.Add([]byte(c.Message), c.Edit)
	}
	f.Add([]byte("\xe2\x82feat: x\r\n\r\n#1 closes #2\u2028y"), false)
	cfg := ConfigConventional()
	all := allRulesConfig(f)
	f.Fuzz(func(t *testing.T, msg []byte, edit bool) {
		opts := Options{}
		if edit {
			opts.CommentChar = "#"
		}
		o := cfg.LintBytes(msg, opts)
		if o.Valid != (len(o.Errors) == 0) {
			t.Fatalf("valid %v with errors %v", o.Valid, o.Errors)
		}
		if !utf8.ValidString(o.Input) {
			t.Fatalf("input is not valid UTF-8: %q", o.Input)
		}
		for _, p := range append(o.Errors, o.Warnings...) {
			if p.Valid || p.Message == "" || p.Name == "" {
				t.Fatalf("bad problem %+v", p)
			}
		}
		again := cfg.LintBytes(msg, opts)
		if showOutcome(again) != showOutcome(o) {
			t.Fatalf("not deterministic")
		}
		r := NewReport()
		r.Add(o)
		if text := r.Text(DefaultHelpURL); (text == "") != (len(o.Errors)+len(o.Warnings) == 0) {
			t.Fatalf("text output %q for %s", text, showOutcome(o))
		}
		if _, err := json.Marshal(r); err != nil {
			t.Fatal(err)
		}
		_ = all.LintBytes(msg, opts) // every rule, for panics
	})
}

// allRulesConfig enables every rule commitlint has except trailer-exists
// (which runs git), for the fuzzer.
func allRulesConfig(tb testing.TB) *Config {
	o, err := ParseJSConfig("all.js", `module.exports = {
  extends: ['@commitlint/config-conventional'],
  rules: {
    'body-case': [2, 'always', ['lower-case', 'camel-case', 'kebab-case', 'snake-case']],
    'body-empty': [2, 'never'], 'body-full-stop': [2, 'always'], 'body-max-length': [2, 'always', 50],
    'body-min-length': [2, 'always', 5], 'breaking-change-exclamation-mark': [2, 'always'],
    'footer-empty': [2, 'never'], 'footer-max-length': [2, 'always', 30], 'footer-min-length': [2, 'always', 3],
    'header-case': [2, 'never', 'upper-case'], 'header-full-stop': [2, 'never', '.'], 'header-min-length': [2, 'always', 10],
    'references-empty': [2, 'never'], 'scope-case': [2, 'always', {cases: ['kebab-case'], delimiters: ['/']}],
    'scope-delimiter-style': [2, 'always'], 'scope-empty': [2, 'never'], 'scope-enum': [2, 'always', ['a', 'b']],
    'scope-max-length': [2, 'always', 5], 'scope-min-length': [2, 'always', 2], 'signed-off-by': [2, 'always', 'Signed-off-by:'],
    'subject-exclamation-mark': [2, 'never'], 'subject-max-length': [2, 'always', 50], 'subject-min-length': [2, 'always', 3],
    'type-max-length': [2, 'always', 5], 'type-min-length': [2, 'always', 2],
  },
}`)
	if err != nil {
		tb.Fatal(err)
	}
	cfg, err := FromObject("all.js", o)
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// FuzzConfig feeds arbitrary text to the JavaScript, JSON and YAML config
// readers: they must refuse or accept, never panic, and what they accept
// must lint.
func FuzzConfig(f *testing.F) {
	for _, c := range configCases {
		f.Add(c.content)
	}
	f.Add("module.exports = {extends: ['@commitlint/config-conventional'], rules: {'x': [2, 'always', `a${b}`]}}")
	f.Add(`export default {extends: "@commitlint/config-conventional", rules: {"header-max-length": [2, "always", -0x10]}}`)
	f.Fuzz(func(t *testing.T, src string) {
		if o, err := ParseJSConfig("c.js", src); err == nil {
			if cfg, err := FromObject("c.js", o); err == nil {
				cfg.Lint("Feat(x): Y.\n\nbody\nCloses #1", Options{})
			}
		}
		for _, dec := range []func(string, string) (any, error){decodeJSON, decodeYAML} {
			if v, err := dec("c", src); err == nil {
				if o, ok := v.(*Object); ok {
					if cfg, err := FromObject("c", o); err == nil {
						cfg.Lint("feat: x", Options{})
					}
				}
			}
		}
	})
}

// FuzzWords checks the word splitter never loses its place: every word is
// a piece of the input, in order.
func FuzzWords(f *testing.F) {
	for _, s := range []string{"addThing", "HTTPRequest 2nd", "😀\u200d👍🏽 x", "Привет", "🇫🇷🇫"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		rest := s
		for _, w := range words(s) {
			i := strings.Index(rest, w)
			if w == "" || i < 0 {
				t.Fatalf("words(%q): %q is not next in %q", s, w, rest)
			}
			rest = rest[i+len(w):]
		}
		for _, target := range caseNames {
			ensureCase(s, target)
		}
	})
}

func BenchmarkLint(b *testing.B) {
	cfg := ConfigConventional()
	msg := "feat(api): add the export endpoint\n\nIt streams rows as CSV; see https://example.com/docs.\n\nCloses #12\nSigned-off-by: A <a@example.com>\n"
	b.ReportAllocs()
	for b.Loop() {
		cfg.Lint(msg, Options{})
	}
}

// BenchmarkLintHostile: a 1 MiB message of many short lines full of
// references, quotes and keywords stays linear.
func BenchmarkLintHostile(b *testing.B) {
	cfg := allRulesConfig(b)
	line := "fixes org/repo#12 \"q 'x #a#1 closes: #2 https://x.y/#3 ÀÉ addThing 😀\u200d"
	msg := "Feat(a/b): X" + strings.Repeat("\n"+line, hostileSize/len(line))
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		cfg.Lint(msg, Options{})
	}
}

const hostileSize = 1 << 20
