package deprecation

import (
	"strings"
	"testing"
)

const handWritten = `# Our API deprecations.
# Reviewed every quarter.

deprecations:
    # the old orders API
    - id: orders-v1
      component: api
      what: the /v1/orders endpoint   # still used by the mobile app
      since: 1.3.0
      date: "2026-12-01"
      removeAfter: 2.0.0

    - id: csv-export
      component: api
      what: 'the CSV export'
      since: 1.4.0
      date: "2027-01-10"
      removedIn: 2.0.0
# trailing note
`

// TestRegisterEditsPreserveBytes: a new entry is appended and a removal is
// marked; everything else in the hand-written file (comments, indentation,
// quoting, blank lines) keeps its bytes.
func TestRegisterEditsPreserveBytes(t *testing.T) {
	r, err := Parse(File, []byte(handWritten))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Entries) != 2 || r.Entries[0].What != "the /v1/orders endpoint" || r.Entries[1].What != "the CSV export" {
		t.Fatalf("entries: %+v", r.Entries)
	}
	if !r.Add(Entry{ID: ID("the XML export"), Component: "api", What: "the XML export: use JSON", Since: "1.5.0", Date: "2027-02-01", Commit: strings.Repeat("ab", 20)}) {
		t.Fatal("a new deprecation was not added")
	}
	if r.Add(Entry{ID: "whatever", Component: "api", What: "THE  /v1/orders endpoint", Since: "1.6.0", Date: "2027-03-01"}) {
		t.Error("deprecating the same thing twice adds a second entry")
	}
	i := r.Find("api", "orders-v1")
	r.Remove(i, "2.0.0", "customers moved\nearly")
	out, err := r.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(handWritten, "      removeAfter: 2.0.0\n", "      removeAfter: 2.0.0\n      removedIn: 2.0.0\n      earlyRemoval: \"customers moved early\"\n", 1) +
		"    - id: the-xml-export\n      component: api\n      what: \"the XML export: use JSON\"\n      since: 1.5.0\n      date: \"2027-02-01\"\n      commit: " + strings.Repeat("ab", 20) + "\n"
	if string(out) != want {
		t.Errorf("edited register:\n%s\nwant:\n%s", out, want)
	}
	back, err := Parse(File, out)
	if err != nil || len(back.Entries) != 3 || back.Entries[0].EarlyRemoval != "customers moved early" {
		t.Fatalf("read back: %+v %v", back, err)
	}
	// Unchanged registers are returned as they are.
	same, _ := Parse(File, []byte(handWritten))
	if out, err := same.Bytes(); err != nil || string(out) != handWritten {
		t.Errorf("an unedited register changed: %v", err)
	}
}

