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
