package bundle

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/slipway/slipway/gitops"
)

// The skeletons in the app repository are edited the way pins are: only
// the bytes of the scalars Slipway fills change (gitops.Set), so comments,
// order and quoting survive. Two edits gitops cannot make are done here,
// by adding lines without touching any existing byte, and proved by
// decoding the file before and after: the result must equal the original
// plus the one key added.

// setScalar writes value at path in a skeleton file, naming the file in
// errors.
func setScalar(content []byte, file, path, value string) ([]byte, error) {
	out, _, err := gitops.Set(content, path, value)
	if err != nil {
		return nil, gitops.SetFile(err, file)
	}
	return out, nil
}

// decodeOne decodes the single YAML document of content into a generic
// value and a node tree; an empty file is a nil value and nil node.
func decodeOne(content []byte, file string) (any, *yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(content))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("%s is not valid YAML: %v", file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, nil, fmt.Errorf("%s holds more than one YAML document: keep one", file)
	}
	var v any
	if err := doc.Decode(&v); err != nil {
		return nil, nil, fmt.Errorf("%s: %v", file, err)
	}
	return v, &doc, nil
}

// mappingAt follows keys from the document root to a mapping node.
func mappingAt(doc *yaml.Node, keys []string) *yaml.Node {
	if doc == nil || len(doc.Content) == 0 {
		return nil
	}
	n := doc.Content[0]
	for _, k := range keys {
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	return n
}

// keyLine returns the line of the last key of keys (1-based), or 0.
func keyLine(doc *yaml.Node, keys []string) int {
	if len(keys) == 0 {
		return 0
	}
	m := mappingAt(doc, keys[:len(keys)-1])
	if m == nil {
		return 0
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == keys[len(keys)-1] {
			return m.Content[i].Line
		}
	}
	return 0
}

// hasKey reports whether the mapping at keys holds key.
func hasKey(doc *yaml.Node, keys []string, key string) bool {
	m := mappingAt(doc, keys)
	if m == nil {
		return false
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return true
		}
	}
	return false
}

// appendTopLevel adds key: value at the end of a file whose root is a block
// mapping (or which is empty), after a comment line. Existing bytes are
// kept; a missing final newline is added.
func appendTopLevel(content []byte, file, key string, value any, comment string) ([]byte, error) {
	before, doc, err := decodeOne(content, file)
	if err != nil {
		return nil, err
	}
	if before != nil {
		if _, ok := before.(map[string]any); !ok || doc.Content[0].Style&yaml.FlowStyle != 0 {
			return nil, fmt.Errorf("%s: the top level is not a block mapping, so Slipway cannot add %s: add it yourself", file, key)
		}
		if hasKey(doc, nil, key) {
			return nil, fmt.Errorf("%s already has %s", file, key)
		}
	}
	var snippet bytes.Buffer
	enc := yaml.NewEncoder(&snippet)
	enc.SetIndent(2)
	if err := enc.Encode(map[string]any{key: value}); err != nil {
		return nil, err
	}
	_ = enc.Close()
	var b bytes.Buffer
	b.Write(content)
	if len(content) > 0 && content[len(content)-1] != '\n' {
		b.WriteByte('\n')
	}
	for _, l := range strings.Split(comment, "\n") {
		b.WriteString("# " + l + "\n")
	}
	b.Write(snippet.Bytes())
	out := withLineEndingsOf(content, b.Bytes(), len(content))
	if err := provedAddition(before, out, file, nil, key, value); err != nil {
		return nil, err
	}
	return out, nil
}

// insertFirstKey adds the line "key: flow" as the first entry of the block
// mapping at keys (e.g. services.api), indented like the entry it precedes.
func insertFirstKey(content []byte, file string, keys []string, key string, value any, flow string) ([]byte, error) {
	before, doc, err := decodeOne(content, file)
	if err != nil {
		return nil, err
	}
	where := strings.Join(keys, ".")
	m := mappingAt(doc, keys)
	if m == nil || len(m.Content) == 0 || m.Style&yaml.FlowStyle != 0 {
		return nil, fmt.Errorf("%s: %s is not a block mapping with entries, so Slipway cannot add %s: add `%s: %s` under it yourself", file, where, key, key, flow)
	}
	first := m.Content[0]
	start := lineStart(content, first.Line)
	if start < 0 || first.Column < 1 {
		return nil, fmt.Errorf("%s: cannot find line %d", file, first.Line)
	}
	line := strings.Repeat(" ", first.Column-1) + key + ": " + flow + "\n"
	out := make([]byte, 0, len(content)+len(line)+1)
	out = append(out, content[:start]...)
	out = append(out, withLineEndingsOf(content, []byte(line), 0)...)
	out = append(out, content[start:]...)
	if err := provedAddition(before, out, file, keys, key, value); err != nil {
		return nil, fmt.Errorf("%w: add `%s: %s` under %s yourself", err, key, flow, where)
	}
	return out, nil
}

// lineStart returns the byte offset of 1-based line n, or -1.
func lineStart(content []byte, n int) int {
	off := 0
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(content[off:], '\n')
		if j < 0 {
			return -1
		}
		off += j + 1
	}
	return off
}

// withLineEndingsOf converts the "\n" of added text from offset `from` on
// to CRLF when the original content uses CRLF.
func withLineEndingsOf(original, out []byte, from int) []byte {
	if !bytes.Contains(original, []byte("\r\n")) {
		return out
	}
	head, tail := out[:from], out[from:]
	tail = bytes.ReplaceAll(bytes.ReplaceAll(tail, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
	return append(append([]byte(nil), head...), tail...)
}

// provedAddition checks that out decodes to before plus key: value in the
// mapping at keys, and nothing else.
func provedAddition(before any, out []byte, file string, keys []string, key string, value any) error {
	after, _, err := decodeOne(out, file)
	if err != nil {
		return fmt.Errorf("%s: adding %s would break the file: %v", file, key, err)
	}
	want := deepCopy(before)
	if want == nil {
		want = map[string]any{}
	}
	m, ok := want.(map[string]any)
	for _, k := range keys {
		if !ok {
			break
		}
		m, ok = m[k].(map[string]any)
	}
	if !ok {
		return fmt.Errorf("%s: cannot add %s", file, key)
	}
	m[key] = normalize(value)
	if !reflect.DeepEqual(want, after) {
		return fmt.Errorf("%s: adding %s would change more than that key", file, key)
	}
	return nil
}

// normalize gives value the shape yaml.v3 decodes it to.
func normalize(v any) any {
	b, err := yaml.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	_ = yaml.Unmarshal(b, &out)
	return out
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		c := make(map[string]any, len(t))
		for k, x := range t {
			c[k] = deepCopy(x)
		}
		return c
	case []any:
		c := make([]any, len(t))
		for i, x := range t {
			c[i] = deepCopy(x)
		}
		return c
	default:
		return v
	}
}
