package deprecation

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"gopkg.in/yaml.v3"

	"github.com/slipway/slipway/gitops"
)

// File is the register's path in the application repository.
const File = "deprecations.yaml"

// Entry is one deprecated thing of one component.
type Entry struct {
	// ID names it in `Removes:` footers and errors (see ID).
	ID string `yaml:"id" json:"id"`
	// Component is the service it belongs to ("" in a single-component
	// repository).
	Component string `yaml:"component,omitempty" json:"component,omitempty"`
	// What is deprecated, as the footer said.
	What string `yaml:"what" json:"what"`
	// Since is the version whose release deprecated it, Date that
	// release's day (YYYY-MM-DD): the deprecation window counts from them.
	Since string `yaml:"since" json:"since"`
	Date  string `yaml:"date" json:"date"`
	// RemoveAfter is the footer's promise: a version or a date it stays
	// through ("" when none).
	RemoveAfter string `yaml:"removeAfter,omitempty" json:"removeAfter,omitempty"`
	// Commit is the commit whose footer deprecated it.
	Commit string `yaml:"commit,omitempty" json:"commit,omitempty"`
	// RemovedIn is the version whose release removed it ("" while it stays).
	RemovedIn string `yaml:"removedIn,omitempty" json:"removedIn,omitempty"`
	// EarlyRemoval is the reason given to remove it inside its window
	// (`slipway release --allow-early-removal`).
	EarlyRemoval string `yaml:"earlyRemoval,omitempty" json:"earlyRemoval,omitempty"`
}

// fields are the keys an entry may have, in the order Slipway writes them.
var fields = []string{"id", "component", "what", "since", "date", "removeAfter", "commit", "removedIn", "earlyRemoval"}

// Register is the parsed deprecations.yaml. Edits (Add, Remove) are written
// back by Bytes without touching the bytes of what did not change.
type Register struct {
	Entries []Entry
	name    string
	src     []byte
	orig    []Entry // the entries src holds
}

