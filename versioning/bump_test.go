package versioning

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// mapTree is a repository as a map of paths to contents.
type mapTree map[string]string

func (m mapTree) Read(p string) ([]byte, error) {
	c, ok := m[p]
	if !ok {
		return nil, fmt.Errorf("%s: %w", p, fs.ErrNotExist)
	}
	return []byte(c), nil
}

func (m mapTree) Find(dir, name string) ([]string, error) {
	var out []string
	for p := range m {
		if path.Base(p) == name && (dir == "." || strings.HasPrefix(p, dir+"/")) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out, nil
}

func TestVersionFilesPerReleaseType(t *testing.T) {
	cases := []struct {
		name     string
		tree     mapTree
		bump     VersionBump
		want     map[string]string
		warnings []string
	}{{
		name: "node: package.json, lock file v3, samples; key order and indent kept",
		tree: mapTree{
			"package.json":         "{\n    \"name\": \"@acme/api\",\n    \"version\": \"1.2.0\",\n    \"scripts\": {\"version\": \"echo\"}\n}\n",
			"package-lock.json":    "{\n  \"name\": \"@acme/api\",\n  \"version\": \"1.2.0\",\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"\": {\n      \"name\": \"@acme/api\",\n      \"version\": \"1.2.0\"\n    },\n    \"node_modules/x\": {\"version\": \"9.9.9\"}\n  }\n}\n",
			"samples/package.json": "{\"dependencies\": {\"@acme/api\": \"~1.2.0\", \"other\": \"^1.0.0\"}}",
		},
		bump: VersionBump{ReleaseType: "node", Path: ".", Version: "1.3.0"},
		want: map[string]string{
			"package.json":         "{\n    \"name\": \"@acme/api\",\n    \"version\": \"1.3.0\",\n    \"scripts\": {\"version\": \"echo\"}\n}\n",
			"package-lock.json":    "{\n  \"name\": \"@acme/api\",\n  \"version\": \"1.3.0\",\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"\": {\n      \"name\": \"@acme/api\",\n      \"version\": \"1.3.0\"\n    },\n    \"node_modules/x\": {\"version\": \"9.9.9\"}\n  }\n}\n",
			"samples/package.json": "{\"dependencies\": {\"@acme/api\": \"^1.3.0\", \"other\": \"^1.0.0\"}}",
		},
	}, {
		name: "node in a package directory, lock file v1",
		tree: mapTree{"packages/web/package.json": `{"name":"web","version":"0.1.0"}`, "packages/web/npm-shrinkwrap.json": `{"version":"0.1.0","lockfileVersion":1,"packages":{"":{"version":"0.1.0"}}}`, "package.json": `{"version":"9.0.0"}`},
		bump: VersionBump{ReleaseType: "node", Path: "packages/web", Version: "0.2.0"},
		want: map[string]string{"packages/web/package.json": `{"name":"web","version":"0.2.0"}`, "packages/web/npm-shrinkwrap.json": `{"version":"0.2.0","lockfileVersion":1,"packages":{"":{"version":"0.1.0"}}}`},
	}, {
		name: "python: pyproject, setup.cfg, setup.py, __init__.py, version.py",
		tree: mapTree{
			"pyproject.toml":              "# build\n[build-system]\nrequires = [\"hatchling\"]\nversion = \"0.0.0\"\n\n[project]\nname = \"acme-api\"  # the dist\nversion = '1.2.0'  # bumped by release-please\ndescription = \"\"\"\n[tool.poetry]\nversion = \"x\"\n\"\"\"\n",
			"setup.cfg":                   "[metadata]\nversion = 1.2.0\n",
			"setup.py":                    "setup(name='acme-api', version='1.2.0')\n",
			"acme_api/__init__.py":        "__version__ = \"1.2.0\"\n",
			"src/acme-api/__init__.py":    "__version__='1.2.0'\n",
			"acme_api/deep/version.py":    "__version__ = '1.2.0'\nother = '1.2.0'\n",
			"acme_api/unrelated.py":       "__version__ = '1.2.0'\n",
			"outside/elsewhere/version.x": "",
		},
		bump: VersionBump{ReleaseType: "python", Path: ".", Version: "1.3.0"},
		want: map[string]string{
			"pyproject.toml":           "# build\n[build-system]\nrequires = [\"hatchling\"]\nversion = \"0.0.0\"\n\n[project]\nname = \"acme-api\"  # the dist\nversion = \"1.3.0\"  # bumped by release-please\ndescription = \"\"\"\n[tool.poetry]\nversion = \"x\"\n\"\"\"\n",
			"setup.cfg":                "[metadata]\nversion = 1.3.0\n",
			"setup.py":                 "setup(name='acme-api', version='1.3.0')\n",
			"acme_api/__init__.py":     "__version__ = \"1.3.0\"\n",
			"src/acme-api/__init__.py": "__version__='1.3.0'\n",
			"acme_api/deep/version.py": "__version__ = '1.3.0'\nother = '1.2.0'\n",
		},
	}, {
		name:     "python: poetry; a dynamic version is left alone",
		tree:     mapTree{"a/pyproject.toml": "[tool.poetry]\nname = \"a\"\nversion = \"0.1.0\"\n", "b/pyproject.toml": "[project]\nname = \"b\"\ndynamic = [\"version\"]\n"},
		bump:     VersionBump{ReleaseType: "python", Path: "a", Version: "0.2.0"},
		want:     map[string]string{"a/pyproject.toml": "[tool.poetry]\nname = \"a\"\nversion = \"0.2.0\"\n"},
		warnings: nil,
	}, {
		name:     "python: dynamic",
		tree:     mapTree{"pyproject.toml": "[project]\nname = \"b\"\ndynamic = [\"version\"]\n"},
		bump:     VersionBump{ReleaseType: "python", Path: ".", Version: "0.2.0"},
		want:     map[string]string{},
		warnings: []string{"pyproject.toml: the version is dynamic: not bumped"},
	}, {
		name: "helm: version and appVersion, comments and quotes kept",
		tree: mapTree{"charts/api/Chart.yaml": "apiVersion: v2\nname: api # the service\nversion: 1.2.0\nappVersion: \"1.2.0\" # what runs\n"},
		bump: VersionBump{ReleaseType: "helm", Path: "charts/api", Version: "1.3.0"},
		want: map[string]string{"charts/api/Chart.yaml": "apiVersion: v2\nname: api # the service\nversion: 1.3.0\nappVersion: \"1.3.0\" # what runs\n"},
	}, {
		name: "helm without appVersion",
		tree: mapTree{"Chart.yaml": "apiVersion: v2\nname: api\nversion: 0.1.0\n"},
		bump: VersionBump{ReleaseType: "helm", Path: ".", Version: "0.2.0"},
		want: map[string]string{"Chart.yaml": "apiVersion: v2\nname: api\nversion: 0.2.0\n"},
	}, {
		name: "simple: version.txt when it exists",
		tree: mapTree{"version.txt": "1.2.0\n"},
		bump: VersionBump{ReleaseType: "simple", Path: ".", Version: "1.3.0"},
		want: map[string]string{"version.txt": "1.3.0\n"},
	}, {
		name: "simple: no version.txt, nothing made",
		tree: mapTree{},
		bump: VersionBump{ReleaseType: "simple", Path: ".", Version: "1.3.0"},
		want: map[string]string{},
	}, {
		name: "go: nothing but the changelog",
		tree: mapTree{"version.go": "package x\n\nconst Version = \"1.2.0\"\n", "version.txt": "1.2.0\n"},
		bump: VersionBump{ReleaseType: "go", Path: ".", Version: "1.3.0"},
		want: map[string]string{},
	}, {
		name: "go with version-file",
		tree: mapTree{"internal/version.go": "package x\n\nconst Version = \"1.2.0\"\n"},
		bump: VersionBump{ReleaseType: "go", Path: ".", Version: "1.3.0-rc.1", VersionFile: "internal/version.go"},
		want: map[string]string{"internal/version.go": "package x\n\nconst Version = \"1.3.0-rc.1\"\n"},
	}, {
		name:     "an unknown type bumps nothing and says so",
		tree:     mapTree{"pom.xml": "<version>1.2.0</version>"},
		bump:     VersionBump{ReleaseType: "maven", Path: ".", Version: "1.3.0"},
		want:     map[string]string{},
		warnings: []string{"release-type maven: Slipway bumps the changelog only (it bumps the version files of simple, node, python, helm, go)"},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files, warnings, err := VersionFiles(c.tree, c.bump)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for p, b := range files {
				got[p] = string(b)
			}
			if !reflect.DeepEqual(got, c.want) {
				for p := range c.want {
					if got[p] != c.want[p] {
						t.Errorf("%s:\n got %q\nwant %q", p, got[p], c.want[p])
					}
				}
				t.Fatalf("files %v, want %v", keys(got), keys(c.want))
			}
			if !reflect.DeepEqual(warnings, c.warnings) {
				t.Errorf("warnings %q, want %q", warnings, c.warnings)
			}
		})
	}
}

