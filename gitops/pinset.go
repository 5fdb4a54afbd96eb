package gitops

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// PinSet is every pin of one service in one environment. One promotion
// writes all of them in one commit, which is why Apply works on a map of
// files rather than on one file.
type PinSet []Pin

// ErrNoFile: a pin's file is not in the checkout.
var ErrNoFile = errors.New("file not found")

// ErrConflict: the file holds a value that would contradict what the pin
// writes (a kustomize newTag left beside a new digest, an Argo CD
// parameter that overrides the valuesObject being written).
var ErrConflict = errors.New("conflict")

// ErrDisagree: the pins of one service in one environment hold different
// digests; see *MismatchError.
var ErrDisagree = errors.New("pins disagree")

// Validate checks every pin; errors name the pin's position.
func (ps PinSet) Validate() error {
	if len(ps) == 0 {
		return &ConfigError{Key: "pins", Msg: "no pin: list at least one, e.g. {file: envs/{env}/{service}/values.yaml, path: image.digest}"}
	}
	var errs []error
	for i, p := range ps {
		if err := p.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("pin %d: %w", i+1, err))
		}
	}
	return errors.Join(errs...)
}

// Files returns the distinct files the pins edit for service in env,
// sorted: what a promotion reads from the checkout before Apply.
func (ps PinSet) Files(service, env string) ([]string, error) {
	seen := map[string]bool{}
	var files []string
	for i, p := range ps {
		rel, err := p.Render(service, env)
		if err != nil {
			return nil, fmt.Errorf("pin %d of %s in %s: %w", i+1, service, env, err)
		}
		if !seen[rel] {
			seen[rel] = true
			files = append(files, rel)
		}
	}
	sort.Strings(files)
	return files, nil
}

// Apply writes t into every pin, in memory. files maps each file of Files
// to its content (a file missing from the map is a missing file); several
// pins in one file compose. changed holds only the files whose bytes
// changed, so a retried promotion finds nothing to commit. On error
// nothing is returned and the error (a *PinError) names the pin, file,
// document and path at fault.
func (ps PinSet) Apply(files map[string][]byte, t Target) (changed map[string][]byte, err error) {
	if len(ps) == 0 {
		return nil, fmt.Errorf("%s in %s has no pins to write; add pins: to the environment in slipway.yaml", t.Service, t.Env)
	}
	if err := t.validate(); err != nil {
		return nil, fmt.Errorf("pins of %s in %s: %w", t.Service, t.Env, err)
	}
	work := map[string][]byte{}
	for i, p := range ps {
		rel, content, err := ps.content(i, files, work, t)
		if err != nil {
			return nil, err
		}
		out, err := p.apply(content, t)
		if err != nil {
			return nil, ps.locate(err, i, rel, t)
		}
		work[rel] = out
	}
	if err := ps.checkWritten(work, t); err != nil {
		return nil, err
	}
	changed = map[string][]byte{}
	for rel, b := range work {
		if !bytes.Equal(b, files[rel]) {
			changed[rel] = b
		}
	}
	return changed, nil
}

// checkWritten reads the edited files back: every digest-holding field
// must now hold t.Digest. It fails only when two pins write the same
// field in different ways, the later undoing the earlier.
func (ps PinSet) checkWritten(work map[string][]byte, t Target) error {
	readings, err := ps.Read(work, t)
	if err != nil {
		return err
	}
	for _, r := range readings {
		if r.Digest != t.Digest {
			return &PinError{Pin: r.Pin, Kind: r.Kind, Service: t.Service, Env: t.Env, File: r.File, Document: r.Document, Path: r.Path,
				Err: fmt.Errorf("%w: after the promotion the field holds %q, not the digest: another pin of the set writes the same field differently; remove one of them", ErrConflict, r.Value)}
		}
	}
	return nil
}

// Reading is what one digest-holding field of a pin holds.
type Reading struct {
	// Pin is the pin's position in the set, from 0.
	Pin int
	// Kind is the pin's kind; File the rendered file.
	Kind, File string
	// Document is the document selector (doc[...]), "" for none; Path the
	// path inside the document.
	Document, Path string
	// Value is the scalar as the file holds it; Digest the digest in it,
	// "" when it holds none.
	Value, Digest string
}

// Read returns what every digest-holding field of the pins holds, in pin
// order. t needs only Service, Env and Image (a kustomize pin without
// name: selects its entry by the image).
func (ps PinSet) Read(files map[string][]byte, t Target) ([]Reading, error) {
	var all []Reading
	for i, p := range ps {
		rel, content, err := ps.content(i, files, nil, t)
		if err != nil {
			return nil, err
		}
		readings, err := p.read(content, t)
		if err != nil {
			return nil, ps.locate(err, i, rel, t)
		}
		for _, r := range readings {
			r.Pin, r.File = i, rel
			all = append(all, r)
		}
	}
	return all, nil
}

