package versioning

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// errNoSuchKey is returned by setJSONString for a path that is not there.
var errNoSuchKey = errors.New("no such key")

// setJSONString replaces the string value at path (object keys, outermost
// first) in a JSON document, in place: every other byte — indentation,
// key order, the final newline — stays as it was. release-please
// re-serializes the whole file with its detected indent; for files npm
// wrote the result is the same, and for hand-formatted ones this keeps the
// author's formatting. Every value at path is replaced (JSON.parse would
// keep the last of duplicate keys). A path holding a non-string is an
// error, as is a document that is not JSON.
func setJSONString(doc []byte, path []string, value string) ([]byte, error) {
	if !json.Valid(doc) {
		return nil, fmt.Errorf("not valid JSON")
	}
	quoted, err := json.Marshal(value)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	type span struct{ start, end int64 }
	var spans []span
	var walk func(at []string) error
	walk = func(at []string) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ := k.(string)
				here := append(slices.Clip(at), key)
				if slices.Equal(here, path) {
					before := dec.InputOffset()
					v, err := dec.Token()
					if err != nil {
						return err
					}
					if _, ok := v.(string); !ok {
						return fmt.Errorf("%s holds %v, not a string", jsonPath(path), v)
					}
					// The value starts at its opening quote after the colon.
					rel := bytes.IndexByte(doc[before:dec.InputOffset()], '"')
					spans = append(spans, span{before + int64(rel), dec.InputOffset()})
					continue
				}
				if err := walk(here); err != nil {
					return err
				}
			}
			_, err = dec.Token() // }
			return err
		case json.Delim('['):
			for dec.More() {
				if err := walk(append(slices.Clip(at), "[]")); err != nil {
					return err
				}
			}
			_, err = dec.Token() // ]
			return err
		}
		return nil
	}
	if err := walk(nil); err != nil && err != io.EOF {
		return nil, err
	}
	if len(spans) == 0 {
		return nil, fmt.Errorf("%s: %w", jsonPath(path), errNoSuchKey)
	}
	var out bytes.Buffer
	last := int64(0)
	for _, s := range spans {
		out.Write(doc[last:s.start])
		out.Write(quoted)
		last = s.end
	}
	out.Write(doc[last:])
	return out.Bytes(), nil
}

// getJSONString reads the string at path ("" when absent or not a string).
func getJSONString(doc []byte, path []string) string {
	var v any
	if json.Unmarshal(doc, &v) != nil {
		return ""
	}
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[k]
	}
	s, _ := v.(string)
	return s
}

func jsonPath(path []string) string {
	out := ""
	for _, p := range path {
		b, _ := json.Marshal(p)
		out += "[" + string(b) + "]"
	}
	return out
}
