package changelog

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"text/template"
)

// Template is a user's text/template for release notes. It executes with
// a Notes value (see its JSON field names for what is there), so a custom
// layout sees exactly what the default one does.
type Template struct{ t *template.Template }

// ParseTemplate parses a template text; name is used in errors (a file
// path, typically).
func ParseTemplate(name, text string) (*Template, error) {
	t, err := template.New(name).Funcs(template.FuncMap{
		"join":  strings.Join,
		"upper": strings.ToUpper,
		"lower": strings.ToLower,
	}).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("changelog template %s: %w (see docs/versioning.md for the fields a template can use)", name, err)
	}
	return &Template{t: t}, nil
}

// LoadTemplate reads and parses a template file.
func LoadTemplate(path string) (*Template, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("changelog template: %w", err)
	}
	return ParseTemplate(path, string(b))
}

// Render executes the template for one release.
func (t *Template) Render(n Notes) (string, error) {
	var b bytes.Buffer
	if err := t.t.Execute(&b, n); err != nil {
		return "", fmt.Errorf("changelog template %s: %w", t.t.Name(), err)
	}
	return b.String(), nil
}
