package window

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Parse reads windows from YAML or JSON: a list of windows, a mapping with a
// syncWindows list, or an AppProject manifest (spec.syncWindows; in a
// multi-document file, every AppProject's windows in order). name is used in
// messages. It fails only when the document itself cannot be read; a bad
// window is kept with its Problems (line-numbered) so evaluation fails
// closed and names it.
func Parse(name string, data []byte) (*Set, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var lists []*yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: not valid YAML or JSON: %v (quote schedules that start with *, e.g. \"* * * * *\")", name, err)
		}
		list, err := windowList(name, &doc)
		if err != nil {
			return nil, err
		}
		if list != nil {
			lists = append(lists, list)
		}
	}
	if len(lists) == 0 {
		return nil, fmt.Errorf("%s: no sync windows found: give a list of windows, a mapping with syncWindows, or an AppProject with spec.syncWindows", name)
	}
	s := &Set{Source: name}
	for _, list := range lists {
		for _, item := range list.Content {
			w, err := windowFromNode(len(s.Windows), item)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: window %d: %v", name, item.Line, len(s.Windows), err)
			}
			s.Windows = append(s.Windows, w)
		}
	}
	for _, w := range s.Windows {
		for i := range w.Problems {
			w.Problems[i].Source = name
		}
	}
	return s, nil
}

// windowList finds the sequence of windows in one document; nil for a
// document that is not about windows (another kind in a multi-document file).
func windowList(name string, doc *yaml.Node) (*yaml.Node, error) {
	if doc.Kind == 0 { // empty document
		return nil, nil
	}
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	switch root.Kind {
	case yaml.SequenceNode:
		return root, nil
	case yaml.MappingNode:
		if sw := mapValue(root, "syncWindows"); sw != nil {
			return asSequence(name, sw, "syncWindows")
		}
		kind := mapValue(root, "kind")
		if kind == nil || kind.Value != "AppProject" {
			if kind != nil { // another Kubernetes object in the same file
				return nil, nil
			}
			return nil, fmt.Errorf("%s:%d: expected a list of windows, a syncWindows list or an AppProject manifest", name, root.Line)
		}
		spec := mapValue(root, "spec")
		if spec == nil || spec.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("%s:%d: AppProject has no spec mapping", name, root.Line)
		}
		sw := mapValue(spec, "syncWindows")
		if sw == nil {
			return &yaml.Node{Kind: yaml.SequenceNode}, nil // a project without windows: everything is allowed
		}
		return asSequence(name, sw, "spec.syncWindows")
	}
	return nil, fmt.Errorf("%s:%d: expected a list of windows, a syncWindows list or an AppProject manifest", name, root.Line)
}

func asSequence(name string, n *yaml.Node, path string) (*yaml.Node, error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return &yaml.Node{Kind: yaml.SequenceNode}, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s:%d: %s must be a list of windows", name, n.Line, path)
	}
	return n, nil
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// knownFields are the window fields: Argo CD's SyncWindow plus start/end.
var knownFields = []string{"kind", "schedule", "duration", "timeZone", "applications", "namespaces",
	"clusters", "manualSync", "syncOverrun", "andOperator", "description", "start", "end"}

// windowFromNode decodes one window, recording each field's line. Type
// errors and unknown fields become Problems on the window (a misspelt
// "timezone" silently ignored would shift a freeze by hours).
func windowFromNode(index int, n *yaml.Node) (*Window, error) {
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("a window must be a mapping with kind, schedule, duration and selectors")
	}
	var sp Spec
	lines := map[string]int{}
	var problems []Problem
	add := func(field string, line int, msg string) {
		problems = append(problems, Problem{Index: index, Field: field, Line: line, Message: msg})
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		lines[k.Value] = k.Line
		var err error
		switch k.Value {
		case "kind":
			err = decodeString(v, &sp.Kind)
		case "schedule":
			err = decodeString(v, &sp.Schedule)
		case "duration":
			err = decodeString(v, &sp.Duration)
		case "timeZone":
			err = decodeString(v, &sp.TimeZone)
		case "description":
			err = decodeString(v, &sp.Description)
		case "start":
			err = decodeString(v, &sp.Start)
		case "end":
			err = decodeString(v, &sp.End)
		case "applications":
			err = decodeStrings(v, &sp.Applications)
		case "namespaces":
			err = decodeStrings(v, &sp.Namespaces)
		case "clusters":
			err = decodeStrings(v, &sp.Clusters)
		case "manualSync":
			err = decodeBool(v, &sp.ManualSync)
		case "syncOverrun":
			err = decodeBool(v, &sp.SyncOverrun)
		case "andOperator":
			err = decodeBool(v, &sp.AndOperator)
		default:
			add(k.Value, k.Line, fmt.Sprintf("unknown field %q%s", k.Value, suggest(k.Value)))
			continue
		}
		if err != nil {
			add(k.Value, v.Line, err.Error())
		}
	}
	w := compile(index, sp, n.Line, lines)
	// A field that failed to decode is reported once, not again as missing.
	bad := map[string]bool{}
	for _, p := range problems {
		bad[p.Field] = true
	}
	for _, p := range w.Problems {
		if !bad[p.Field] {
			problems = append(problems, p)
		}
	}
	w.Problems = problems
	sort.SliceStable(w.Problems, func(i, j int) bool { return w.Problems[i].Line < w.Problems[j].Line })
	return w, nil
}

func decodeString(v *yaml.Node, dst *string) error {
	if v.Kind != yaml.ScalarNode {
		return fmt.Errorf("must be a string")
	}
	*dst = v.Value
	return nil
}

func decodeStrings(v *yaml.Node, dst *[]string) error {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		return fmt.Errorf("must be a list of patterns, e.g. [\"payments-*\"]")
	}
	for _, item := range v.Content {
		if item.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: each pattern must be a string", item.Line)
		}
		*dst = append(*dst, item.Value)
	}
	return nil
}

func decodeBool(v *yaml.Node, dst *bool) error {
	if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" {
		return fmt.Errorf("must be true or false, got %q", v.Value)
	}
	return v.Decode(dst)
}

// suggest names the known field an unknown one was probably meant to be.
func suggest(field string) string {
	for _, f := range knownFields {
		if strings.EqualFold(f, field) || strings.EqualFold(f+"s", field) || strings.EqualFold(f, field+"s") {
			return fmt.Sprintf(": did you mean %q?", f)
		}
	}
	return ": known fields are " + strings.Join(knownFields, ", ")
}