var (
	idRE        = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	componentRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._/@-]{0,126}[A-Za-z0-9])?$`)
	commitRE    = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)
)

// maxRegister bounds the file Slipway reads from a repository anyone may push to.
const maxRegister = 4 << 20

// Parse reads a register; name is used in errors (a path). Empty content is
// an empty register. Errors name the line and field and say what to write.
func Parse(name string, data []byte) (*Register, error) {
	r := &Register{name: name, src: data}
	if len(data) > maxRegister {
		return nil, fmt.Errorf("%s is %d bytes, over the %d-byte limit: a register lists deprecations, one short entry each", name, len(data), maxRegister)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return r, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return r, nil // comments only
	} else if err != nil {
		return nil, fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: holds more than one YAML document: keep one document with a deprecations: list", name)
	}
	seq, err := r.sequence(&doc)
	if err != nil || seq == nil {
		return r, err
	}
	seen := map[[2]string]int{}
	for i, item := range seq.Content {
		e, err := r.entry(i, item)
		if err != nil {
			return nil, err
		}
		key := [2]string{e.Component, e.ID}
		if j, dup := seen[key]; dup {
			return nil, fmt.Errorf("%s:%d: deprecations[%d].id: %q is also the id of deprecations[%d]%s: ids are unique per component", name, item.Line, i, e.ID, j, forComponent(e.Component))
		}
		seen[key] = i
		r.Entries = append(r.Entries, e)
	}
	r.orig = append([]Entry(nil), r.Entries...)
	return r, nil
}

// sequence finds the deprecations: list (nil when empty or null).
func (r *Register) sequence(doc *yaml.Node) (*yaml.Node, error) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode || root.Style&yaml.FlowStyle != 0 {
		return nil, fmt.Errorf("%s:%d: the file must be a mapping with one key, deprecations: followed by a list", r.name, root.Line)
	}
	var seq *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value != "deprecations" {
			return nil, fmt.Errorf("%s:%d: unknown key %q: the file holds only deprecations:", r.name, k.Line, k.Value)
		}
		seq = v
	}
	switch {
	case seq == nil:
		return nil, nil
	case seq.Kind == yaml.ScalarNode && seq.Tag == "!!null":
		return nil, nil
	case seq.Kind != yaml.SequenceNode:
		return nil, fmt.Errorf("%s:%d: deprecations: must be a list of entries (- id: …)", r.name, seq.Line)
	case seq.Style&yaml.FlowStyle != 0 && len(seq.Content) > 0:
		return nil, fmt.Errorf("%s:%d: deprecations: is a flow list ([…]): write one \"- id: …\" block per entry, so Slipway can add entries without rewriting the file", r.name, seq.Line)
	}
	return seq, nil
}

// entry decodes and validates one list item.
func (r *Register) entry(i int, item *yaml.Node) (Entry, error) {
	at := func(line int, field, format string, args ...any) error {
		return fmt.Errorf("%s:%d: deprecations[%d].%s: %s", r.name, line, i, field, fmt.Sprintf(format, args...))
	}
	if item.Kind != yaml.MappingNode || item.Style&yaml.FlowStyle != 0 {
		return Entry{}, fmt.Errorf("%s:%d: deprecations[%d]: each entry is a block mapping (id:, what:, since:, date: on their own lines)", r.name, item.Line, i)
	}
	var e Entry
	v := reflect.ValueOf(&e).Elem()
	lines := map[string]int{}
	for j := 0; j+1 < len(item.Content); j += 2 {
		k, val := item.Content[j], item.Content[j+1]
		f := fieldIndex(k.Value)
		if f < 0 {
			return Entry{}, at(k.Line, k.Value, "unknown field: an entry has %s", strings.Join(fields, ", "))
		}
		if val.Kind != yaml.ScalarNode {
			return Entry{}, at(k.Line, k.Value, "must be a single value")
		}
		if _, dup := lines[k.Value]; dup {
			return Entry{}, at(k.Line, k.Value, "is given twice")
		}
		lines[k.Value] = k.Line
		s := val.Value
		if val.Tag == "!!null" {
			s = ""
		}
		v.Field(f).SetString(s)
	}
	line := func(f string) int {
		if l, ok := lines[f]; ok {
			return l
		}
		return item.Line
	}
	switch {
	case !idRE.MatchString(e.ID):
		return e, at(line("id"), "id", "%q: use lower-case letters, digits and single dashes (Slipway derives it from what: the-v1-orders-endpoint)", e.ID)
	case e.Component != "" && !componentRE.MatchString(e.Component):
		return e, at(line("component"), "component", "%q is not a component name", e.Component)
	case strings.TrimSpace(e.What) == "" || strings.ContainsAny(e.What, "\n\r"):
		return e, at(line("what"), "what", "say on one line what is deprecated")
	case !isVersion(e.Since):
		return e, at(line("since"), "since", "%q is not a version (x.y.z): the release that deprecated it", e.Since)
	case !isDate(e.Date):
		return e, at(line("date"), "date", "%q is not a date (YYYY-MM-DD): the day of the release that deprecated it", e.Date)
	case e.RemoveAfter != "" && !isVersion(e.RemoveAfter) && !isDate(e.RemoveAfter):
		return e, at(line("removeAfter"), "removeAfter", "%q is neither a version (x.y.z) nor a date (YYYY-MM-DD)", e.RemoveAfter)
	case e.Commit != "" && !commitRE.MatchString(e.Commit):
		return e, at(line("commit"), "commit", "%q is not a full commit hash", e.Commit)
	case e.RemovedIn != "" && !isVersion(e.RemovedIn):
		return e, at(line("removedIn"), "removedIn", "%q is not a version (x.y.z)", e.RemovedIn)
	case strings.ContainsAny(e.EarlyRemoval, "\n\r"):
		return e, at(line("earlyRemoval"), "earlyRemoval", "keep the reason on one line")
	}
	return e, nil
}

func fieldIndex(key string) int {
	t := reflect.TypeOf(Entry{})
	for i := 0; i < t.NumField(); i++ {
		if strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0] == key {
			return i
		}
	}
	return -1
}

func isVersion(s string) bool {
	_, err := semver.StrictNewVersion(s)
	return err == nil
}

func isDate(s string) bool {
	d, err := time.Parse(time.DateOnly, s)
	return err == nil && d.Format(time.DateOnly) == s
}

func forComponent(c string) string {
	if c == "" {
		return ""
	}
	return " of component " + c
}

// Find returns the index of component's entry named by ref (its id, or
// its what in any case and spacing), or -1.
func (r *Register) Find(component, ref string) int {
	ref, _ = fold(ref)
	for i, e := range r.Entries {
		if e.Component == component && (e.ID == ref || strings.EqualFold(e.What, ref)) {
			return i
		}
	}
	return -1
}

// Add records e unless the component already has an entry with its id
// (deprecating the same thing twice keeps the first). An id taken by
// another text gets a numeric suffix. It reports whether e was added.
func (r *Register) Add(e Entry) bool {
	if r.Find(e.Component, e.What) >= 0 {
		return false
	}
	base := e.ID
	for n := 2; r.Find(e.Component, e.ID) >= 0; n++ {
		e.ID = fmt.Sprintf("%s-%d", base, n)
	}
	r.Entries = append(r.Entries, e)
	return true
}

// Remove marks entry i removed in version (reason non-empty for a removal
// inside its window).
func (r *Register) Remove(i int, version, reason string) {
	r.Entries[i].RemovedIn = version
	r.Entries[i].EarlyRemoval, _ = fold(reason)
}

// header starts a register Slipway creates.
const header = `# Deprecations, kept by ` + "`slipway release`" + ` from Deprecated: footers
# (Deprecated: <what>[; remove after <x.y.z | YYYY-MM-DD>]). Comments and
# layout are kept when it adds entries; see docs/versioning.md.
deprecations:
`

// Bytes is the register's file content after the edits: new entries are
// appended as blocks, removals set in place; every other byte of the file
// stays as it was. The result is parsed back and must hold exactly
// Entries, or Bytes fails and nothing should be written.
func (r *Register) Bytes() ([]byte, error) {
	if reflect.DeepEqual(r.Entries, r.orig) || len(r.Entries) == 0 && len(r.orig) == 0 {
		return r.src, nil
	}
	out := r.src
	if len(bytes.TrimSpace(out)) == 0 {
		out = []byte(header)
	}
	var err error
	if out, err = r.setRemovals(out); err != nil {
		return nil, err
	}
	if out, err = r.appendNew(out); err != nil {
		return nil, err
	}
	back, err := Parse(r.name, out)
	if err != nil {
		return nil, fmt.Errorf("%s: the edited register does not read back (%v): nothing written", r.name, err)
	}
	if !reflect.DeepEqual(back.Entries, r.Entries) {
		return nil, fmt.Errorf("%s: the edited register does not read back as intended: nothing written; check its layout (one block entry per item)", r.name)
	}
	return out, nil
}

// setRemovals writes removedIn and earlyRemoval of the entries src held:
// in place where the key exists, else as a new line after the entry's
// last line.
func (r *Register) setRemovals(out []byte) ([]byte, error) {
	for i := len(r.orig) - 1; i >= 0; i-- {
		was, now := r.orig[i], r.Entries[i]
		if was.RemovedIn == now.RemovedIn && was.EarlyRemoval == now.EarlyRemoval {
			continue
		}
		now.RemovedIn, now.EarlyRemoval = was.RemovedIn, was.EarlyRemoval
		if now != was {
			return nil, fmt.Errorf("%s: entry %s changed beyond its removal: Slipway only appends entries and marks removals", r.name, was.ID)
		}
		for _, kv := range [][2]string{{"removedIn", r.Entries[i].RemovedIn}, {"earlyRemoval", r.Entries[i].EarlyRemoval}} {
			if kv[1] == "" {
				continue
			}
			var err error
			if out, err = setField(out, i, kv[0], kv[1]); err != nil {
				return nil, fmt.Errorf("%s: deprecations[%d].%s: %w", r.name, i, kv[0], err)
			}
		}
	}
	return out, nil
}

// setField sets key of item i to value: the scalar's bytes when the key is
// there, else a new line under the item's last line.
func setField(src []byte, i int, key, value string) ([]byte, error) {
	path := fmt.Sprintf("deprecations[%d].%s", i, key)
	out, _, err := gitops.Set(src, path, value)
	if err == nil {
		return out, nil
	}
	if !errors.Is(err, gitops.ErrNotFound) {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	seq := doc.Content[0].Content[1]
	item := seq.Content[i]
	lines := strings.SplitAfter(string(src), "\n")
	end := len(lines) // the item runs to the next item or the end
	if i+1 < len(seq.Content) {
		end = seq.Content[i+1].Line - 1
	}
	last := item.Line - 1
	for l := item.Line - 1; l < end && l < len(lines); l++ {
		t := strings.TrimSpace(lines[l])
		if t != "" && !strings.HasPrefix(t, "#") {
			last = l
		}
	}
	line := strings.Repeat(" ", item.Column-1) + key + ": " + scalar(value) + "\n"
	if !strings.HasSuffix(lines[last], "\n") {
		lines[last] += "\n"
	}
	lines = append(lines[:last+1], append([]string{line}, lines[last+1:]...)...)
	return []byte(strings.Join(lines, "")), nil
}

// appendNew writes the entries Add made after the list's last item.
func (r *Register) appendNew(out []byte) ([]byte, error) {
	added := r.Entries[len(r.orig):]
	if len(added) == 0 {
		return out, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(out, &doc); err != nil {
		return nil, err
	}
	dash := 2
	var key *yaml.Node
	root := &yaml.Node{}
	if len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key = root.Content[i]
		if v := root.Content[i+1]; v.Kind == yaml.SequenceNode && len(v.Content) > 0 {
			dash = v.Column - 1
		} else if v.Kind == yaml.SequenceNode || v.Tag == "!!null" && v.Value != "" {
			// "deprecations: []" or "deprecations: ~": drop the empty value.
			out = dropValue(out, v)
		}
	}
	if key == nil { // only comments: add the key
		if !bytes.HasSuffix(out, []byte("\n")) {
			out = append(out, '\n')
		}
		out = append(out, "deprecations:\n"...)
	}
	var b bytes.Buffer
	b.Write(out)
	if !bytes.HasSuffix(out, []byte("\n")) {
		b.WriteByte('\n')
	}
	for _, e := range added {
		writeEntry(&b, e, dash)
	}
	return b.Bytes(), nil
}

// dropValue removes a one-line empty value ("[]", "~", "null") from its line.
func dropValue(src []byte, v *yaml.Node) []byte {
	lines := strings.SplitAfter(string(src), "\n")
	l := lines[v.Line-1]
	start := v.Column - 1
	end := strings.IndexAny(l[start:], "#\n")
	if end < 0 {
		end = len(l) - start
	}
	if v.Kind == yaml.SequenceNode {
		end = strings.IndexByte(l[start:], ']') + 1
	}
	rest := strings.TrimLeft(l[start+end:], " ")
	lines[v.Line-1] = strings.TrimRight(l[:start], " ") + suffix(rest)
	return []byte(strings.Join(lines, ""))
}

func suffix(rest string) string {
	if strings.HasPrefix(rest, "#") {
		return " " + rest
	}
	return rest
}

// writeEntry renders one entry as a block, its dash indented by dash.
func writeEntry(b *bytes.Buffer, e Entry, dash int) {
	v := reflect.ValueOf(e)
	first := true
	for _, f := range fields {
		s := v.Field(fieldIndex(f)).String()
		if s == "" {
			continue
		}
		if first {
			b.WriteString(strings.Repeat(" ", dash) + "- ")
			first = false
		} else {
			b.WriteString(strings.Repeat(" ", dash+2))
		}
		b.WriteString(f + ": " + scalar(s) + "\n")
	}
}

// scalar writes s so that it reads back as the same string: plain when it
// is a plain id, version or hash, double-quoted (JSON escapes, which YAML
// reads) otherwise.
func scalar(s string) string {
	if idRE.MatchString(s) && !isNumberLike(s) && !isDate(s) || isVersion(s) && strings.Count(s, ".") == 2 {
		return s
	}
	return strconv.Quote(s)
}

// isNumberLike reports ids YAML would read as a number or boolean.
func isNumberLike(s string) bool {
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return true
	}
	switch s {
	case "y", "n", "yes", "no", "on", "off", "true", "false", "null":
		return true
	}
	return false
}
