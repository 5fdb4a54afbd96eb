package gitops

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// walkResult is the outcome of following a path through one document.
type walkResult struct {
	// node is the scalar the path names; nil when err is set.
	node *yaml.Node
	// depth counts the steps that matched before the walk stopped.
	depth int
	err   *PathError
}

// resolved reports whether the path reached this document's data: every
// step matched, or the walk failed for a reason other than a missing part.
// A document where the path resolves is the one the user meant, even if
// the end is not a scalar: that is an error about this document, not a
// reason to look in the next one.
func (r walkResult) resolved(p Path) bool {
	return r.err == nil || r.depth == len(p.Steps) || r.err.Err != ErrNotFound
}

// access says what a lookup is for. Reading may follow aliases and read
// anchored values, since that reads what the tools downstream see; writing
// may not, because the edit would reach every place sharing the value.
type access int

const (
	forRead access = iota
	forWrite
)

// locate finds the one scalar p names among docs.
func locate(docs []*yaml.Node, p Path, acc access) (*yaml.Node, *PathError) {
	if len(docs) == 0 {
		return nil, &PathError{Path: p.String(), Err: ErrNotFound,
			Detail: "the file holds no YAML document; write the pinned field into it"}
	}
	if p.Doc != nil {
		doc, err := selectDocument(docs, p)
		if err != nil {
			return nil, err
		}
		r := walk(doc, p, acc)
		return r.node, r.err
	}
	if len(docs) == 1 {
		r := walk(docs[0], p, acc)
		return r.node, r.err
	}
	return locateAcrossDocuments(docs, p, acc)
}

// locateAcrossDocuments resolves a path without a document selector in a
// multi-document file: exactly one document may hold it.
func locateAcrossDocuments(docs []*yaml.Node, p Path, acc access) (*yaml.Node, *PathError) {
	var hits []int
	var results []walkResult
	best := -1
	for i, doc := range docs {
		r := walk(doc, p, acc)
		results = append(results, r)
		if r.resolved(p) {
			hits = append(hits, i)
		}
		if best < 0 || r.depth > results[best].depth {
			best = i
		}
	}
	switch len(hits) {
	case 0:
		err := results[best].err
		err.Detail += fmt.Sprintf(" (closest match in document %d of %d)", best, len(docs))
		return nil, err
	case 1:
		return results[hits[0]].node, results[hits[0]].err
	}
	return nil, &PathError{Path: p.String(), Err: ErrAmbiguous, Line: docLine(docs[hits[0]]),
		Detail: fmt.Sprintf("the path exists in %s of this multi-document file; put a document selector in front of it, e.g. %s.%s",
			describeDocs(docs, hits), suggestDocSelector(docs, hits[0]), p.String())}
}

func describeDocs(docs []*yaml.Node, idx []int) string {
	parts := make([]string, len(idx))
	for i, d := range idx {
		parts[i] = fmt.Sprintf("document %d (line %d)", d, docLine(docs[d]))
	}
	return strings.Join(parts, " and ")
}

// suggestDocSelector proposes the most readable selector for docs[i]:
// kind and metadata.name when the document is a Kubernetes object, its
// index otherwise.
func suggestDocSelector(docs []*yaml.Node, i int) string {
	root := docRoot(docs[i])
	kind, okKind := scalarAt(root, []string{"kind"})
	name, okName := scalarAt(root, []string{"metadata", "name"})
	if okKind && okName {
		sel := Step{Kind: SelectStep, Match: []Condition{
			{Field: []string{"kind"}, Value: kind},
			{Field: []string{"metadata", "name"}, Value: name},
		}}
		if n := len(matchingItems(rootsOf(docs), sel.Match)); n == 1 {
			return "doc" + sel.bracket()
		}
	}
	return "doc[" + strconv.Itoa(i) + "]"
}

func rootsOf(docs []*yaml.Node) []*yaml.Node {
	roots := make([]*yaml.Node, len(docs))
	for i, d := range docs {
		roots[i] = docRoot(d)
	}
	return roots
}

// docLine is the line where a document's content starts (after "---").
func docLine(doc *yaml.Node) int {
	if root := docRoot(doc); root != nil {
		return root.Line
	}
	return doc.Line
}

// docRoot returns the content of a DocumentNode (nil for an empty one).
func docRoot(doc *yaml.Node) *yaml.Node {
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil
		}
		return doc.Content[0]
	}
	return doc
}

