package config

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/slipway/slipway/gitops"
	"github.com/slipway/slipway/versioning/deprecation"
)

// TestSchemaCoversEveryField fails when a field is added to the Go types but
// not to the published schema (or the other way round), so they cannot drift.
func TestSchemaCoversEveryField(t *testing.T) {
	var schema map[string]any
	if err := json.Unmarshal(Schema, &schema); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	check(t, "", reflect.TypeOf(Config{}), schema)
}

func check(t *testing.T, path string, typ reflect.Type, node map[string]any) {
	props, _ := node["properties"].(map[string]any)
	if props == nil {
		t.Fatalf("%s: schema has no properties", path)
	}
	seen := map[string]bool{}
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		seen[tag] = true
		sub, ok := props[tag].(map[string]any)
		if !ok {
			t.Errorf("%s.%s is in the Go type but not in slipway.schema.json", path, tag)
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Slice {
			ft = ft.Elem()
			if items, ok := sub["items"].(map[string]any); ok {
				sub = items
			}
		}
		if ft.Kind() == reflect.Struct && ft.NumField() > 1 && sub["properties"] != nil {
			check(t, path+"."+tag, ft, sub)
		}
	}
	for name := range props {
		if !seen[name] {
			t.Errorf("%s.%s is in slipway.schema.json but not in the Go type", path, name)
		}
	}
}

// TestSchemaPinKinds keeps the schema's pin definition in step with the
// pin kinds registered in gitops: the same kinds, the same keys per kind,
// the same words for write:.
func TestSchemaPinKinds(t *testing.T) {
	var schema struct {
		Defs map[string]json.RawMessage `json:"$defs"`
	}
	if err := json.Unmarshal(Schema, &schema); err != nil {
		t.Fatal(err)
	}
	var pin struct {
		Properties map[string]struct {
			Enum []string `json:"enum"`
		} `json:"properties"`
		AllOf []struct {
			If struct {
				Properties struct {
					Kind struct {
						Const string `json:"const"`
					} `json:"kind"`
				} `json:"properties"`
			} `json:"if"`
			Then struct {
				PropertyNames struct {
					Enum []string `json:"enum"`
				} `json:"propertyNames"`
				Properties struct {
					Write json.RawMessage `json:"write"`
				} `json:"properties"`
			} `json:"then"`
		} `json:"allOf"`
	}
	if err := json.Unmarshal(schema.Defs["pin"], &pin); err != nil {
		t.Fatal(err)
	}
	if got := pin.Properties["kind"].Enum; !sameSet(got, gitops.Kinds()) {
		t.Errorf("schema kinds %v, gitops kinds %v", got, gitops.Kinds())
	}
	var allKeys, allWrites []string
	for _, k := range gitops.Kinds() {
		allKeys = append(allKeys, gitops.KindKeys(k)...)
		allWrites = append(allWrites, gitops.WriteChoices(k)...)
	}
	var props []string
	for k := range pin.Properties {
		props = append(props, k)
	}
	if !sameSet(props, allKeys) {
		t.Errorf("schema pin keys %v, gitops keys %v", props, allKeys)
	}
	seen := map[string]bool{}
	for _, c := range pin.AllOf {
		kind := c.If.Properties.Kind.Const
		if kind == "" {
			kind = "yaml" // the branch for a pin without kind:
		}
		seen[kind] = true
		if got := c.Then.PropertyNames.Enum; !sameSet(got, gitops.KindKeys(kind)) {
			t.Errorf("kind %s: schema keys %v, gitops %v", kind, got, gitops.KindKeys(kind))
		}
		if got := enumWords(t, c.Then.Properties.Write); !sameSet(got, gitops.WriteChoices(kind)) {
			t.Errorf("kind %s: schema write %v, gitops %v", kind, got, gitops.WriteChoices(kind))
		}
	}
	if len(seen) != len(gitops.Kinds()) {
		t.Errorf("schema has conditions for kinds %v, gitops registers %v", seen, gitops.Kinds())
	}
	var words struct {
		Enum []string `json:"enum"`
	}
	if err := json.Unmarshal(schema.Defs["pinWrite"], &words); err != nil || !sameSet(words.Enum, allWrites) {
		t.Errorf("schema pinWrite %v (%v), gitops writes %v", words.Enum, err, allWrites)
	}
}

// enumWords reads the words of a write: schema: an enum, or oneOf an enum
// and an array of it.
func enumWords(t *testing.T, raw json.RawMessage) []string {
	var w struct {
		Enum  []string `json:"enum"`
		OneOf []struct {
			Enum []string `json:"enum"`
		} `json:"oneOf"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		t.Fatal(err)
	}
	if len(w.OneOf) > 0 {
		return w.OneOf[0].Enum
	}
	return w.Enum
}

// sameSet compares as sets, ignoring order and repeats.
func sameSet(a, b []string) bool {
	set := func(s []string) map[string]bool {
		m := map[string]bool{}
		for _, x := range s {
			m[x] = true
		}
		return m
	}
	return reflect.DeepEqual(set(a), set(b))
}

// TestSchemaHotfixAndPolicy keeps the schema's app defaults equal to the
// ones Parse applies, and its deprecationWindow pattern in step with the
// parser slipway uses.
func TestSchemaHotfixAndPolicy(t *testing.T) {
	var schema struct {
		Properties struct {
			App struct {
				Properties map[string]struct {
					Default string `json:"default"`
				} `json:"properties"`
			} `json:"app"`
			Policy struct {
				Properties map[string]struct {
					Pattern string `json:"pattern"`
				} `json:"properties"`
			} `json:"policy"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(Schema, &schema); err != nil {
		t.Fatal(err)
	}
	c, err := Parse("/x/slipway.yaml", []byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	app := schema.Properties.App.Properties
	if app["remote"].Default != c.App.Remote || app["branch"].Default != c.App.Branch || app["hotfixBranch"].Default != c.App.HotfixBranch {
		t.Errorf("schema defaults %+v, Parse's %+v", app, c.App)
	}
	re := regexp.MustCompile(schema.Properties.Policy.Properties["deprecationWindow"].Pattern)
	for _, w := range []string{"90d", "90 days", "1 Day", "2 minors", "1 minor", "2minors", "90h", "soon", "d", "2 majors", "-1d"} {
		_, err := deprecation.ParseWindow(w)
		if re.MatchString(w) != (err == nil) {
			t.Errorf("%q: schema says %v, slipway says %v", w, re.MatchString(w), err)
		}
	}
}