// TestRegisterEditsExistingKeyInPlace: a removedIn key already there (say,
// written empty by hand) is set in place, keeping its quoting.
func TestRegisterEditsExistingKeyInPlace(t *testing.T) {
	src := "deprecations:\n- id: a\n  what: a\n  since: 1.0.0\n  date: '2026-01-01'\n  removedIn: ''  # set by slipway\n"
	r, err := Parse(File, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	r.Remove(0, "2.0.0", "")
	out, err := r.Bytes()
	if err != nil || string(out) != strings.Replace(src, "removedIn: ''", "removedIn: '2.0.0'", 1) {
		t.Errorf("got %q %v", out, err)
	}
}

func TestRegisterCreatedAndEmptyForms(t *testing.T) {
	e := Entry{ID: "a", What: "a thing", Since: "1.0.0", Date: "2026-01-01", RemoveAfter: "2027-01-01"}
	for name, src := range map[string]string{
		"new file":     "",
		"null":         "deprecations:\n",
		"tilde":        "deprecations: ~ # none yet\n",
		"empty flow":   "# header\ndeprecations: []\n",
		"comment only": "# nothing here yet\n",
	} {
		r, err := Parse(File, []byte(src))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		r.Add(e)
		out, err := r.Bytes()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		back, err := Parse(File, out)
		if err != nil || len(back.Entries) != 1 || back.Entries[0] != e {
			t.Errorf("%s: %q reads back as %+v %v", name, out, back, err)
		}
		if name != "new file" && !strings.HasPrefix(string(out), strings.SplitN(src, "deprecations", 2)[0]) {
			t.Errorf("%s: the lines before deprecations: changed:\n%s", name, out)
		}
	}
}

func TestRegisterRefusals(t *testing.T) {
	ok := "deprecations:\n  - id: a\n    what: a\n    since: 1.0.0\n    date: \"2026-01-01\"\n"
	tests := map[string]struct{ src, want string }{
		"unknown top key": {"deprecated: []\n", `deprecations.yaml:1: unknown key "deprecated"`},
		"not a list":      {"deprecations: yes\n", "must be a list"},
		"flow list":       {"deprecations: [{id: a}]\n", "flow list"},
		"flow entry":      {"deprecations:\n  - {id: a}\n", "block mapping"},
		"unknown field":   {ok + "    remove: 2.0.0\n", "deprecations.yaml:6: deprecations[0].remove: unknown field"},
		"bad id":          {strings.Replace(ok, "id: a", "id: A B", 1), `deprecations[0].id: "A B"`},
		"bad since":       {strings.Replace(ok, "1.0.0", "1.0", 1), `deprecations.yaml:4: deprecations[0].since: "1.0" is not a version`},
		"bad date":        {strings.Replace(ok, "2026-01-01", "01/01/2026", 1), "is not a date (YYYY-MM-DD)"},
		"bad promise":     {ok + "    removeAfter: soon\n", `"soon" is neither a version`},
		"bad commit":      {ok + "    commit: abc\n", "not a full commit hash"},
		"duplicate id":    {ok + "  - id: a\n    what: b\n    since: 1.0.0\n    date: \"2026-01-01\"\n", `"a" is also the id of deprecations[0]`},
		"duplicate field": {ok + "    id: b\n", "is given twice"},
		"two documents":   {ok + "---\n" + ok, "more than one YAML document"},
		"not yaml":        {"deprecations: [\n", "deprecations.yaml"},
		"nested value":    {ok + "    what2: x\n", "unknown field"},
		"multi-line what": {strings.Replace(ok, "what: a", "what: |\n      a\n      b", 1), "one line"},
	}
	for name, tt := range tests {
		if _, err := Parse(File, []byte(tt.src)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error containing %q", name, err, tt.want)
		}
	}
	// Same id in two components is fine.
	two := ok + "  - id: a\n    component: web\n    what: a\n    since: 1.0.0\n    date: \"2026-01-01\"\n"
	if _, err := Parse(File, []byte(two)); err != nil {
		t.Errorf("ids are per component: %v", err)
	}
}

func TestRemovedMatchesFootersAndNotes(t *testing.T) {
	r, err := Parse(File, []byte(handWritten))
	if err != nil {
		t.Fatal(err)
	}
	r.Add(Entry{ID: "orders", Component: "api", What: "orders", Since: "1.0.0", Date: "2026-01-01"})
	r.Add(Entry{ID: "retries", Component: "web", What: "the retries option", Since: "1.0.0", Date: "2026-01-01"})
	idx, unknown := r.Removed("api", []string{"orders-v1", "no-such-thing"}, []string{"The reorders\nqueue is gone"})
	if len(idx) != 1 || r.Entries[idx[0]].ID != "orders-v1" || len(unknown) != 1 || unknown[0] != "no-such-thing" {
		t.Errorf("by footer: %v unknown %v", idx, unknown)
	}
	idx, _ = r.Removed("api", nil, []string{"dropped THE /v1/orders\n  endpoint; use /v2/orders"})
	if len(idx) != 1 || r.Entries[idx[0]].ID != "orders-v1" {
		t.Errorf("by note text: %v", idx)
	}
	// A one-word what is named by Removes: only; the CSV export is removed
	// already; another component's entry is not this one's.
	idx, _ = r.Removed("api", []string{"the csv export"}, []string{"orders are now paged; the retries option is gone"})
	if len(idx) != 0 {
		t.Errorf("one-word, removed and component rules: %v", idx)
	}
	if idx, _ = r.Removed("api", []string{"Orders"}, nil); len(idx) != 1 || r.Entries[idx[0]].ID != "orders" {
		t.Errorf("Removes: by what: %v", idx)
	}
}

// FuzzParseRegister: Parse never panics; a register it accepts, with an
// entry added and one removed, writes bytes that read back as intended (or
// Bytes refuses: it never writes a register that reads differently).
func FuzzParseRegister(f *testing.F) {
	f.Add(handWritten)
	f.Add("deprecations: []\n")
	f.Add("# c\n")
	f.Add("deprecations:\n- id: a\n  what: a\n  since: 1.0.0\n  date: '2026-01-01'\n")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(File, []byte(s))
		if err != nil {
			return
		}
		if len(r.Entries) > 0 {
			r.Remove(0, "9.0.0", "fuzz")
		}
		r.Add(Entry{ID: "fuzz-added", What: "fuzz added", Since: "1.0.0", Date: "2026-01-01"})
		out, err := r.Bytes()
		if err != nil {
			return
		}
		back, err := Parse(File, out)
		if err != nil || len(back.Entries) != len(r.Entries) {
			t.Fatalf("%q edited to %q does not read back: %v", s, out, err)
		}
	})
}

// TestRegisterSizeLimit: anyone who can push may grow the file; a
// register over the limit is refused, not read.
func TestRegisterSizeLimit(t *testing.T) {
	big := "deprecations:\n" + strings.Repeat("# padding\n", maxRegister/10+1)
	if _, err := Parse(File, []byte(big)); err == nil || !strings.Contains(err.Error(), "over the 4194304-byte limit") {
		t.Errorf("oversized register: %v", err)
	}
}
