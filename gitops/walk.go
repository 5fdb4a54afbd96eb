package gitops

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// walk follows p.Steps from the root of doc.
func walk(doc *yaml.Node, p Path, acc access) walkResult {
	w := walker{p: p, acc: acc}
	cur := docRoot(doc)
	if cur == nil {
		return walkResult{err: w.fail(ErrNotFound, doc.Line, "the document is empty")}
	}
	w.here = place{name: "the document root", line: cur.Line, top: true}
	for _, st := range p.Steps {
		next, err := w.step(cur, st)
		if err != nil {
			return walkResult{depth: w.depth, err: err}
		}
		cur = next
	}
	node, err := w.finish(cur)
	return walkResult{node: node, depth: w.depth, err: err}
}

// walker carries the state of one walk, so that every error can say how
// far the path got and where that is in the file.
type walker struct {
	p     Path
	acc   access
	depth int   // steps matched so far
	here  place // the node those steps reached
}

func (w *walker) fail(kind error, line int, format string, args ...any) *PathError {
	return &PathError{Path: w.p.String(), Found: w.p.prefix(w.depth), Line: line, Err: kind,
		Detail: fmt.Sprintf(format, args...)}
}

// step applies one step to cur and advances the walker.
func (w *walker) step(cur *yaml.Node, st Step) (*yaml.Node, *PathError) {
	if cur.Kind == yaml.AliasNode {
		if w.acc == forWrite {
			return nil, w.fail(ErrAlias, cur.Line, "%s is the alias *%s; Slipway does not edit through aliases because the edit would change every place that uses &%s; point the path at the anchored original",
				w.here, cur.Value, cur.Value)
		}
		cur = deref(cur)
	}
	var next, key *yaml.Node
	var err *PathError
	switch st.Kind {
	case KeyStep:
		next, key, err = w.key(cur, st)
	case IndexStep:
		next, err = w.index(cur, st)
	default:
		next, err = w.selectItem(cur, st)
	}
	if err != nil {
		return nil, err
	}
	w.depth++
	w.here = place{name: "`" + w.p.prefix(w.depth) + "`", line: next.Line}
	if key != nil {
		w.here.line, w.here.isKey = key.Line, true
	}
	return next, nil
}

func (w *walker) key(cur *yaml.Node, st Step) (value, key *yaml.Node, err *PathError) {
	if cur.Kind == yaml.SequenceNode {
		if i, ok := kargoIndex(st.Key); ok {
			// containers.0.image, as Kargo's yaml-update writes it.
			value, err := w.index(cur, Step{Kind: IndexStep, Index: i})
			return value, nil, err
		}
	}
	if cur.Kind != yaml.MappingNode {
		return nil, nil, w.fail(ErrNotFound, w.here.line, "%s is %s, not a mapping, so it has no key %q%s",
			w.here, kindName(cur), st.Key, notMappingHint(cur, w.p.prefix(w.depth)))
	}
	var hits []int
	for i := 0; i+1 < len(cur.Content); i += 2 {
		if k := cur.Content[i]; k.Kind == yaml.ScalarNode && k.Value == st.Key {
			hits = append(hits, i)
		}
	}
	switch len(hits) {
	case 0:
		return nil, nil, w.fail(ErrNotFound, w.here.line, "%s has no key %q; add `%s: \"\"` %s or %s%s",
			w.here, st.Key, formatYAMLKey(st.Key), w.here.under(), fixPathHint, mergeHint(cur))
	case 1:
		return cur.Content[hits[0]+1], cur.Content[hits[0]], nil
	}
	first, second := cur.Content[hits[0]], cur.Content[hits[1]]
	return nil, nil, w.fail(ErrAmbiguous, second.Line, "%s has the key %q twice (lines %d and %d); remove the duplicate",
		w.here, st.Key, first.Line, second.Line)
}

// fixPathHint ends a "not found" message about a yaml pin's path; a
// *PinError of another kind replaces it with that kind's own keys.
const fixPathHint = "fix `path:` of the pin in slipway.yaml"

