package commitlint

// These tests hold Slipway's verdicts against the real commitlint.
//
// testdata/golden.jsonl was recorded by running @commitlint/cli 21.2.4 with
// @commitlint/config-conventional 21.2.4 (testdata/reference) over the
// messages of goldenMessages; TestGolden checks every outcome, field by
// field, on every run. With COMMITLINT_REFERENCE naming a directory where
// testdata/reference/package.json is installed (npm install), the tests
// below also run commitlint live:
//
//	go test ./conventional/commitlint -run Reference -update   # re-record
//	go test ./conventional/commitlint -run Reference           # + random messages

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "re-record testdata/golden.jsonl with the real commitlint (needs COMMITLINT_REFERENCE)")

type refCase struct {
	Message string `json:"message"`
	Edit    bool   `json:"edit,omitempty"`
	// Config names a configCases entry (its file is written under the
	// reference directory when comparing live); "" is config-conventional.
	Config  string   `json:"config,omitempty"`
	Outcome *Outcome `json:"outcome,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// referenceDir returns COMMITLINT_REFERENCE, skipping loudly without it.
func referenceDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("COMMITLINT_REFERENCE")
	if dir == "" {
		t.Skip("SKIP: the real commitlint is not available: set COMMITLINT_REFERENCE to a directory where " +
			"conventional/commitlint/testdata/reference/package.json is installed (npm install) to compare live")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("SKIP: node is not installed; the live comparison with commitlint needs it")
	}
	return dir
}

// runReference lints every case with the real commitlint, in one node
// process.
func runReference(t *testing.T, cases []refCase) []refCase {
	t.Helper()
	dir := referenceDir(t)
	var in bytes.Buffer
	enc := json.NewEncoder(&in)
	for _, c := range cases {
		req := map[string]any{"message": c.Message, "edit": c.Edit}
		if c.Config != "" {
			req["dir"] = writeConfigCase(t, filepath.Join(dir, "slipway-configs"), c.Config)
		}
		if err := enc.Encode(req); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("node", filepath.Join("testdata", "reference", "reference.mjs"))
	cmd.Env = append(os.Environ(), "COMMITLINT_REFERENCE="+dir)
	cmd.Stdin = &in
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node reference.mjs: %v\n%s", err, stderr.String())
	}
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<24)
	res := make([]refCase, 0, len(cases))
	for i := 0; sc.Scan(); i++ {
		var o struct {
			Outcome
			Error string `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatalf("reference output %d: %v", i, err)
		}
		c := cases[i]
		if o.Error != "" {
			c.Error = o.Error
		} else {
			oc := o.Outcome
			c.Outcome = &oc
		}
		res = append(res, c)
	}
	if len(res) != len(cases) {
		t.Fatalf("reference answered %d of %d messages\n%s", len(res), len(cases), stderr.String())
	}
	return res
}

var loadedConfigs = map[string]*Config{}

func ours(t *testing.T, c refCase) Outcome {
	opts := Options{}
	if c.Edit {
		opts.CommentChar = "#"
	}
	cfg := ConfigConventional()
	if c.Config != "" {
		var ok bool
		if cfg, ok = loadedConfigs[c.Config]; !ok {
			var err error
			if cfg, err = Load(writeConfigCase(t, t.TempDir(), c.Config)); err != nil {
				t.Fatalf("config %s: %v", c.Config, err)
			}
			loadedConfigs[c.Config] = cfg
		}
	}
	return cfg.Lint(c.Message, opts)
}