func TestVersionFilesRefuseWhatTheyCannotEdit(t *testing.T) {
	for name, c := range map[string]struct {
		tree mapTree
		bump VersionBump
		want string
	}{
		"package.json that is not JSON":     {mapTree{"package.json": "{"}, VersionBump{ReleaseType: "node", Path: ".", Version: "1.0.0"}, "package.json: not valid JSON"},
		"a version that is not a string":    {mapTree{"package.json": `{"version": 1}`}, VersionBump{ReleaseType: "node", Path: ".", Version: "1.0.0"}, `["version"] holds 1, not a string`},
		"pyproject without a version":       {mapTree{"pyproject.toml": "[project]\nname = \"x\"\n"}, VersionBump{ReleaseType: "python", Path: ".", Version: "1.0.0"}, "[project] has no version"},
		"pyproject with an inline version":  {mapTree{"pyproject.toml": "project = {name = \"x\", version = \"1.0.0\"}\n"}, VersionBump{ReleaseType: "python", Path: ".", Version: "1.1.0"}, "on its own line"},
		"Chart.yaml without a version":      {mapTree{"Chart.yaml": "name: x\n"}, VersionBump{ReleaseType: "helm", Path: ".", Version: "1.0.0"}, "Chart.yaml"},
		"pyproject that is not TOML at all": {mapTree{"pyproject.toml": "[project\n"}, VersionBump{ReleaseType: "python", Path: ".", Version: "1.0.0"}, "not valid TOML"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := VersionFiles(c.tree, c.bump)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// FuzzSetJSONString: an edit that succeeds changes the value at the path
// and nothing else a JSON reader sees.
func FuzzSetJSONString(f *testing.F) {
	for _, s := range []string{`{"version":"1.0.0"}`, "{\n  \"a\": [1, {\"version\": \"x\"}],\n  \"version\" : \"2\"\n}\n", `{"version":"a","version":"b"}`, `{"v\u0065rsion":"1"}`, `[]`, `"x"`, `{"version":{"version":"1"}}`} {
		f.Add([]byte(s), "9.9.9")
	}
	f.Fuzz(func(t *testing.T, doc []byte, value string) {
		out, err := setJSONString(doc, []string{"version"}, value)
		if err != nil {
			return
		}
		var before, after map[string]any
		if json.Unmarshal(doc, &before) != nil {
			t.Fatalf("edited a document that is not a JSON object: %q", doc)
		}
		if err := json.Unmarshal(out, &after); err != nil {
			t.Fatalf("the edit is not JSON: %v\n%q -> %q", err, doc, out)
		}
		if after["version"] != strings.ToValidUTF8(value, "\uFFFD") {
			t.Fatalf("version = %v, want %q", after["version"], value)
		}
		delete(before, "version")
		delete(after, "version")
		if !reflect.DeepEqual(before, after) {
			t.Fatalf("the edit changed more than the version:\n%q\n%q", doc, out)
		}
	})
}

// FuzzSetPyProjectVersion: an edit that succeeds parses as TOML with the
// new version and nothing else changed (the function checks it; the fuzz
// target looks for a panic or a check that lets a bad edit through).
func FuzzSetPyProjectVersion(f *testing.F) {
	for _, s := range []string{"[project]\nname = \"x\"\nversion = \"1.0.0\"\n", "[tool.poetry]\nversion = '1' # c\n", "[ project ]\nversion=\"1\"\r\n", "a = \"\"\"\n[project]\nversion = \"1\"\n\"\"\"\n[project]\nversion = \"2\"\n", "[project]\ndynamic = [\"version\"]\n"} {
		f.Add([]byte(s), "1.2.3")
	}
	f.Fuzz(func(t *testing.T, doc []byte, version string) {
		out, err := setPyProjectVersion(doc, version)
		if err != nil {
			return
		}
		var after map[string]any
		if err := toml.Unmarshal(out, &after); err != nil {
			t.Fatalf("the edit is not TOML: %v", err)
		}
	})
}
