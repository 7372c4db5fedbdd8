package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// testAPI is a running server over a fresh store. Every response it sees is
// checked against the OpenAPI document (schema of the route's success
// status, or the problem schema for errors).
type testAPI struct {
	t      *testing.T
	srv    *Server
	http   *httptest.Server
	store  *store.Store
	clock  *storetest.Clock
	tokens map[string]string // user → token
	match  *http.ServeMux
}

// newTestAPI starts a server with the users admin (admin), pm and pm2
// (problem_manager), eng (engineer), eng2 (engineer), cab (cab_member),
// aud (auditor), bot (pipeline), rm (release_manager), val (validator)
// and dual (engineer + cab_member), plus CI checkout-api and env prod-eu.
func newTestAPI(t *testing.T) *testAPI {
	t.Helper()
	s, clock := storetest.Open(t)
	ctx := context.Background()
	if _, _, err := s.Bootstrap(ctx, "fgt_admin"); err != nil {
		t.Fatal(err)
	}
	ta := &testAPI{t: t, store: s, clock: clock, tokens: map[string]string{"admin": "fgt_admin"}}
	users := map[string][]auth.Role{"pm": {auth.ProblemManager}, "pm2": {auth.ProblemManager}, "eng": {auth.Engineer}, "eng2": {auth.Engineer},
		"cab": {auth.CABMember}, "aud": {auth.Auditor}, "bot": {auth.Pipeline}, "rm": {auth.ReleaseManager},
		"val": {auth.Validator}, "dual": {auth.Engineer, auth.CABMember}}
	for name, roles := range users {
		_, tok, err := s.CreateUser(ctx, audit.System("test"), auth.User{Name: name, Roles: roles})
		if err != nil {
			t.Fatal(err)
		}
		ta.tokens[name] = tok
	}
	ta.srv = New(Config{Store: s, DataDir: t.TempDir()})
	ta.http = httptest.NewServer(ta.srv.Handler())
	t.Cleanup(ta.http.Close)
	ta.match = http.NewServeMux()
	for _, rt := range ta.srv.routes {
		ta.match.Handle(rt.pattern, http.NotFoundHandler())
	}
	ta.must("admin", "POST", "/api/v1/cis", `{"name":"checkout-api","kind":"service","criticality":"high"}`, 201)
	ta.must("admin", "POST", "/api/v1/environments", `{"name":"prod-eu","tier":"production","tags":["regulated"]}`, 201)
	return ta
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

// do sends a request as user ("" for none) with an optional JSON body and headers ("K: V").
func (ta *testAPI) do(user, method, path, body string, headers ...string) resp {
	ta.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, ta.http.URL+path, rd)
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+ta.tokens[user])
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		ta.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, header: res.Header, body: data}
	ta.conform(req, r)
	return r
}

// must is do that fails the test unless the status is want; it returns the JSON object.
func (ta *testAPI) must(user, method, path, body string, want int, headers ...string) map[string]any {
	ta.t.Helper()
	r := ta.do(user, method, path, body, headers...)
	if r.status != want {
		ta.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, want, r.body)
	}
	return r.json(ta.t)
}

// problem asserts an error response: status, problem+json, and the field at fault.
func (ta *testAPI) problem(r resp, status int, field string) map[string]any {
	ta.t.Helper()
	if r.status != status {
		ta.t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		ta.t.Fatalf("content type %q, want application/problem+json", ct)
	}
	m := r.json(ta.t)
	if field != "" && m["field"] != field {
		ta.t.Fatalf("field %v, want %q: %s", m["field"], field, r.body)
	}
	return m
}

// auditCount returns the number of events in the chain (it must verify).
func (ta *testAPI) auditCount() int64 {
	ta.t.Helper()
	n, b, err := ta.store.VerifyAudit(context.Background())
	if err != nil || b != nil {
		ta.t.Fatalf("audit chain: %v %v", b, err)
	}
	return n
}

