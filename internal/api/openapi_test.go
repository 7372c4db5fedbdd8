package api

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestOpenAPIValidates loads the served document with kin-openapi and
// validates it (0 errors), then checks what the generator must declare:
// every path parameter, error answers, If-Match on revisioned writes and
// ETag on revisioned records.
func TestOpenAPIValidates(t *testing.T) {
	ta := newTestAPI(t)
	r := ta.do("aud", "GET", "/api/v1/openapi.json", "")
	if r.status != 200 {
		t.Fatalf("openapi.json: %d", r.status)
	}
	doc, err := openapi3.NewLoader().LoadFromData(r.body)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document is invalid: %v", err)
	}
	for _, rt := range ta.srv.routes {
		method, path, _ := strings.Cut(rt.pattern, " ")
		op := doc.Paths.Find(path).GetOperation(method)
		for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
			if op.Parameters.GetByInAndName("path", m[1]) == nil {
				t.Errorf("%s: path parameter %s not declared", rt.pattern, m[1])
			}
		}
		if !rt.public && op.Responses.Status(403) == nil {
			t.Errorf("%s: 403 not declared", rt.pattern)
		}
	}
	patch := doc.Paths.Find("/api/v1/problems/{id}").Patch
	if p := patch.Parameters.GetByInAndName("header", "If-Match"); p == nil {
		t.Error("PATCH /api/v1/problems/{id} does not declare If-Match")
	}
	if patch.Responses.Status(412) == nil {
		t.Error("PATCH /api/v1/problems/{id} does not declare 412")
	}
	get := doc.Paths.Find("/api/v1/problems/{id}").Get
	if get.Responses.Status(200).Value.Headers["ETag"] == nil || get.Responses.Status(404) == nil {
		t.Error("GET /api/v1/problems/{id} does not declare its ETag or 404")
	}
	var raw map[string]any
	json.Unmarshal(r.body, &raw)
	if strings.Contains(string(r.body), "sha256") && !strings.Contains(string(r.body), `"name":"sha256"`) {
		t.Error("a {sha256} path parameter is not declared")
	}
}
