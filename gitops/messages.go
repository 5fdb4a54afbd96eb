package gitops

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// This file holds the small describers that make errors specific: what a
// node is, what the items of a list hold, and what to write instead.

// describeFields shows the values n has for the fields a selector looks at,
// e.g. "name=web,kind=(none)".
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

// conditionsAsYAML writes a selector's conditions the way the item that
// satisfies them reads in YAML: `name: api, kind: x`.
func conditionsAsYAML(conds []Condition) string {
	parts := make([]string, len(conds))
	for i, c := range conds {
		parts[i] = strings.Join(c.Field, ".") + ": " + c.Value
	}
	return "`" + strings.Join(parts, ", ") + "`"
}

// childExample extends p by one step suited to n, for "did you mean" hints.
func childExample(p Path, n *yaml.Node) string {
	if n.Kind == yaml.SequenceNode {
		return p.String() + "[0] or " + p.String() + "[name=api]"
	}
	return p.String() + ".digest"
}

// summarizeItems describes the first few items of a list for a selector
// that matched none of them.
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

// plural writes "1 item" or "3 items".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// kindName names what n is, in the words of an error message.
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

// mergeHint explains a missing key in a mapping that uses a merge key,
// where the field may well exist in the merged mapping.
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
