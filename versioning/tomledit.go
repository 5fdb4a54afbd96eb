package versioning

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// errDynamicVersion: pyproject.toml declares its version dynamic (set by
// the build backend from git or a file); release-please leaves it alone.
var errDynamicVersion = errors.New("the version is dynamic")

// errNoProject: pyproject.toml has neither [project] nor [tool.poetry];
// release-please skips the file.
var errNoProject = errors.New("no [project] or [tool.poetry] table")

var (
	tomlTableRE = regexp.MustCompile(`^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$`)
	tomlKeyRE   = regexp.MustCompile(`^(\s*version\s*=\s*)("(?:[^"\\]|\\.)*"|'[^']*')(\s*(?:#.*)?)$`)
)

// setPyProjectVersion writes version into pyproject.toml's
// project.version, else tool.poetry.version (PEP 621 first, as
// release-please's PyProjectToml updater), replacing only the string
// literal: comments, spacing and every other line stay. The result is
// parsed again and must differ from the input in that one value only.
func setPyProjectVersion(content []byte, version string) ([]byte, error) {
	var doc map[string]any
	if err := toml.Unmarshal(content, &doc); err != nil {
		return nil, fmt.Errorf("not valid TOML: %w", err)
	}
	table := ""
	project, _ := doc["project"].(map[string]any)
	if project != nil {
		table = "project"
	} else if tool, ok := doc["tool"].(map[string]any); ok {
		if project, _ = tool["poetry"].(map[string]any); project != nil {
			table = "tool.poetry"
		}
	}
	if project == nil {
		return nil, errNoProject
	}
	if _, ok := project["version"]; !ok {
		if dyn, ok := project["dynamic"].([]any); ok && slices.Contains(dyn, any("version")) {
			return nil, errDynamicVersion
		}
		return nil, fmt.Errorf("[%s] has no version: add version = \"0.0.0\" (or list it in dynamic)", table)
	}
	lines := strings.SplitAfter(string(content), "\n")
	current, inString := "", ""
	edited := -1
	for i, line := range lines {
		body := strings.TrimRight(line, "\r\n")
		if inString != "" { // inside a multi-line string: no table headers, no keys
			if strings.Count(body, inString)%2 == 1 {
				inString = ""
			}
			continue
		}
		for _, q := range []string{`"""`, `'''`} {
			if strings.Count(body, q)%2 == 1 {
				inString = q
			}
		}
		if m := tomlTableRE.FindStringSubmatch(body); m != nil && !strings.HasPrefix(strings.TrimSpace(body), "[[") {
			current = normalizeTOMLKey(m[1])
			continue
		}
		if current == table && edited < 0 {
			if m := tomlKeyRE.FindStringSubmatch(body); m != nil {
				lines[i] = m[1] + strconv.Quote(version) + m[3] + line[len(body):]
				edited = i
			}
		}
	}
	if edited < 0 {
		return nil, fmt.Errorf("[%s] version is not written as version = \"x.y.z\" on its own line: Slipway edits it only in that form", table)
	}
	out := []byte(strings.Join(lines, ""))
	var after map[string]any
	if err := toml.Unmarshal(out, &after); err != nil {
		return nil, fmt.Errorf("the edited pyproject.toml is not valid TOML (%v): report this", err)
	}
	got := after
	for _, k := range strings.Split(table, ".") {
		got, _ = got[k].(map[string]any)
	}
	if got == nil || got["version"] != version {
		return nil, fmt.Errorf("the edit of [%s] version did not take: report this", table)
	}
	got["version"] = project["version"]
	if !reflect.DeepEqual(after, doc) {
		return nil, fmt.Errorf("editing [%s] version would change more than the version: report this", table)
	}
	return out, nil
}

// normalizeTOMLKey turns a table header's dotted key (tool . "poetry")
// into tool.poetry.
func normalizeTOMLKey(k string) string {
	parts := strings.Split(k, ".")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if len(p) >= 2 && (p[0] == '"' || p[0] == '\'') && p[len(p)-1] == p[0] {
			p = p[1 : len(p)-1]
		}
		parts[i] = p
	}
	return strings.Join(parts, ".")
}

// pyProjectName is pyproject.toml's project.name, else tool.poetry.name.
func pyProjectName(content []byte) string {
	var doc struct {
		Project struct{ Name string } `toml:"project"`
		Tool    struct {
			Poetry struct{ Name string } `toml:"poetry"`
		} `toml:"tool"`
	}
	if toml.Unmarshal(content, &doc) != nil {
		return ""
	}
	if doc.Project.Name != "" {
		return doc.Project.Name
	}
	return doc.Tool.Poetry.Name
}
