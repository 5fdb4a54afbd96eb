package gitops

import (
	"fmt"
	"slices"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Get returns the string value of the scalar that path names in content.
// An empty value ("key:", "key: ~", "key: null", "key: \"\"") reads as "".
// Unlike Set, Get follows aliases (*name): it reads what a YAML consumer
// such as Helm would see.
//
// Errors: *PathSyntaxError for a malformed path, *SyntaxError when content
// is not YAML, *PathError (ErrNotFound, ErrAmbiguous, ErrNotScalar, ErrAlias)
// when the path does not name exactly one scalar.
func Get(content []byte, path string) (string, error) {
	p, err := ParsePath(path)
	if err != nil {
		return "", err
	}
	docs, err := parseStream(content)
	if err != nil {
		return "", err
	}
	node, perr := locate(docs, p, forRead)
	if perr != nil {
		return "", perr
	}
	return scalarValue(node), nil
}

// Set writes value into the scalar that path names and returns the new
// content. Only the bytes of that scalar change; the scalar keeps its quoting
// style unless the value needs quotes to read back as the same string. When
// the scalar already holds value, Set returns content itself and
// changed=false. Set never adds a missing key: a missing path is a
// *PathError naming the deepest part that exists.
//
// Errors are those of Get, plus ErrUnsupported for scalars that cannot be
// rewritten in place (block scalars, multi-line plain scalars) and
// ErrInvalidValue for a value that is not UTF-8.
func Set(content []byte, path, value string) (out []byte, changed bool, err error) {
	out, _, changed, err = set(content, path, value)
	return out, changed, err
}

// set is Set that also reports the span of content it replaced, so tests
// can prove every byte outside it survived.
func set(content []byte, path, value string) ([]byte, span, bool, error) {
	p, err := ParsePath(path)
	if err != nil {
		return nil, span{}, false, err
	}
	return edit(content, p, func(string) (string, error) { return value, nil }, anyType)
}

// typing says which YAML types an edited scalar may read back as.
type typing int

const (
	// anyType: a string, or the type the old value had (Set's rule: a
	// plain 3 replaced by a plain 4 stays an integer).
	anyType typing = iota
	// stringType: always a string. Tags and versions must never become
	// numbers: Helm renders a plain 1.10 as 1.1, and kustomize and Argo
	// CD refuse a number where a string belongs.
	stringType
)

// edit replaces the scalar p names with next(its current value), in place.
// It is the one splice-and-verify routine behind Set and every pin kind.
func edit(content []byte, p Path, next func(current string) (string, error), typ typing) ([]byte, span, bool, error) {
	docs, err := parseStream(content)
	if err != nil {
		return nil, span{}, false, err
	}
	node, perr := locate(docs, p, forWrite)
	if perr != nil {
		return nil, span{}, false, perr
	}
	value, err := next(scalarValue(node))
	if err != nil {
		return nil, span{}, false, &PathError{Path: p.String(), Found: p.String(), Line: node.Line, Err: ErrInvalidValue, Detail: fieldDetail(err)}
	}
	if !utf8.ValidString(value) {
		return nil, span{}, false, &PathError{Path: p.String(), Line: node.Line, Err: ErrInvalidValue, Detail: fmt.Sprintf("the value %q is not UTF-8 text", value)}
	}
	if scalarValue(node) == value && (typ == anyType || node.Tag == "!!str") {
		return content, span{}, false, nil
	}
	sp, st, err := locateScalar(content, node, p.String())
	if err != nil {
		return nil, span{}, false, err
	}
	for _, text := range renderings(value, st) {
		out := splice(content, sp, text)
		if verify(out, docs, node, p, value, typ) {
			return out, sp, true, nil
		}
	}
	return nil, span{}, false, &PathError{Path: p.String(), Line: node.Line, Err: ErrUnsupported,
		Detail: fmt.Sprintf("writing %q at line %d would not read back as the same value; write the value on its own line as `key: \"...\"`", value, node.Line)}
}

// verify re-parses an edited file and checks that the edit landed and
// touched nothing else: the node where the old scalar was now holds value,
// typed as it should be; every other node and comment is as before; and
// the path still leads to that node.
func verify(out []byte, before []*yaml.Node, old *yaml.Node, p Path, value string, typ typing) bool {
	after, err := parseStream(out)
	if err != nil || len(after) != len(before) {
		return false
	}
	var edited *yaml.Node
	for i := range before {
		if !sameShape(before[i], after[i], old, &edited) {
			return false
		}
	}
	if edited == nil || edited.Kind != yaml.ScalarNode || scalarValue(edited) != value || !acceptableTag(old, edited, typ) {
		return false
	}
	if node, perr := locate(after, p, forWrite); perr != nil || node != edited {
		return false
	}
	return slices.Equal(comments(before), comments(after))
}

// acceptableTag: the new value must read as a string, or (anyType) keep
// the type the old value had (a plain 3 replaced by a plain 4 stays an
// integer). A value that would read as null (~, null) is never acceptable:
// Get would no longer return it.
func acceptableTag(old, new *yaml.Node, typ typing) bool {
	if new.Tag == "!!null" {
		return false
	}
	return new.Tag == "!!str" || (typ == anyType && new.Tag == old.Tag)
}

// sameShape compares two node trees, ignoring positions and ignoring the
// value, style and tag of skip (the edited scalar) in a, whose counterpart
// in b it stores in *edited.
func sameShape(a, b, skip *yaml.Node, edited **yaml.Node) bool {
	if a.Kind != b.Kind || len(a.Content) != len(b.Content) {
		return false
	}
	if a == skip {
		*edited = b
	} else if a.Value != b.Value || a.Tag != b.Tag || a.Style != b.Style || a.Anchor != b.Anchor {
		return false
	}
	for i := range a.Content {
		if !sameShape(a.Content[i], b.Content[i], skip, edited) {
			return false
		}
	}
	return true
}

// comments lists every comment in the documents, sorted. Which node a
// comment attaches to may shift when an empty value gains text, so only
// the set of comments is compared.
func comments(docs []*yaml.Node) []string {
	var all []string
	var visit func(n *yaml.Node)
	visit = func(n *yaml.Node) {
		for _, c := range []string{n.HeadComment, n.LineComment, n.FootComment} {
			if c != "" {
				all = append(all, c)
			}
		}
		for _, c := range n.Content {
			visit(c)
		}
	}
	for _, d := range docs {
		visit(d)
	}
	slices.Sort(all)
	return all
}