// selectDocument applies p.Doc.
func selectDocument(docs []*yaml.Node, p Path) (*yaml.Node, *PathError) {
	sel := *p.Doc
	docPath := "doc" + sel.bracket()
	if sel.Kind == IndexStep {
		if sel.Index >= len(docs) {
			return nil, &PathError{Path: p.String(), Err: ErrNotFound,
				Detail: fmt.Sprintf("%s: the file has %s, numbered from 0", docPath, plural(len(docs), "document"))}
		}
		return docs[sel.Index], nil
	}
	hits := matchingItems(rootsOf(docs), sel.Match)
	switch len(hits) {
	case 0:
		return nil, &PathError{Path: p.String(), Err: ErrNotFound,
			Detail: fmt.Sprintf("no document matches %s; documents here: %s", docPath, summarizeDocs(docs, sel.Match))}
	case 1:
		return docs[hits[0]], nil
	}
	return nil, &PathError{Path: p.String(), Err: ErrAmbiguous, Line: docLine(docs[hits[1]]),
		Detail: fmt.Sprintf("%s matches %s; add conditions (e.g. metadata.name=...) or use doc[N]", docPath, describeDocs(docs, hits))}
}

// summarizeDocs lists, per document, the values of the fields a selector
// looked at, so the user can see what to select on.
func summarizeDocs(docs []*yaml.Node, conds []Condition) string {
	parts := make([]string, len(docs))
	for i, d := range docs {
		parts[i] = fmt.Sprintf("%d: %s", i, describeFields(docRoot(d), conds))
	}
	return strings.Join(parts, "; ")
}

func describeFields(n *yaml.Node, conds []Condition) string {
	fields := make([]string, len(conds))
	for i, c := range conds {
		v, ok := scalarAt(n, c.Field)
		if !ok {
			v = "(none)"
		}
		fields[i] = strings.Join(c.Field, ".") + "=" + v
	}
	return strings.Join(fields, ",")
}

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
		return nil, nil, w.fail(ErrNotFound, w.here.line, "%s has no key %q; add `%s: \"\"` %s or fix `path:` of the pin in slipway.yaml%s",
			w.here, st.Key, formatYAMLKey(st.Key), w.here.under(), mergeHint(cur))
	case 1:
		return cur.Content[hits[0]+1], cur.Content[hits[0]], nil
	}
	first, second := cur.Content[hits[0]], cur.Content[hits[1]]
	return nil, nil, w.fail(ErrAmbiguous, second.Line, "%s has the key %q twice (lines %d and %d); remove the duplicate",
		w.here, st.Key, first.Line, second.Line)
}

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
		return nil, w.fail(ErrNotFound, w.here.line, "no item of %s matches %s; the items have: %s",
			w.here, st.bracket(), summarizeItems(cur.Content, st.Match))
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

// childExample extends p by one step suited to n, for "did you mean" hints.
func childExample(p Path, n *yaml.Node) string {
	if n.Kind == yaml.SequenceNode {
		return p.String() + "[0] or " + p.String() + "[name=api]"
	}
	return p.String() + ".digest"
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

func summarizeItems(items []*yaml.Node, conds []Condition) string {
	const max = 8
	var parts []string
	for i, it := range items {
		if i == max {
			parts = append(parts, fmt.Sprintf("... (%d more)", len(items)-max))
			break
		}
		parts = append(parts, fmt.Sprintf("[%d] %s", i, describeFields(it, conds)))
	}
	if len(parts) == 0 {
		return "(the list is empty)"
	}
	return strings.Join(parts, "; ")
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	if n.Tag == "!!null" {
		return "an empty value"
	}
	return fmt.Sprintf("the scalar %q", n.Value)
}

// notMappingHint suggests the likely fix when a key step meets a list or
// a scalar: an index or selector, or image mode for a whole image string.
func notMappingHint(n *yaml.Node, prefix string) string {
	switch {
	case n.Kind == yaml.SequenceNode:
		return "; use an index like [0] or a selector like [name=api]"
	case n.Kind == yaml.ScalarNode && strings.ContainsAny(n.Value, "/:@"):
		return fmt.Sprintf("; if it holds the whole image reference, pin it with `path: %s` and `mode: image`", prefix)
	}
	return ""
}

func mergeHint(n *yaml.Node) string {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "<<" {
			return "; Slipway does not follow merge keys (<<), write the field in this mapping"
		}
	}
	return ""
}

// formatYAMLKey renders a key for a "add `key: \"\"`" hint.
func formatYAMLKey(k string) string {
	if isBareKey(k) && !strings.ContainsAny(k, ":#{}&*!|>%@`") {
		return k
	}
	return strconv.Quote(k)
}