// kargoIndex reads a key made of digits as a list index, for paths written
// in Kargo's style (containers.0.image). It applies only where the node is
// a list, so a mapping key "0" still reads as a key.
func kargoIndex(key string) (int, bool) {
	if key == "" || len(key) > 7 || (len(key) > 1 && key[0] == '0') {
		return 0, false
	}
	for _, c := range key {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(key)
	return n, err == nil
}

func (w *walker) index(cur *yaml.Node, st Step) (*yaml.Node, *PathError) {
	if cur.Kind != yaml.SequenceNode {
		return nil, w.fail(ErrNotFound, w.here.line, "%s is %s, not a list, so [%d] does not apply",
			w.here, kindName(cur), st.Index)
	}
	if st.Index >= len(cur.Content) {
		return nil, w.fail(ErrNotFound, w.here.line, "%s has %s, numbered from 0, so [%d] does not exist",
			w.here, plural(len(cur.Content), "item"), st.Index)
	}
	return cur.Content[st.Index], nil
}

func (w *walker) selectItem(cur *yaml.Node, st Step) (*yaml.Node, *PathError) {
	if cur.Kind != yaml.SequenceNode {
		return nil, w.fail(ErrNotFound, w.here.line, "%s is %s, not a list, so the selector %s does not apply",
			w.here, kindName(cur), st.bracket())
	}
	hits := matchingItems(cur.Content, st.Match)
	switch len(hits) {
	case 0:
		return nil, w.fail(ErrNotFound, w.here.line, "no item of %s matches %s; the items have: %s; add an item with %s or %s",
			w.here, st.bracket(), summarizeItems(cur.Content, st.Match), conditionsAsYAML(st.Match), fixPathHint)
	case 1:
		return cur.Content[hits[0]], nil
	}
	first, second := cur.Content[hits[0]], cur.Content[hits[1]]
	return nil, w.fail(ErrAmbiguous, second.Line, "%s matches %d items of %s (lines %d and %d); add a condition such as [name=api,kind=x] or use an index",
		st.bracket(), len(hits), w.here, first.Line, second.Line)
}

// finish checks that the node a walk ended on is a scalar that the access
// may use: writes refuse aliases and anchored values.
func (w *walker) finish(cur *yaml.Node) (*yaml.Node, *PathError) {
	if w.acc == forRead {
		cur = deref(cur)
	}
	switch {
	case cur.Kind == yaml.AliasNode:
		return nil, w.fail(ErrAlias, w.here.line, "%s is the alias *%s of the value anchored &%s; Slipway neither edits the shared original nor silently replaces the reference with a copy; write a value of its own here, or point the path at the anchored field",
			w.here, cur.Value, cur.Value)
	case cur.Kind != yaml.ScalarNode:
		return nil, w.fail(ErrNotScalar, w.here.line, "%s is %s; point the path at the field that holds the value, e.g. %s",
			w.here, kindName(cur), childExample(w.p, cur))
	case cur.Anchor != "" && w.acc == forWrite:
		return nil, w.fail(ErrAlias, w.here.line, "%s carries the anchor &%s; editing it would change every alias *%s too; give this field its own value",
			w.here, cur.Anchor, cur.Anchor)
	}
	return cur, nil
}

// place names the node a walk has reached, for messages: the path prefix
// and the line where it is written (the key's line for mapping values).
type place struct {
	name  string
	line  int
	top   bool // the document root
	isKey bool // reached through a mapping key
}

func (pl place) String() string {
	return fmt.Sprintf("%s (line %d)", pl.name, pl.line)
}

// under says where a missing key belongs, for the "add ..." hint.
func (pl place) under() string {
	switch {
	case pl.top:
		return "at the top level of the document"
	case pl.isKey:
		return "under " + strings.TrimSuffix(pl.name, "`") + ":`"
	}
	return "in " + pl.name
}

// matchingItems returns the indices of the nodes that satisfy all conds.
func matchingItems(items []*yaml.Node, conds []Condition) []int {
	var hits []int
	for i, it := range items {
		if matches(it, conds) {
			hits = append(hits, i)
		}
	}
	return hits
}

func matches(n *yaml.Node, conds []Condition) bool {
	for _, c := range conds {
		if v, ok := scalarAt(n, c.Field); !ok || v != c.Value {
			return false
		}
	}
	return true
}

// scalarAt reads the scalar at a chain of mapping keys below n. Reading
// through aliases is harmless, so unlike an edit it follows them.
func scalarAt(n *yaml.Node, keys []string) (string, bool) {
	for _, k := range keys {
		n = deref(n)
		if n == nil || n.Kind != yaml.MappingNode {
			return "", false
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if kn := n.Content[i]; kn.Kind == yaml.ScalarNode && kn.Value == k {
				next = n.Content[i+1]
				break
			}
		}
		n = next
	}
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return "", false
	}
	return scalarValue(n), true
}

func deref(n *yaml.Node) *yaml.Node {
	for depth := 0; n != nil && n.Kind == yaml.AliasNode && depth < 100; depth++ {
		n = n.Alias
	}
	return n
}

// scalarValue is the string a scalar holds; null reads as "".
func scalarValue(n *yaml.Node) string {
	if n.Tag == "!!null" {
		return ""
	}
	return n.Value
}
