package bundle

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestParseNotes(t *testing.T) {
	md := "## [2.3.0](https://x/compare) (2026-11-27)\n\n\n### ⚠ BREAKING CHANGES\n\n* **orders:** v1 is gone\n\n### Features\n\n* v2\n\n```md\n### not a heading\n```\n\n#### Details\n\ntext\n\n## 2.2.0 (2026-10-01)\n\nIntro line.\n\n### BREAKING CHANGES\n\n* angular preset\n### Deprecations:\n\n* old field\n### 💥 Breaking change\n\n* emoji\n### Upgrade Notes\n\n* run it\n"
	got := ParseNotes(md)
	want := []Release{
		{Heading: "[2.3.0](https://x/compare) (2026-11-27)", Sections: []Section{
			{Title: "⚠ BREAKING CHANGES", Kind: BreakingSection, Body: "* **orders:** v1 is gone"},
			{Title: "Features", Kind: OtherSection, Body: "* v2\n\n```md\n### not a heading\n```\n\n#### Details\n\ntext"},
		}},
		{Heading: "2.2.0 (2026-10-01)", Intro: "Intro line.", Sections: []Section{
			{Title: "BREAKING CHANGES", Kind: BreakingSection, Body: "* angular preset"},
			{Title: "Deprecations:", Kind: DeprecationSection, Body: "* old field"},
			{Title: "💥 Breaking change", Kind: BreakingSection, Body: "* emoji"},
			{Title: "Upgrade Notes", Kind: MigrationSection, Body: "* run it"},
		}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseNotes =\n%#v\nwant\n%#v", got, want)
	}
	if b := sectionsOf(got, BreakingSection); len(b) != 3 || !strings.HasPrefix(b[0], "From [2.3.0]") {
		t.Errorf("breaking sections of two releases = %q", b)
	}
	// Notes without a release heading (a bare section list).
	bare := ParseNotes("### Bug Fixes\n\n* one\n")
	if len(bare) != 1 || bare[0].Heading != "" || len(bare[0].Sections) != 1 || bare[0].Sections[0].Body != "* one" {
		t.Errorf("bare notes = %#v", bare)
	}
	if got := ParseNotes("   \n\n"); len(got) != 0 {
		t.Errorf("blank notes = %#v", got)
	}
}

func TestShiftHeadings(t *testing.T) {
	in := "### A\ntext\n```\n### code\n```\n###### deep\n#nope"
	want := "#### A\ntext\n```\n### code\n```\n###### deep\n#nope"
	if got := shiftHeadings(in, 1); got != want {
		t.Errorf("shiftHeadings = %q, want %q", got, want)
	}
}

// FuzzParseNotes: any Markdown parses; a section body never holds a line
// that would itself start a section or a release outside a code fence.
func FuzzParseNotes(f *testing.F) {
	f.Add("## 1.0.0\n\n### Features\n\n* x\n")
	f.Add("### ⚠ BREAKING CHANGES\n\n* **a:** b\n\n```\n## x\n```\n")
	f.Add("~~~\n### a\n~~~~\n## b\n")
	f.Add("   ### indented\n    ### code\n####### seven\n")
	f.Fuzz(func(t *testing.T, md string) {
		for _, r := range ParseNotes(md) {
			for _, s := range r.Sections {
				scanLines(s.Body, func(_ int, line string, level int, _ string) {
					if level > 0 && level <= 3 {
						t.Fatalf("section %q body holds heading line %q", s.Title, line)
					}
				})
			}
		}
	})
}

func TestSumsRoundTripAndSha256sum(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"a.txt": "a\n", "sub/b c.yaml": "b: 1\n", "z/.env.example": "X=\n"}
	for p, c := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sums, err := sumDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	data := FormatSums(sums)
	back, err := ParseSums(data)
	if err != nil || !reflect.DeepEqual(back, sums) {
		t.Fatalf("ParseSums(FormatSums) = %v, %v", back, err)
	}
	if err := os.WriteFile(filepath.Join(dir, SumsFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("sha256sum"); err == nil {
		// GNU sha256sum reads our file, and we read what it writes.
		cmd := exec.Command("sha256sum", "--check", "--strict", SumsFile)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sha256sum --check: %v\n%s", err, out)
		}
		cmd = exec.Command("sha256sum", "--binary", "a.txt", "sub/b c.yaml", "z/.env.example")
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := ParseSums(out)
		if err != nil || !reflect.DeepEqual(theirs, sums) {
			t.Errorf("ParseSums(sha256sum --binary output) = %v, %v\n%s", theirs, err, out)
		}
	}
}

func TestParseSumsRefuses(t *testing.T) {
	h := strings.Repeat("a", 64)
	for _, tc := range []struct{ in, want string }{
		{"", "is empty"},
		{h + "  a.txt", "does not end with a newline"},
		{h + " a.txt\n", "is not \"<sha256 hex>  <file>\""},
		{strings.ToUpper(h) + "  a.txt\n", "lowercase hex"},
		{h + "  ../a.txt\n", "not a clean path"},
		{h + "  /etc/passwd\n", "is absolute"},
		{h + "  a/./b\n", "not a clean path"},
		{h + "  a.txt\n" + h + "  a.txt\n", "line 2: a.txt is already listed on line 1"},
		{h + "  SHA256SUMS.sig\n", "cannot be checksummed by itself"},
		{"\\" + h + "  a\\nb\n", "is not"},
	} {
		if _, err := ParseSums([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseSums(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
}

// FuzzParseSums: what parses formats back to the same list.
func FuzzParseSums(f *testing.F) {
	h := strings.Repeat("0", 64)
	f.Add([]byte(h + "  a.txt\n" + h + " *b/c\n"))
	f.Add([]byte(h + "  ..\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sums, err := ParseSums(data)
		if err != nil {
			return
		}
		for _, s := range sums {
			if err := checkBundlePath(s.Path); err != nil {
				t.Fatalf("accepted path %q: %v", s.Path, err)
			}
		}
		back, err := ParseSums(FormatSums(sums))
		slices.SortFunc(sums, func(a, b Sum) int { return strings.Compare(a.Path, b.Path) })
		if err != nil || !reflect.DeepEqual(back, sums) {
			t.Fatalf("round trip: %v %v", back, err)
		}
	})
}

func TestParseUpgradeStops(t *testing.T) {
	stops, err := ParseUpgradeStops([]byte("stops:\n  - {version: 2.0.0, reason: b}\n  - {version: 1.2.0, reason: ' a '}\n"), "s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if want := []UpgradeStop{{"1.2.0", "a"}, {"2.0.0", "b"}}; !reflect.DeepEqual(stops, want) {
		t.Errorf("stops = %v, want sorted %v", stops, want)
	}
	if s, err := ParseUpgradeStops(nil, "s.yaml"); err != nil || len(s) != 0 {
		t.Errorf("empty file = %v, %v", s, err)
	}
	for _, tc := range []struct{ in, want string }{
		{"stops:\n  - {version: 1.2, reason: x}\n", `stops[0].version "1.2" is not a SemVer version`},
		{"stops:\n  - {version: 1.2.0-rc.1, reason: x}\n", "is a prerelease"},
		{"stops:\n  - {version: 1.2.0}\n", "has no reason"},
		{"stops:\n  - {version: 1.2.0, reason: a}\n  - {version: 1.2.0, reason: b}\n", "listed twice"},
		{"stop:\n  - {version: 1.2.0, reason: a}\n", "field stop not found"},
		{"stops: [{version: 1.0.0, reason: a, when: now}]\n", "field when not found"},
	} {
		if _, err := ParseUpgradeStops([]byte(tc.in), "s.yaml"); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "s.yaml") {
			t.Errorf("ParseUpgradeStops(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
}

// FuzzParseUpgradeStops: accepted stops are sorted, unique, with reasons.
func FuzzParseUpgradeStops(f *testing.F) {
	f.Add([]byte("stops:\n  - {version: 2.0.0, reason: b}\n  - {version: 1.2.0, reason: a}\n"))
	f.Add([]byte("stops: []\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		stops, err := ParseUpgradeStops(data, "fuzz")
		if err != nil {
			return
		}
		for i, s := range stops {
			if s.Reason == "" || (i > 0 && compareVersions(stops[i-1].Version, s.Version) >= 0) {
				t.Fatalf("stops not sorted/unique/reasoned: %v", stops)
			}
		}
	})
}

func TestComposeVariables(t *testing.T) {
	model, _, err := decodeOne([]byte(`
name: ${PROJECT:-acme}
services:
  api:
    image: x
    environment:
      A: ${A:?need A}
      B: ${B:-b default}
      C:
      D: literal $$E and ${F}
    command: ["echo", "$G"]
  worker:
    image: y
    environment: [A, "H=1", "I"]
    env_file: [common.env, {path: worker.env, required: false}]
`), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got := composeVariables(model.(map[string]any))
	want := []Variable{
		{Name: "A", Required: true, PassThrough: true, UsedBy: []string{"api", "worker"}},
		{Name: "B", Default: "b default", UsedBy: []string{"api"}},
		{Name: "C", PassThrough: true, UsedBy: []string{"api"}},
		{Name: "F", UsedBy: []string{"api"}},
		{Name: "G", UsedBy: []string{"api"}},
		{Name: "I", PassThrough: true, UsedBy: []string{"worker"}},
		{Name: "PROJECT", Default: "acme", UsedBy: []string{"(project)"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("composeVariables =\n%+v\nwant\n%+v", got, want)
	}
	files := envFiles(model.(map[string]any))
	if !reflect.DeepEqual(files, map[string][]string{"common.env": {"worker"}, "worker.env": {"worker"}}) {
		t.Errorf("envFiles = %v", files)
	}
}

// FuzzDotenvValue: a value dotenvValue writes reads back the same through
// compose's .env parser, or is left out.
func FuzzDotenvValue(f *testing.F) {
	for _, s := range []string{"8080", "b default", "it's", "a#b", "${X}", "x\ny", `"q"`, " lead", "$$", "\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		w := dotenvValue(v)
		if w == "" {
			return
		}
		got, err := parseDotenv([]byte("X="+w+"\n"), "fuzz")
		if err != nil || got["X"] != v {
			t.Fatalf("dotenvValue(%q) = %q, reads back %q (%v)", v, w, got["X"], err)
		}
	})
}

func TestInsertFirstKeyKeepsEveryByte(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"LF", "services:\n  s:\n    # c\n    image: x\n", "services:\n  s:\n    # c\n    profiles: [\"standard\"]\n    image: x\n"},
		{"CRLF", "services:\r\n  s:\r\n      image: x\r\n", "services:\r\n  s:\r\n      profiles: [\"standard\"]\r\n      image: x\r\n"},
	} {
		out, err := insertFirstKey([]byte(tc.in), "c.yaml", []string{"services", "s"}, "profiles", []any{"standard"}, `["standard"]`)
		if err != nil || string(out) != tc.want {
			t.Errorf("%s: insertFirstKey = %q, %v; want %q", tc.name, out, err, tc.want)
		}
	}
	for _, in := range []string{"services: {s: {image: x}}\n", "services:\n  s: {image: x}\n", "services:\n  s:\n"} {
		if _, err := insertFirstKey([]byte(in), "c.yaml", []string{"services", "s"}, "profiles", []any{"standard"}, `["standard"]`); err == nil || !strings.Contains(err.Error(), "add `profiles: [\"standard\"]` under it yourself") {
			t.Errorf("insertFirstKey(%q) = %v, want a refusal", in, err)
		}
	}
}

func TestAppendTopLevel(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "# c\nk:\n  x: 1\n"},
		{"a: 1", "a: 1\n# c\nk:\n  x: 1\n"},
		{"a: 1\r\n", "a: 1\r\n# c\r\nk:\r\n  x: 1\r\n"},
	} {
		out, err := appendTopLevel([]byte(tc.in), "v.yaml", "k", map[string]any{"x": 1}, "c")
		if err != nil || string(out) != tc.want {
			t.Errorf("appendTopLevel(%q) = %q, %v; want %q", tc.in, out, err, tc.want)
		}
		if !bytes.HasPrefix(out, []byte(strings.TrimRight(tc.in, "\n"))) {
			t.Errorf("appendTopLevel(%q) changed existing bytes", tc.in)
		}
	}
	for _, in := range []string{"- a\n", "{a: 1}\n", "k: 1\n", "a: |\n  text\n...\n"} {
		if _, err := appendTopLevel([]byte(in), "v.yaml", "k", 1, "c"); err == nil {
			t.Errorf("appendTopLevel(%q) succeeded", in)
		}
	}
}

func TestParseMigrationName(t *testing.T) {
	for _, tc := range []struct {
		name, version, phase string
		down                 bool
	}{
		{"0002_expand_orders_customer_id.sql", "0002", "expand", false},
		{"20261128093000_contract_drop_x.up.sql", "20261128093000", "contract", false},
		{"0003_add_index.down.sql", "0003", "", true},
		{"V12__expand_users.sql", "12", "expand", false},
		{"README.md", "", "", false},
	} {
		v, p, d := parseMigrationName(tc.name)
		if v != tc.version || p != tc.phase || d != tc.down {
			t.Errorf("parseMigrationName(%s) = %q %q %v", tc.name, v, p, d)
		}
	}
}

func TestPlatformsMatchDefaultVariants(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"linux/arm64", "linux/arm64/v8", true},
		{"linux/arm", "linux/arm/v7", true},
		{"linux/arm/v6", "linux/arm/v7", false},
		{"linux/amd64", "linux/amd64/v3", false},
	} {
		if got := normalPlatform(tc.a) == normalPlatform(tc.b); got != tc.same {
			t.Errorf("%s vs %s: same = %v", tc.a, tc.b, got)
		}
	}
}