// Current returns the digest all pins hold: "" when none was ever
// pinned. Pins that hold different digests (one still empty after a pin
// was added, one edited by hand) are a *MismatchError naming each. t
// needs only Service, Env and Image, as for Read.
func (ps PinSet) Current(files map[string][]byte, t Target) (string, error) {
	if len(ps) == 0 {
		return "", fmt.Errorf("%s in %s has no pins to read; add pins: to the environment in slipway.yaml", t.Service, t.Env)
	}
	readings, err := ps.Read(files, t)
	if err != nil {
		return "", err
	}
	return agree(readings, t.Service, t.Env)
}

// agree returns the one digest all readings hold.
func agree(readings []Reading, service, env string) (string, error) {
	if len(readings) == 0 {
		return "", errors.New("no pin holds a digest")
	}
	for _, r := range readings[1:] {
		if r.Digest != readings[0].Digest {
			return "", &MismatchError{Service: service, Env: env, Readings: readings}
		}
	}
	return readings[0].Digest, nil
}

// content finds the bytes pin i edits: from work (an earlier pin's edit)
// or files.
// A pin that does not validate (one built in Go) is refused here, before
// it touches anything.
func (ps PinSet) content(i int, files, work map[string][]byte, t Target) (string, []byte, error) {
	p := ps[i]
	if err := p.Validate(); err != nil {
		return "", nil, ps.locate(&PinError{Err: fmt.Errorf("%w: the pin's configuration: %v", ErrInvalidValue, err)}, i, p.File, t)
	}
	rel, err := p.Render(t.Service, t.Env)
	if err != nil {
		return "", nil, fmt.Errorf("pin %d of %s in %s: %w", i+1, t.Service, t.Env, err)
	}
	if b, ok := work[rel]; ok {
		return rel, b, nil
	}
	if b, ok := files[rel]; ok {
		return rel, b, nil
	}
	perr := &PinError{Err: fmt.Errorf("%w: the file is not in the GitOps checkout on the environment's branch; create it with the pinned field, or fix file: of the pin in slipway.yaml", ErrNoFile)}
	if f, ferr := p.format(); ferr == nil {
		doc, _ := p.documentSelector(f, t)
		if slots, serr := f.fields(&p, t, view{doc: doc}); serr == nil && len(slots) > 0 {
			perr.Document, perr.Path = splitPath(slots[0].path)
		}
	}
	return "", nil, ps.locate(perr, i, rel, t)
}

// locate fills the pin's position, kind, file, service and environment
// into the *PinError a pin returned.
func (ps PinSet) locate(err error, i int, rel string, t Target) error {
	var pe *PinError
	if !errors.As(err, &pe) {
		pe = &PinError{Err: err}
	}
	pe.Pin, pe.Kind, pe.File, pe.Service, pe.Env = i, ps[i].kind(), rel, t.Service, t.Env
	SetFile(pe.Err, rel)
	return pe
}

// PinError reports a pin that cannot be written or read, naming the pin,
// its file, the document selector and the path, so the message says
// exactly where to look and what to fix.
type PinError struct {
	// Pin is the pin's position in its set, from 0.
	Pin int
	// Kind is the pin's kind.
	Kind string
	// Service and Env are whose pin it is.
	Service, Env string
	// File is the rendered file, relative to the GitOps repository root.
	File string
	// Document is the document selector (doc[kind=...]); "" for none.
	Document string
	// Path is the path inside the document of the field at fault; "" when
	// the problem is not one field's (a tag that cannot be rendered).
	Path string
	// Line is the 1-based line of the problem in File; 0 if unknown.
	Line int
	// Err is the cause: ErrNoFile, a *PathError, a *SyntaxError, or an
	// error wrapping ErrInvalidValue.
	Err error
}

func (e *PinError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pin %d", e.Pin+1)
	if e.Service != "" {
		fmt.Fprintf(&b, " of %s in %s", e.Service, e.Env)
	}
	if e.Kind != "" {
		fmt.Fprintf(&b, " (kind %s)", e.Kind)
	}
	b.WriteString(": file ")
	b.WriteString(orNone(e.File, "(none)"))
	if line := e.line(); line > 0 {
		b.WriteString(":" + strconv.Itoa(line))
	}
	if e.Path != "" {
		fmt.Fprintf(&b, ", document %s, path %s", orNone(e.Document, "(none selected)"), e.Path)
	}
	b.WriteString(": ")
	b.WriteString(e.cause())
	return b.String()
}

func (e *PinError) Unwrap() error { return e.Err }

func (e *PinError) line() int {
	var pe *PathError
	var se *SyntaxError
	switch {
	case e.Line > 0:
		return e.Line
	case errors.As(e.Err, &pe):
		return pe.Line
	case errors.As(e.Err, &se):
		return se.Line
	}
	return 0
}

