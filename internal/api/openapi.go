package api

import (
	"net/http"
	"path"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"fixgate/internal/policy"
)

// The OpenAPI 3 document is generated from the route table and the Go types
// the handlers decode and encode, so it cannot drift from the server.

var (
	openapiOnce sync.Once
	openapiDocV map[string]any
)

func (s *Server) openapiDoc(w http.ResponseWriter, r *http.Request, c *call) error {
	return writeJSON(w, http.StatusOK, s.OpenAPI())
}

// OpenAPI returns the document describing every route.
func (s *Server) OpenAPI() map[string]any {
	openapiOnce.Do(func() { openapiDocV = buildOpenAPI(s.routes) })
	return openapiDocV
}

var pathParam = regexp.MustCompile(`\{([a-z_][a-z0-9_]*)\}`)

func buildOpenAPI(routes []route) map[string]any {
	g := &schemaGen{defs: map[string]any{}}
	paths := map[string]any{}
	problemRef := g.ref(reflect.TypeOf(Problem{}))
	for _, rt := range routes {
		method, path, _ := strings.Cut(rt.pattern, " ")
		ctype := rt.ctype
		if ctype == "" {
			ctype = "application/json"
		}
		ok := map[string]any{"description": http.StatusText(rt.status),
			"content": map[string]any{ctype: map[string]any{"schema": g.ref(reflect.TypeOf(rt.out))}}}
		if hasRevision(rt.out) {
			ok["headers"] = map[string]any{"ETag": map[string]any{"description": `the record's revision, e.g. "3": send it back as If-Match`,
				"schema": map[string]any{"type": "string"}}}
		}
		responses := map[string]any{strconv.Itoa(rt.status): ok, "default": map[string]any{"$ref": "#/components/responses/Problem"}}
		for _, code := range errorStatuses(rt) {
			responses[strconv.Itoa(code)] = map[string]any{"$ref": "#/components/responses/Problem"}
		}
		op := map[string]any{"summary": rt.summary, "operationId": opID(method, path), "x-roles": rt.roles, "responses": responses}
		if rt.public {
			op["security"] = []any{}
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.query {
			params = append(params, map[string]any{"name": q, "in": "query", "schema": map[string]any{"type": "string"}})
		}
		if hasRevision(rt.in) {
			params = append(params, map[string]any{"name": "If-Match", "in": "header",
				"description": `the revision read, as an ETag ("3"); or "revision" in the body`, "schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.in != nil {
			g.input = true
			op["requestBody"] = map[string]any{"required": true,
				"content": map[string]any{"application/json": map[string]any{"schema": g.ref(reflect.TypeOf(rt.in))}}}
			g.input = false
		}
		item, _ := paths[path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[path] = item
		}
		item[strings.ToLower(method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]any{"title": "fixgate API", "version": "1"},
		"paths":   paths,
		"components": map[string]any{
			"schemas": g.defs,
			"responses": map[string]any{"Problem": map[string]any{"description": "Error (RFC 9457 problem detail)",
				"content": map[string]any{"application/problem+json": map[string]any{"schema": problemRef}}}},
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
		},
		"security": []any{map[string]any{"bearer": []any{}}},
	}
}

// errorStatuses lists the 4xx and 5xx answers a route can give (see the
// code-to-status table in errors.go): every route may answer 500 and 503;
// authenticated ones 400 (an unknown query parameter), 401 and 403; a route
// with a path parameter 404; one with a body 413; one that takes a revision
// 412; one that creates, changes or moves records 409.
func errorStatuses(rt route) []int {
	codes := []int{500, 503}
	method, path, _ := strings.Cut(rt.pattern, " ")
	if !rt.public {
		codes = append(codes, 400, 401, 403)
	} else if rt.ctype == metricsExposition {
		codes = append(codes, 401)
	}
	if strings.Contains(path, "{") {
		codes = append(codes, 404)
	}
	if rt.in != nil {
		codes = append(codes, 413)
	}
	if hasRevision(rt.in) {
		codes = append(codes, 412)
	}
	if method == "POST" || method == "PATCH" || method == "PUT" || method == "DELETE" {
		codes = append(codes, 409)
	}
	return codes
}

// hasRevision reports whether v's type (a struct or a pointer to one) has a
// JSON field "revision": a record answered with its ETag, or a body that
// may carry the revision instead of If-Match.
func hasRevision(v any) bool {
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return false
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "revision" || (f.Anonymous && name == "" && hasRevision(reflect.New(f.Type).Elem().Interface())) {
			return true
		}
	}
	return false
}

func opID(method, path string) string {
	p := strings.NewReplacer("/api/v1/", "", "/", "_", "{", "", "}", "", ".", "_").Replace(path)
	return strings.ToLower(method) + "_" + strings.Trim(p, "_")
}

// schemaGen turns Go types into OpenAPI schemas under components/schemas.
type schemaGen struct {
	defs  map[string]any
	input bool // generating request bodies: no field is required
}

var timeType = reflect.TypeOf(time.Time{})

// durationType is written as the policy writes it ("30s", "5m", "1h"), not
// as its underlying integer.
var durationType = reflect.TypeOf(policy.Duration(0))
var nameClean = regexp.MustCompile(`[^A-Za-z0-9_]+`)

func (g *schemaGen) ref(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == timeType {
		return g.schema(t)
	}
	name := nameClean.ReplaceAllString(path.Base(t.PkgPath())+"."+t.Name(), "_")
	if _, ok := g.defs[name]; !ok {
		g.defs[name] = map[string]any{} // placeholder against recursion
		g.defs[name] = g.object(t)
	}
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == durationType:
		return map[string]any{"type": "string", "description": "a duration: 30s, 5m, 1h30m, 500ms"}
	case t.Kind() == reflect.Pointer:
		s := g.ref(t.Elem())
		if _, isRef := s["$ref"]; isRef {
			return map[string]any{"allOf": []any{s}, "nullable": true}
		}
		s["nullable"] = true
		return s
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float64, reflect.Float32:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.ref(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.ref(t.Elem())}
	case reflect.Struct:
		return g.ref(t)
	}
	return map[string]any{}
}

func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	g.fields(t, props, &required)
	out := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}

func (g *schemaGen) fields(t reflect.Type, props map[string]any, required *[]string) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			g.fields(f.Type, props, required)
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.schema(f.Type)
		if !g.input && !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer {
			*required = append(*required, name)
		}
	}
}
