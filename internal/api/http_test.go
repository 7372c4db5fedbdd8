package api

import (
	"strings"
	"testing"
)

// TestMethodNotAllowed: a method a route does not have is 405 with Allow
// listing those it has; an unknown path stays 404.
func TestMethodNotAllowed(t *testing.T) {
	ta := newTestAPI(t)
	r := ta.do("admin", "DELETE", "/api/v1/problems", "")
	if r.status != 405 || r.header.Get("Allow") != "GET, HEAD, POST" || !strings.Contains(string(r.body), "method_not_allowed") {
		t.Fatalf("DELETE /api/v1/problems: %d Allow=%q %s", r.status, r.header.Get("Allow"), r.body)
	}
	r = ta.do("admin", "PUT", "/api/v1/problems/PRB-1", "{}")
	if r.status != 405 || !strings.Contains(r.header.Get("Allow"), "PATCH") {
		t.Fatalf("PUT /api/v1/problems/PRB-1: %d Allow=%q", r.status, r.header.Get("Allow"))
	}
	if r := ta.do("admin", "GET", "/api/v1/nothing-here", ""); r.status != 404 || r.header.Get("Allow") != "" {
		t.Fatalf("unknown path: %d Allow=%q", r.status, r.header.Get("Allow"))
	}
}

// TestUnknownQueryParameter: a misspelt filter is refused naming it rather
// than ignored (which would list everything).
func TestUnknownQueryParameter(t *testing.T) {
	ta := newTestAPI(t)
	r := ta.do("admin", "GET", "/api/v1/problems?stauts=new", "")
	if r.status != 400 || r.json(t)["field"] != "stauts" {
		t.Fatalf("misspelt filter: %d %s", r.status, r.body)
	}
	r = ta.do("admin", "GET", "/api/v1/me?x=1", "")
	if r.status != 400 || r.json(t)["field"] != "x" || !strings.Contains(string(r.body), "takes none") {
		t.Fatalf("query on a route without parameters: %d %s", r.status, r.body)
	}
	if r := ta.do("admin", "GET", "/api/v1/problems?status=new&limit=5", ""); r.status != 200 {
		t.Fatalf("declared parameters: %d %s", r.status, r.body)
	}
}
