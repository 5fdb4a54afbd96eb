package commitlint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// ConfigFiles are the names commitlint (through cosmiconfig) looks for in
// a directory, in its order. package.json and package.yaml count only when
// they have a "commitlint" key; an empty file is passed over.
var ConfigFiles = []string{
	"package.json", "package.yaml",
	".commitlintrc", ".commitlintrc.json", ".commitlintrc.yaml", ".commitlintrc.yml",
	".commitlintrc.js", ".commitlintrc.cjs", ".commitlintrc.mjs",
	"commitlint.config.js", "commitlint.config.cjs", "commitlint.config.mjs",
	".commitlintrc.ts", ".commitlintrc.cts", ".commitlintrc.mts",
	"commitlint.config.ts", "commitlint.config.cts", "commitlint.config.mts",
}

// maxConfigSize bounds what is read from a config file: a real one is a
// few hundred bytes, and the file comes from whoever can push.
const maxConfigSize = 1 << 20

// Find returns the commitlint configuration file that applies to dir: the
// first of ConfigFiles in dir, else in its parents up to the repository
// root (the first directory holding .git). "" when there is none.
func Find(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; {
		for _, name := range ConfigFiles {
			path := filepath.Join(d, name)
			obj, err := readConfigFile(path)
			if errors.Is(err, os.ErrNotExist) || err == nil && obj == nil {
				continue
			}
			return path, nil
		}
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return "", nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", nil
		}
		d = parent
	}
}

// Load returns the configuration for dir: its commitlint config file on
// top of config-conventional, or config-conventional alone when there is
// no file.
func Load(dir string) (*Config, error) {
	path, err := Find(dir)
	if err != nil {
		return nil, err
	}
	if path == "" {
		return ConfigConventional(), nil
	}
	return LoadFile(path)
}

// LoadFile reads one commitlint configuration file.
func LoadFile(path string) (*Config, error) {
	obj, err := readConfigFile(path)
	if err != nil {
		return nil, err
	}
	if obj == nil {
		return nil, fmt.Errorf("%s: no commitlint configuration in it (empty, or no \"commitlint\" key)", path)
	}
	return FromObject(path, obj)
}

// readConfigFile decodes a config file by its name; nil when it holds no
// configuration (empty, or a package file without a commitlint key).
func readConfigFile(path string) (*Object, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || st.IsDir() {
		return nil, os.ErrNotExist
	}
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("%s: larger than %d bytes; a commitlint configuration is a few lines", path, maxConfigSize)
	}
	src := decodeUTF8(data)
	if strings.TrimSpace(src) == "" {
		return nil, nil
	}
	base := filepath.Base(path)
	var v any
	switch {
	case base == "package.json":
		if v, err = decodeJSON(path, src); err != nil {
			return nil, err
		}
		return commitlintKey(path, v)
	case base == "package.yaml":
		if v, err = decodeYAML(path, src); err != nil {
			return nil, err
		}
		return commitlintKey(path, v)
	case strings.HasSuffix(base, ".json"):
		v, err = decodeJSON(path, src)
	case base == ".commitlintrc" || strings.HasSuffix(base, ".yaml") || strings.HasSuffix(base, ".yml"):
		v, err = decodeYAML(path, src)
	default:
		return ParseJSConfig(path, src)
	}
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, nil
	}
	o, ok := v.(*Object)
	if !ok {
		return nil, fmt.Errorf("%s: the configuration must be an object (extends:, rules:); got %s", path, describe(v))
	}
	return o, nil
}

func commitlintKey(path string, v any) (*Object, error) {
	o, ok := v.(*Object)
	if !ok {
		return nil, nil
	}
	c, ok := o.Get("commitlint")
	if !ok || c == nil {
		return nil, nil
	}
	co, ok := c.(*Object)
	if !ok {
		return nil, fmt.Errorf("%s: \"commitlint\" must be an object (extends:, rules:); got %s", path, describe(c))
	}
	return co, nil
}

// decodeJSON decodes strict JSON keeping object key order.
func decodeJSON(path, src string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(src))
	dec.UseNumber()
	v, err := jsonValue(dec)
	if err == nil {
		if _, err2 := dec.Token(); err2 != io.EOF {
			err = fmt.Errorf("unexpected content after the value")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: not valid JSON: %v", path, err)
	}
	return v, nil
}

func jsonValue(dec *json.Decoder) (any, error) {
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch x := t.(type) {
	case json.Delim:
		switch x {
		case '{':
			o := NewObject()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := jsonValue(dec)
				if err != nil {
					return nil, err
				}
				o.Set(kt.(string), v)
			}
			_, err := dec.Token()
			return o, err
		case '[':
			out := []any{}
			for dec.More() {
				v, err := jsonValue(dec)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
			_, err := dec.Token()
			return out, err
		}
		return nil, fmt.Errorf("unexpected %v", x)
	case json.Number:
		return x.Float64()
	default:
		return x, nil // string, bool, nil
	}
}

// decodeYAML decodes YAML (JSON is YAML too) keeping key order.
func decodeYAML(path, src string) (any, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader([]byte(src)))
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, nil
		}
		return nil, fmt.Errorf("%s: not valid YAML: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	v, err := yamlValue(doc.Content[0], 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

func yamlValue(n *yaml.Node, depth int) (any, error) {
	if depth > 64 {
		return nil, fmt.Errorf("line %d: nested too deeply", n.Line)
	}
	switch n.Kind {
	case yaml.AliasNode:
		return yamlValue(n.Alias, depth+1)
	case yaml.MappingNode:
		o := NewObject()
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Tag == "!!merge" {
				return nil, fmt.Errorf("line %d: YAML merge keys (<<) are not supported; write the keys out", k.Line)
			}
			v, err := yamlValue(n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			o.Set(k.Value, v)
		}
		return o, nil
	case yaml.SequenceNode:
		out := []any{}
		for _, c := range n.Content {
			v, err := yamlValue(c, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %v", n.Line, err)
		}
		switch x := v.(type) {
		case int:
			return float64(x), nil
		case int64:
			return float64(x), nil
		case uint64:
			return float64(x), nil
		case float64, string, bool, nil:
			return x, nil
		}
		return n.Value, nil
	}
	return nil, fmt.Errorf("line %d: unsupported YAML node", n.Line)
}
