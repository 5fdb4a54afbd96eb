package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// The OpenAPI 3 document is generated from the route table (paths,
// methods, parameters, access, permissions) and from the Go types the
// handlers read and write (schemas, by reflection): the document is what
// the server does.

func (s *Server) openapi(*http.Request) (any, error) {
	return json.RawMessage(s.Document()), nil
}

// Document is the OpenAPI 3.0 document of the routes, as JSON.
func (s *Server) Document() []byte {
	s.docOnce.Do(func() {
		b, err := json.MarshalIndent(s.document(), "", "  ")
		if err != nil {
			panic(err) // only maps, slices and strings: cannot happen
		}
		s.doc = b
	})
	return s.doc
}

var pathParamRE = regexp.MustCompile(`\{([a-z]+)\}`)

func (s *Server) document() map[string]any {
	g := &schemas{defs: map[string]any{}, types: map[string]reflect.Type{}}
	errRef := g.of(reflect.TypeOf(ErrorBody{}))
	paths := map[string]any{}
	for _, rt := range s.routes {
		op := map[string]any{
			"operationId":      operationID(rt),
			"summary":          rt.summary,
			"x-slipway-access": accessName(rt.access),
		}
		if rt.perm != "" {
			op["x-slipway-permission"] = string(rt.perm)
		}
		if rt.access == public {
			op["security"] = []any{}
		}
		var params []any
		for _, m := range pathParamRE.FindAllStringSubmatch(rt.path, -1) {
			typ := "string"
			if m[1] == "number" {
				typ = "integer"
			}
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": typ}})
		}
		for _, q := range rt.query {
			p := map[string]any{"name": q.name, "in": "query", "schema": map[string]any{"type": q.typ}}
			if q.desc != "" {
				p["description"] = q.desc
			}
			params = append(params, p)
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if body := rt.handle.body(); body != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": g.of(reflect.TypeOf(body))}}}
		}
		status := rt.status
		if status == 0 {
			status = http.StatusOK
		}
		ok := map[string]any{"description": http.StatusText(status)}
		if status != http.StatusSeeOther {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": g.of(reflect.TypeOf(rt.resp))}}
		}
		responses := map[string]any{strconv.Itoa(status): ok}
		if status == http.StatusCreated {
			responses["200"] = map[string]any{"description": "already there (nothing was created)", "content": ok["content"]}
		}
		for _, e := range errorStatuses(rt) {
			responses[strconv.Itoa(e)] = map[string]any{"description": http.StatusText(e), "content": map[string]any{"application/json": map[string]any{"schema": errRef}}}
		}
		op["responses"] = responses
		item, _ := paths[rt.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.path] = item
		}
		item[strings.ToLower(rt.method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "Slipway",
			"version":     "1",
			"description": "Slipway's REST API. Authenticate with an API token (Authorization: Bearer slw_…) or a session cookie (state-changing requests then send X-CSRF-Token). Errors are {\"error\": {\"code\", \"message\"}} with the codes the CLI uses. Lists are paged with cursors: pass the next value of a page as cursor.",
		},
		"servers":  []any{map[string]any{"url": "/"}},
		"security": []any{map[string]any{"bearer": []any{}}, map[string]any{"session": []any{}}},
		"paths":    paths,
		"components": map[string]any{
			"schemas": g.defs,
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer", "description": "an API token (slipway token create)"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": SessionCookie},
			},
		},
	}
}

// errorStatuses lists the error answers a route can give.
func errorStatuses(rt route) []int {
	out := []int{http.StatusBadRequest, http.StatusInternalServerError}
	if rt.access != public || strings.HasPrefix(rt.path, "/hooks/") || strings.HasPrefix(rt.path, "/auth/") {
		out = append(out, http.StatusUnauthorized)
	}
	if rt.access != public || strings.HasPrefix(rt.path, "/hooks/") {
		out = append(out, http.StatusForbidden)
	}
	if strings.Contains(rt.path, "{") || strings.HasPrefix(rt.path, "/auth/oidc") {
		out = append(out, http.StatusNotFound)
	}
	if rt.method != http.MethodGet || strings.HasSuffix(rt.path, "/gates") {
		out = append(out, http.StatusConflict)
	}
	if rt.path == "/auth/login" || rt.path == "/auth/token" {
		out = append(out, http.StatusTooManyRequests)
	}
	if rt.access == changer {
		out = append(out, http.StatusServiceUnavailable)
	}
	sort.Ints(out)
	return out
}

func accessName(a access) string {
	return [...]string{"public", "authenticated", "read", "change"}[a]
}

// operationID is the method and path in camelCase: postPromotionsIdApprove.
func operationID(rt route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(rt.method))
	for _, part := range strings.FieldsFunc(strings.TrimPrefix(rt.path, "/api/v1"), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// schemas turns Go types into OpenAPI schemas; named structs become
// components.
type schemas struct {
	defs  map[string]any
	types map[string]reflect.Type
}

var timeType = reflect.TypeOf(time.Time{})

func (g *schemas) of(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.Pointer:
		inner := g.of(t.Elem())
		if _, ref := inner["$ref"]; ref {
			return map[string]any{"allOf": []any{inner}, "nullable": true}
		}
		out := map[string]any{"nullable": true}
		for k, v := range inner {
			out[k] = v
		}
		return out
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return map[string]any{"type": "string", "format": "byte"}
	case t.Kind() == reflect.Slice:
		return map[string]any{"type": "array", "items": g.of(t.Elem())}
	case t.Kind() == reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.of(t.Elem())}
	case t.Kind() == reflect.Interface:
		return map[string]any{}
	case t.Kind() == reflect.Struct:
		return g.ref(t)
	case t.Kind() == reflect.String:
		return map[string]any{"type": "string"}
	case t.Kind() == reflect.Bool:
		return map[string]any{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		if t.Size() == 8 {
			return map[string]any{"type": "integer", "format": "int64"}
		}
		return map[string]any{"type": "integer"}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return map[string]any{"type": "number"}
	}
	return map[string]any{}
}

// ref registers a struct as a component and refers to it.
func (g *schemas) ref(t reflect.Type) map[string]any {
	name := schemaName(t)
	if prev, ok := g.types[name]; ok && prev != t {
		name = strings.ReplaceAll(t.PkgPath(), "/", "_") + "_" + name
	}
	ref := map[string]any{"$ref": "#/components/schemas/" + name}
	if _, ok := g.types[name]; ok {
		return ref
	}
	g.types[name] = t
	g.defs[name] = map[string]any{} // placeholder: recursive types terminate
	props, required := map[string]any{}, []string{}
	g.fields(t, props, &required)
	def := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		sort.Strings(required)
		def["required"] = required
	}
	g.defs[name] = def
	return ref
}

// fields adds a struct's JSON fields, flattening embedded structs the way
// encoding/json does.
func (g *schemas) fields(t reflect.Type, props map[string]any, required *[]string) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				g.fields(ft, props, required)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.of(f.Type)
		if !strings.Contains(opts, "omitempty") {
			*required = append(*required, name)
		}
	}
}

// schemaName is a type's name; a generic instance Page[…api.Promotion]
// becomes PromotionPage.
func schemaName(t reflect.Type) string {
	n := t.Name()
	base, arg, ok := strings.Cut(n, "[")
	if !ok {
		return n
	}
	arg = strings.TrimSuffix(arg, "]")
	if i := strings.LastIndex(arg, "."); i >= 0 {
		arg = arg[i+1:]
	}
	return arg + base
}
