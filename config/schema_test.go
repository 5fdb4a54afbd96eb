package config

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
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
