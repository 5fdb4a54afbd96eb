package gitops

import "gopkg.in/yaml.v3"

// view lets a kind look at a file before deciding what to write: which
// source an Argo CD Application has, whether a kustomize entry still holds
// a newTag. It only reads; a lookup that fails returns nothing, and the
// edit that follows reports the failure with the full error.
type view struct {
	docs []*yaml.Node
	doc  *Step // the pin's document selector, nil for none
}

// node returns the node steps lead to (after aliases), or nil when they
// lead nowhere or to more than one place.
func (v view) node(steps ...Step) *yaml.Node {
	candidates := v.docs
	if v.doc != nil {
		doc, err := selectDocument(v.docs, Path{Doc: v.doc, Steps: steps})
		if err != nil {
			return nil
		}
		candidates = []*yaml.Node{doc}
	}
	var hit *yaml.Node
	for _, doc := range candidates {
		if n := follow(doc, steps); n != nil {
			if hit != nil {
				return nil
			}
			hit = n
		}
	}
	return hit
}

// scalar returns the string value steps lead to; "" when absent, empty
// or not a scalar.
func (v view) scalar(steps ...Step) string {
	n := v.node(steps...)
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return scalarValue(n)
}

// follow walks steps from a document's root for reading.
func follow(doc *yaml.Node, steps []Step) *yaml.Node {
	cur := docRoot(doc)
	if cur == nil {
		return nil
	}
	w := walker{p: Path{Steps: steps}, acc: forRead}
	for _, st := range steps {
		next, err := w.step(cur, st)
		if err != nil {
			return nil
		}
		cur = next
	}
	return deref(cur)
}

// keyPath builds the steps of a dotted list of plain mapping keys.
func keyPath(keys ...string) []Step {
	steps := make([]Step, len(keys))
	for i, k := range keys {
		steps[i] = Step{Kind: KeyStep, Key: k}
	}
	return steps
}

// join concatenates step lists into a new slice.
func join(parts ...[]Step) []Step {
	var out []Step
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