// conform checks a response against the OpenAPI document.
func (ta *testAPI) conform(req *http.Request, r resp) {
	ta.t.Helper()
	_, pattern := ta.match.Handler(req)
	if pattern == "" || r.header.Get("Content-Type") == "" || !strings.Contains(r.header.Get("Content-Type"), "json") {
		return
	}
	method, path, _ := strings.Cut(pattern, " ")
	doc := ta.srv.OpenAPI()
	op, _ := doc["paths"].(map[string]any)[path].(map[string]any)[strings.ToLower(method)].(map[string]any)
	if op == nil {
		ta.t.Fatalf("%s is served but not in the OpenAPI document", pattern)
	}
	responses := op["responses"].(map[string]any)
	spec, ok := responses[strconv.Itoa(r.status)].(map[string]any)
	ctype := "application/json"
	if ok && spec["$ref"] != nil { // a declared error status: the shared problem response
		ok = false
	}
	if !ok {
		if r.status < 400 {
			ta.t.Fatalf("%s answered %d, which the OpenAPI document does not list", pattern, r.status)
		}
		spec, ctype = doc["components"].(map[string]any)["responses"].(map[string]any)["Problem"].(map[string]any), "application/problem+json"
	}
	schema := spec["content"].(map[string]any)[ctype].(map[string]any)["schema"].(map[string]any)
	var v any
	if err := json.Unmarshal(r.body, &v); err != nil {
		ta.t.Fatalf("%s: body is not JSON: %v", pattern, err)
	}
	if err := validate(doc, schema, v, "$"); err != nil {
		ta.t.Fatalf("%s %d: response does not match the OpenAPI document: %v\n%s", pattern, r.status, err, r.body)
	}
}

// validate checks v against an OpenAPI schema subset: $ref, allOf, type,
// nullable, properties, required, additionalProperties, items, date-time.
func validate(doc, schema map[string]any, v any, at string) error {
	if ref, ok := schema["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		return validate(doc, doc["components"].(map[string]any)["schemas"].(map[string]any)[name].(map[string]any), v, at)
	}
	if v == nil {
		if schema["nullable"] == true || len(schema) == 0 {
			return nil
		}
		if all, ok := schema["allOf"].([]any); ok && schema["nullable"] == true && len(all) > 0 {
			return nil
		}
		return fmt.Errorf("%s: null where %v expected", at, schema["type"])
	}
	if all, ok := schema["allOf"].([]any); ok {
		for _, s := range all {
			if err := validate(doc, s.(map[string]any), v, at); err != nil {
				return err
			}
		}
		return nil
	}
	switch schema["type"] {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: want object, got %T", at, v)
		}
		props, _ := schema["properties"].(map[string]any)
		for _, req := range asStrings(schema["required"]) {
			if _, ok := m[req]; !ok {
				return fmt.Errorf("%s: required property %q missing", at, req)
			}
		}
		for k, val := range m {
			ps, ok := props[k].(map[string]any)
			if !ok {
				if ap, ok := schema["additionalProperties"].(map[string]any); ok {
					if err := validate(doc, ap, val, at+"."+k); err != nil {
						return err
					}
					continue
				}
				if schema["additionalProperties"] == false {
					return fmt.Errorf("%s: property %q not in the schema", at, k)
				}
				continue
			}
			if err := validate(doc, ps, val, at+"."+k); err != nil {
				return err
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: want array, got %T", at, v)
		}
		for i, e := range a {
			if err := validate(doc, schema["items"].(map[string]any), e, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	case "string":
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s: want string, got %T", at, v)
		}
		if schema["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
				return fmt.Errorf("%s: %q is not date-time", at, s)
			}
		}
	case "integer":
		f, ok := v.(float64)
		if !ok || f != float64(int64(f)) {
			return fmt.Errorf("%s: want integer, got %v", at, v)
		}
	case "number":
		if _, ok := v.(float64); !ok {
			return fmt.Errorf("%s: want number, got %T", at, v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("%s: want boolean, got %T", at, v)
		}
	}
	return nil
}

func asStrings(v any) []string {
	switch x := v.(type) {
	case []string:
		return x
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			out[i], _ = e.(string)
		}
		return out
	}
	return nil
}

var _ = bytes.NewReader