// cause renders Err without repeating the file and path the message has
// already named.
func (e *PinError) cause() string {
	var pe *PathError
	if errors.As(e.Err, &pe) {
		if pe.Detail == "" {
			return pe.Err.Error()
		}
		detail := pe.Detail
		if newSpec, ok := kinds[e.Kind]; ok {
			detail = strings.Replace(detail, fixPathHint, newSpec().fixHint(), 1)
		}
		return pe.Err.Error() + ": " + detail
	}
	var se *SyntaxError
	if errors.As(e.Err, &se) {
		copy := *se
		copy.File = "the file"
		return copy.Error()
	}
	return e.Err.Error()
}

func orNone(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

// splitPath separates a path's document selector from its steps, as
// PinError shows them.
func splitPath(p Path) (doc, steps string) {
	if p.Doc != nil {
		doc = "doc" + p.Doc.bracket()
	}
	return doc, Path{Steps: p.Steps}.String()
}

// MismatchError reports pins of one service in one environment that hold
// different digests.
type MismatchError struct {
	Service, Env string
	// Readings are every digest-holding field, in pin order.
	Readings []Reading
}

func (e *MismatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the pins of %s in %s hold different digests: ", e.Service, e.Env)
	for i, r := range e.Readings {
		if i > 0 {
			b.WriteString("; ")
		}
		held := "nothing"
		if r.Digest != "" {
			held = r.Digest
		}
		fmt.Fprintf(&b, "pin %d (kind %s) %s", r.Pin+1, r.Kind, r.File)
		if r.Document != "" {
			b.WriteString(" " + r.Document)
		}
		fmt.Fprintf(&b, " %s holds %s", r.Path, held)
	}
	b.WriteString("; promote again to write one digest into all of them, or make them agree by hand")
	return b.String()
}

func (e *MismatchError) Unwrap() error { return ErrDisagree }

// plan is what applying or reading one pin needs: its fields, and the
// documents of content they were chosen from.
func (p Pin) plan(content []byte, t Target) ([]slot, []*yaml.Node, error) {
	f, err := p.format()
	if err != nil {
		return nil, nil, &PinError{Err: err}
	}
	docs, err := parseStream(content)
	if err != nil {
		return nil, nil, &PinError{Err: err}
	}
	doc, err := p.documentSelector(f, t)
	if err != nil {
		return nil, nil, &PinError{Err: fmt.Errorf("%w: %v", ErrInvalidValue, err)}
	}
	slots, err := f.fields(&p, t, view{docs: docs, doc: doc})
	if err != nil {
		var pe *PathError
		perr := &PinError{Err: err}
		if errors.As(err, &pe) {
			if path, perr2 := ParsePath(pe.Path); perr2 == nil {
				perr.Document, perr.Path = splitPath(path)
			}
		}
		return nil, nil, perr
	}
	return slots, docs, nil
}

// documentSelector is the selector a pin's fields start from.
func (p Pin) documentSelector(f Format, t Target) (*Step, error) {
	if ds, ok := f.(interface{ document(p *Pin) *Document }); ok {
		return ds.document(&p).selector(t)
	}
	return p.Document.selector(t)
}

// apply writes t into p's fields in content.
func (p Pin) apply(content []byte, t Target) ([]byte, error) {
	slots, _, err := p.plan(content, t)
	if err != nil {
		return nil, err
	}
	w := want{Target: t}
	f, _ := p.format()
	if writesTag(effectiveWrite(&p, f)) {
		if w.tag, err = renderTag(p.TagFormat, t); err != nil {
			return nil, &PinError{Err: err}
		}
	}
	for _, s := range slots {
		next := func(cur string) (string, error) { return s.field.next(cur, w) }
		out, _, _, err := edit(content, s.path, next, stringType)
		if err != nil {
			return nil, slotError(s, err)
		}
		content = out
	}
	return content, nil
}

// read returns what p's digest-holding fields hold in content.
func (p Pin) read(content []byte, t Target) ([]Reading, error) {
	slots, docs, err := p.plan(content, t)
	if err != nil {
		return nil, err
	}
	var readings []Reading
	for _, s := range slots {
		node, perr := locate(docs, s.path, forRead)
		if perr != nil {
			return nil, slotError(s, perr)
		}
		cur := scalarValue(node)
		d, holds, err := s.field.digestOf(cur)
		if err != nil {
			return nil, slotError(s, &PathError{Path: s.path.String(), Line: node.Line, Err: ErrInvalidValue, Detail: fieldDetail(err)})
		}
		if holds {
			doc, path := splitPath(s.path)
			readings = append(readings, Reading{Kind: p.kind(), Document: doc, Path: path, Value: cur, Digest: d})
		}
	}
	return readings, nil
}

// slotError wraps err with the slot's document and path.
func slotError(s slot, err error) error {
	doc, path := splitPath(s.path)
	return &PinError{Document: doc, Path: path, Err: err}
}