func sameOutcome(a, b Outcome) bool {
	norm := func(o Outcome) Outcome {
		if o.Errors == nil {
			o.Errors = []Problem{}
		}
		if o.Warnings == nil {
			o.Warnings = []Problem{}
		}
		return o
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

func showOutcome(o Outcome) string {
	b, _ := json.Marshal(o)
	return string(b)
}

func TestGolden(t *testing.T) { checkGolden(t, "testdata/golden.jsonl", goldenMessages, 300) }

// TestGoldenConfigs: the same under each project configuration of
// configCases (every file format, every rule).
func TestGoldenConfigs(t *testing.T) {
	checkGolden(t, "testdata/golden-configs.jsonl", configMessages, 800)
}

func configMessages() []refCase {
	base := goldenMessages()
	var cases []refCase
	names := make([]string, 0, len(configCases))
	for name := range configCases {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for i, c := range base {
			// The boundary cases and one generated message in five.
			if i < 150 || i%5 == 0 {
				c.Config = name
				cases = append(cases, c)
			}
		}
	}
	return cases
}

func checkGolden(t *testing.T, path string, gen func() []refCase, min int) {
	if *update {
		cases := runReference(t, gen())
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		for _, c := range cases {
			if err := enc.Encode(c); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (record it with -update and COMMITLINT_REFERENCE)", err)
	}
	n := 0
	for i, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var c refCase
		if err := json.Unmarshal(line, &c); err != nil {
			t.Fatalf("%s:%d: %v", path, i+1, err)
		}
		if c.Outcome == nil {
			continue // commitlint threw; its CLI never passes such input
		}
		n++
		if got := ours(t, c); !sameOutcome(got, *c.Outcome) {
			t.Errorf("%s:%d: message %q (edit %v, config %q)\ncommitlint: %s\nslipway:    %s", path, i+1, c.Message, c.Edit, c.Config, showOutcome(*c.Outcome), showOutcome(got))
		}
	}
	if n < min {
		t.Fatalf("only %d golden outcomes in %s; it should hold at least %d", n, path, min)
	}
}

// TestReferenceRandom compares thousands of generated messages live.
func TestReferenceRandom(t *testing.T) {
	n := 4000
	if testing.Short() {
		n = 500
	}
	cases := make([]refCase, n)
	rng := rand.New(rand.NewPCG(uint64(len(os.Getenv("SEED"))), 15))
	for i := range cases {
		cases[i] = refCase{Message: randomMessage(rng), Edit: rng.IntN(4) == 0}
	}
	compareLive(t, cases)
}

var (
	genTypes    = []string{"feat", "fix", "Fix", "FIX", "chore", "docs", "", "build", "ci", "perf", "refactor", "revert", "style", "test", "feature", "1fix", "fix_up", "Feat", "ﬁx", "fıx"}
	genScopes   = []string{"", "", "(api)", "(API)", "(a/b)", "()", "(a, b)", "(Api)", "(my-scope)", "(a)(b)", "(x", "(a)!"}
	genSeps     = []string{": ", ": ", ": ", ":", " : ", ":  ", "!: ", ":\t", "： "}
	genSubjects = []string{
		"add thing", "Add thing", "Add Thing", "ADD THING", "addThing", "AddThing", "add-thing", "add_thing",
		"Ça va", "ça va", "émoji 😀 time", "über Cool", "`Eslint` config", "\"Quoted\" start", "'Single' quoted",
		"1st thing", "iOS support", "x.", "x...", "x!", "Привет мир", "привет мир", "ǅungla", "ß", "İstanbul",
		"ſtuff", "😀 smile", "😀Smile", "𐐨eseret", "𐐀eseret", "Ⅻ numerals", "\u0345x", "ABC def", "HTTPRequest handler",
		"a", "A", "", " ", "update README.md", "Update README.md", "v1.2.3", "1.2.3", "fix #12", "closes #12",
		"add 3RD party", "add 2nd pass", "add x2 speed", "XML parser", "Xml Parser", "camelCase thing", "don't panic",
		"Don't Panic", "ÀÉÎ ÕÜ", "àéî õü", "a–b dash", "日本語 テキスト", "ΑΣ greek", "ας greek", "k\u212a",
		"add thing.", "Add Thing.", strings.Repeat("x", 90), strings.Repeat("y", 94), strings.Repeat("é", 93),
		strings.Repeat("😀", 47), "thing\u00a0", "\u00a0thing", "tab\tthing", "a \"b\" c", "\"All Quoted\"",
	}
	genBodies = []string{
		"", "body", "Body text here.", strings.Repeat("b", 100), strings.Repeat("b", 101),
		"see https://example.com/" + strings.Repeat("p", 120), strings.Repeat("z", 99) + "é", strings.Repeat("😀", 50),
		"line one\nline two", "Fixes #12", "fix #12 in body", "closes #1, #2", "refs: #3", "para\n\npara two",
		"* list item\n* other", "#12 at start", "see http://x", "BREAKING CHANGE: gone", "breaking change: lower",
		"- BREAKING CHANGE: dash", "* BREAKING CHANGE: star", "Token: value", "Token #value", "Co-authored-by: A <a@b>",
		"gpg: Signature made", "# a comment", "text\rwith cr", "text\u2028with ls", "\ttabbed body", "  indented: x",
	}
	genFooters = []string{
		"", "Closes #12", "BREAKING CHANGE: removes x", "BREAKING-CHANGE: removes y", "Signed-off-by: A <a@b>",
		"Refs: #1\nReviewed-by: Z", "Closes #" + strings.Repeat("1", 120), "Link: https://example.com/" + strings.Repeat("q", 120),
		"Fixes: " + strings.Repeat("w", 100), "(cherry picked from commit 1234567890abcdef)", "BREAKING CHANGE: a\nmore text\n\nafter",
		"Merge pull request #1 from x", "Acked-by: x\n" + strings.Repeat("v", 101),
	}
	genSpecial = []string{
		"Merge branch 'main' into dev", "Merge pull request #12 from a/b", "Merge tag 'v1.0.0'", "Revert \"feat: x\"",
		"revert something", "Reapply \"feat: x\"", "fixup! feat: x", "squash! fix: y", "amend! docs: z", "v1.2.3",
		"1.2.3", "chore(release): 1.2.3", "chore: v2.0.0-rc.1 [skip ci]", "chore(release): 1.2.3 (skip ci)", "01.2.3",
		"9007199254740992.0.0", "Merged PR 12: thing", "Merged in feature", "Merged branch into main", "Automatic merge from x",
		"Auto-merged a into b", "Merge remote-tracking branch 'origin/x'", "Merge x into y", "Merge into", "revert: feat: x",
		"Revert: x", "Initial commit", "WIP", "", " ", "\n\n", "feat: x\n\nMerge branch 'a'", "1.0.0\r\nbody",
	}
)

func pickOne(r *rand.Rand, list []string) string { return list[r.IntN(len(list))] }

// randomMessage builds a message from pieces chosen to sit on the rules'
// boundaries, with random separators, whitespace and line endings.
func randomMessage(r *rand.Rand) string {
	if r.IntN(8) == 0 {
		s := pickOne(r, genSpecial)
		if r.IntN(2) == 0 {
			s += "\n"
		}
		return s
	}
	header := pickOne(r, genTypes) + pickOne(r, genScopes) + pickOne(r, genSeps) + pickOne(r, genSubjects)
	switch r.IntN(10) {
	case 0:
		header = " " + header
	case 1:
		header += " "
	case 2:
		header = "\t" + header + "\t"
	case 3:
		header = "\ufeff" + header
	}
	nl := "\n"
	if r.IntN(6) == 0 {
		nl = "\r\n"
	}
	msg := header
	if r.IntN(8) == 0 {
		msg = nl + msg
	}
	for i := r.IntN(3); i > 0; i-- {
		sep := nl + nl
		if r.IntN(4) == 0 {
			sep = nl
		}
		msg += sep + pickOne(r, genBodies)
	}
	for i := r.IntN(3); i > 0; i-- {
		sep := nl + nl
		if r.IntN(4) == 0 {
			sep = nl
		}
		msg += sep + pickOne(r, genFooters)
	}
	if r.IntN(5) == 0 {
		msg += nl + "# Please enter the commit message" + nl + "# ------------------------ >8 ------------------------" + nl + "diff"
	}
	switch r.IntN(4) {
	case 0:
		msg += nl
	case 1:
		msg += nl + nl
	}
	return msg
}

// goldenMessages are the recorded cases: every rule at its boundaries,
// the ignore list, and a fixed sample of generated messages.
func goldenMessages() []refCase {
	var cases []refCase
	add := func(edit bool, msgs ...string) {
		for _, m := range msgs {
			cases = append(cases, refCase{Message: m, Edit: edit})
		}
	}
	h := func(n int) string { return "feat: " + strings.Repeat("a", n-len("feat: ")) }
	add(false,
		h(100), h(101), h(100)+"\n", "feat: "+strings.Repeat("é", 94), "feat: "+strings.Repeat("😀", 47), "feat: "+strings.Repeat("😀", 48),
		"feat: x\n\n"+strings.Repeat("b", 100), "feat: x\n\n"+strings.Repeat("b", 101), "feat: x\n\n"+strings.Repeat("😀", 50)+"b",
		"feat: x\n\nhttps://example.com/"+strings.Repeat("p", 120), "feat: x\n\nsee https://"+strings.Repeat("p", 120),
		"feat: x\n\nCloses #1\n"+strings.Repeat("f", 100), "feat: x\n\nCloses #1\n"+strings.Repeat("f", 101),
		" feat: x", "feat: x ", " feat: x ", "\tfeat: x", "\u00a0feat: x", "\ufefffeat: x", "feat: x\u3000",
		"feat: x\r\n\r\nbody\r\n", "feat: x\r\nbody", "feat: x\rbody", "feat: x\u2028y",
		"Feat: x", "FEAT: x", "fEat: x", "feat(API): x", "feat(Api)!: x", "feat!: x", "feat(a)!: x", "feat: ",
		"feat:", "feat:x", ": x", "(scope): x", "x", "foo: x", "feature: x", "1fix: x",
		"feat: Add thing", "feat: Add Thing", "feat: ADD THING", "feat: AddThing", "feat: addThing", "feat: add thing",
		"feat: `Eslint` config", "feat: \"Quoted\"", "feat: 'Quoted' x", "feat: 1st thing", "feat: iOS support",
		"feat: Ça va", "feat: ça va", "feat: Привет мир", "feat: ß", "feat: 𐐨x", "feat: 𐐀x", "feat: \u0345x",
		"feat: add thing.", "feat: add thing...", "feat: add thing!", "feat(x): x.", "feat: x\n\nbody.",
		"feat: x\nbody", "feat: x\n\nbody", "feat: x\n\n\nbody", "feat: x\nCloses #1", "feat: x\n\nbody\nCloses #1",
		"feat: x\n\nbody\n\nCloses #1", "feat: x\n\nBREAKING CHANGE: y", "feat: x\nBREAKING CHANGE: y",
		"feat: x\n\nbody\nBREAKING CHANGE: y\nmore", "feat: x\n\nSigned-off-by: a", "feat: x\n\nbody\n\nSigned-off-by: a\nRefs #2",
		"Merge branch 'main'", "Merge pull request #1 from a/b", "Merge tag 'v1'", "Revert \"feat: x\"", "revert thing",
		"Reapply \"x\"", "fixup! x", "squash! x", "amend! x", "1.2.3", "v1.2.3", "chore(release): 1.2.3", "chore: 1.2.3 [skip ci]",
		"Merged PR 1: x", "Merged in x", "Automatic merge", "Auto-merged a into b", "Merge remote-tracking branch 'o/x'",
		"feat: x\n\nMerge branch 'y'", "Merge x into y", "revert: feat: x", "Revert: x", "", "\n", "gpg: x\nfeat: y",
	)
	add(true,
		"feat: x\n# comment\n", "# only a comment\n", "feat: x\n\nbody\n# ------------------------ >8 ------------------------\ndiff --git\n",
		"Feat: X\n\n# Please enter\n", "feat: x\n\n#12 starts body\n",
	)
	rng := rand.New(rand.NewPCG(2026, 15))
	for i := 0; i < 400; i++ {
		cases = append(cases, refCase{Message: randomMessage(rng), Edit: rng.IntN(4) == 0})
	}
	return cases
}

// genAlphabet mixes the character classes lodash's word splitting, the
// case checks and JavaScript's whitespace treat differently.
var genAlphabet = []string{
	"a", "b", "z", "A", "B", "Z", "0", "1", "2", "3", "4", "7", " ", " ", " ", "-", "_", ".", ",", ":", ";", "!", "?",
	"'", "\u2019", "\"", "`", "(", ")", "[", "]", "#", "/", "\\", "@", "+", "=", "&", "%", "*",
	"é", "É", "ß", "ÿ", "×", "÷", "Æ", "ø", "ŉ", "ĳ", "ſ", "ı", "İ", "ǅ", "Σ", "σ", "ς", "α", "Ж", "ж", "日", "ー",
	"\u0301", "\u0345", "\u20dd", "\ufe0f", "\u200d", "😀", "👍", "🏽", "🇫", "🇷", "✂", "❤", "𐐨", "𐐀", "ﬁ",
	"\u00a0", "\u2003", "\u3000", "\ufeff", "\u0085", "\u180e", "\t", "\v", "\f", "\r", "\u2028",
	"st", "nd", "rd", "th", "ST", "ND", "TH", "1st", "2ND", "11th", "http://x.y", "fixes ", "closes #1",
}

func randomText(r *rand.Rand, max int) string {
	var b strings.Builder
	for i := r.IntN(max + 1); i > 0; i-- {
		b.WriteString(pickOne(r, genAlphabet))
	}
	return b.String()
}

// TestReferenceRandomText compares subjects, scopes, bodies and footers
// made of random characters.
func TestReferenceRandomText(t *testing.T) {
	n := 5000
	if testing.Short() {
		n = 500
	}
	rng := rand.New(rand.NewPCG(uint64(len(os.Getenv("SEED")))+99, 3))
	cases := make([]refCase, n)
	for i := range cases {
		var msg string
		switch rng.IntN(4) {
		case 0:
			msg = "feat: " + randomText(rng, 12)
		case 1:
			msg = pickOne(rng, genTypes) + "(" + randomText(rng, 4) + "): " + randomText(rng, 8)
		case 2:
			msg = randomText(rng, 10) + ": " + randomText(rng, 10)
		default:
			msg = "fix: " + randomText(rng, 6) + "\n" + strings.Repeat("\n", rng.IntN(2)) + randomText(rng, 30) + "\n\n" + randomText(rng, 20)
		}
		cases[i] = refCase{Message: msg, Edit: rng.IntN(5) == 0}
	}
	compareLive(t, cases)
}

var genRefPieces = []string{
	"#1", "#12", "#a1", "#abc", "#-", "#_9", "org/repo#3", "repo#4", "a.b#5", "x-#6", "(#7)", "#8,", "#9.", "#10;", "#11]",
	"#12!", "##13", "# 14", "fix", "fixes", "Fixes", "FIXED", "prefix", "fixup", "close", "closes:", "Closes:", "resolves",
	"resolved", "reclose", "see", " ", " ", " ", "\t", "\u00a0", ",", ":", "https://x.y/#15", "http://a", "www", "\r", "\u2028",
	"gh-16", "#17x", "Refs", "Token", "issue", "and",
}

// TestReferenceRandomReferences compares references-empty on lines made
// of action words, issue numbers, repositories and URLs.
func TestReferenceRandomReferences(t *testing.T) {
	n := 4000
	if testing.Short() {
		n = 400
	}
	rng := rand.New(rand.NewPCG(uint64(len(os.Getenv("SEED")))+7, 5))
	line := func() string {
		var b strings.Builder
		for i := rng.IntN(7); i >= 0; i-- {
			b.WriteString(pickOne(rng, genRefPieces))
		}
		return b.String()
	}
	cases := make([]refCase, n)
	for i := range cases {
		msg := "feat: " + line()
		for j := rng.IntN(3); j > 0; j-- {
			msg += "\n\n" + line()
		}
		cases[i] = refCase{Message: msg, Config: "cjs"}
	}
	compareLive(t, cases)
}

// compareLive lints cases with the real commitlint and with Slipway and
// reports the first differences.
func compareLive(t *testing.T, cases []refCase) {
	t.Helper()
	bad := 0
	for _, c := range runReference(t, cases) {
		if c.Outcome == nil {
			continue
		}
		if o := ours(t, c); !sameOutcome(o, *c.Outcome) {
			bad++
			if bad <= 15 {
				t.Errorf("message %q (edit %v, config %q)\ncommitlint: %s\nslipway:    %s", c.Message, c.Edit, c.Config, showOutcome(*c.Outcome), showOutcome(o))
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d messages differ", bad, len(cases))
	}
}
