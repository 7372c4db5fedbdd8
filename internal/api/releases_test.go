package api

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rawUpload posts body to the artifact endpoint without the OpenAPI
// conformance check (a re-upload answers 200, which the route table's one
// success status cannot express).
func (ta *testAPI) rawUpload(user, query, body string) (int, []byte) {
	ta.t.Helper()
	req, _ := http.NewRequest("POST", ta.http.URL+"/api/v1/artifacts?"+query, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+ta.tokens[user])
	req.Header.Set("Content-Type", "application/octet-stream")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		ta.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, data
}

func artifactFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.Walk(filepath.Join(dir, "artifacts"), func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func TestAPIComponentVersions(t *testing.T) {
	ta := newTestAPI(t)
	ta.must("admin", "POST", "/api/v1/cis", `{"name":"payments"}`, 201)
	r := ta.do("eng", "POST", "/api/v1/components", `{"ci":"ghost","version":"1.0.0"}`)
	ta.problem(r, 400, "ci")
	r = ta.do("aud", "POST", "/api/v1/components", `{"ci":"checkout-api","version":"1.0.0"}`)
	ta.problem(r, 403, "")
	v := ta.must("bot", "POST", "/api/v1/components",
		`{"ci":"checkout-api","version":"1.4.3","dependencies":[{"ci":"payments","constraint":"^2.1"}]}`, 201)
	if v["id"] != "CV-1" || v["status"] != "candidate" || v["created_by"] != "bot" {
		t.Fatalf("created %v", v)
	}
	got := ta.must("aud", "GET", "/api/v1/components/checkout-api%401.4.3", "", 200)
	if got["id"] != "CV-1" {
		t.Fatalf("get by escaped ref: %v", got)
	}
	ta.must("aud", "GET", "/api/v1/components/checkout-api@1.4.3", "", 200)
	// Engineers create but do not approve.
	r = ta.do("eng", "POST", "/api/v1/components/CV-1/transitions", `{"to":"approved"}`)
	ta.problem(r, 403, "")
	ta.problem(ta.do("rm", "POST", "/api/v1/components/CV-1/transitions", `{"to":"approved","revision":7}`), 412, "")
	m := ta.must("rm", "POST", "/api/v1/components/CV-1/transitions", `{"to":"approved","revision":1}`, 200)
	if m["status"] != "approved" || m["revision"] != float64(2) {
		t.Fatalf("moved %v", m)
	}
	ta.problem(ta.do("rm", "POST", "/api/v1/components/CV-1/transitions", `{"to":"candidate"}`), 409, "")
	l := ta.must("eng", "GET", "/api/v1/components?ci=checkout-api&status=approved", "", 200)
	if items := l["items"].([]any); len(items) != 1 {
		t.Fatalf("list %v", l)
	}
	ta.problem(ta.do("eng", "GET", "/api/v1/components?status=bogus", ""), 400, "status")
}

func TestAPIArtifactRoundTrip(t *testing.T) {
	ta := newTestAPI(t)
	content := "# RCA\nThe pool was too small.\n"
	sum := sha256.Sum256([]byte(content))
	want := hex.EncodeToString(sum[:])
	n0 := ta.auditCount()
	// Refused uploads leave no file and no row.
	ta.problem(ta.do("eng", "POST", "/api/v1/artifacts?name=rca.md&retention_class=forever", content, "Content-Type: text/markdown"), 400, "retention_class")
	ta.problem(ta.do("eng", "POST", "/api/v1/artifacts?name=rca.md&kind=weird", content, "Content-Type: text/markdown"), 400, "kind")
	ta.problem(ta.do("eng", "POST", "/api/v1/artifacts?kind=rca", content, "Content-Type: text/markdown"), 400, "name")
	ta.problem(ta.do("aud", "POST", "/api/v1/artifacts?name=rca.md", content, "Content-Type: text/markdown"), 403, "")
	if files := artifactFiles(t, ta.srv.dataDir); len(files) != 0 || ta.auditCount() != n0+1 { // +1: the denied auditor
		t.Fatalf("refused uploads left %v, %d events", files, ta.auditCount()-n0)
	}
	a := ta.must("eng", "POST", "/api/v1/artifacts?name=rca.md&kind=rca&retention_class=regulated", content, 201, "Content-Type: text/markdown")
	if a["sha256"] != want || a["size"] != float64(len(content)) || a["retention_class"] != "regulated" || a["media_type"] != "text/markdown" {
		t.Fatalf("uploaded %v", a)
	}
	if files := artifactFiles(t, ta.srv.dataDir); len(files) != 1 || files[0] != filepath.Join(ta.srv.dataDir, "artifacts", want[:2], want) {
		t.Fatalf("files on disk: %v", files)
	}
	status, body := ta.rawUpload("bot", "name=copy.md", content)
	if status != 200 || !strings.Contains(string(body), `"name":"rca.md"`) {
		t.Fatalf("re-upload: %d %s", status, body)
	}
	r := ta.do("aud", "GET", "/api/v1/artifacts/"+want, "")
	if r.status != 200 || string(r.body) != content {
		t.Fatalf("download: %d %q", r.status, r.body)
	}
	got := sha256.Sum256(r.body)
	if hex.EncodeToString(got[:]) != want || r.header.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment") || r.header.Get("Content-Type") != "text/markdown" {
		t.Fatalf("download headers %v", r.header)
	}
	meta := ta.must("aud", "GET", "/api/v1/artifacts/"+want+"/meta", "", 200)
	if meta["name"] != "rca.md" || meta["created_by"] != "eng" {
		t.Fatalf("meta %v", meta)
	}
	ta.problem(ta.do("aud", "GET", "/api/v1/artifacts/"+strings.Repeat("0", 64), ""), 404, "")
	ta.problem(ta.do("aud", "GET", "/api/v1/artifacts/nothex/meta", ""), 400, "sha256")

	// The RCA document path of problems: upload then reference it.
	p := ta.must("pm", "POST", "/api/v1/problems", `{"title":"Checkout 500s","priority":2,"cis":["checkout-api"]}`, 201)
	doc := ta.must("pm", "POST", "/api/v1/artifacts?name=rca-v2.pdf&kind=rca", "%PDF-1.4 fake", 201, "Content-Type: application/octet-stream")
	if doc["media_type"] != "application/pdf" {
		t.Fatalf("media type from the extension: %v", doc)
	}
	got2 := ta.must("pm", "PUT", "/api/v1/problems/"+p["id"].(string)+"/rca",
		`{"category":"capacity","summary":"pool too small","doc_sha256":"`+doc["sha256"].(string)+`"}`, 200)
	if got2["rca"].(map[string]any)["doc_sha256"] != doc["sha256"] {
		t.Fatalf("rca doc %v", got2)
	}
}

func TestAPIArtifactTooLargeLeavesNothing(t *testing.T) {
	ta := newTestAPI(t)
	n0 := ta.auditCount()
	status, _ := ta.rawUpload("eng", "name=big.bin", strings.Repeat("x", 64<<20+1))
	if status != 413 {
		t.Fatalf("status %d, want 413", status)
	}
	if files := artifactFiles(t, ta.srv.dataDir); len(files) != 0 || ta.auditCount() != n0 {
		t.Fatalf("failed upload left %v", files)
	}
}

func TestAPIReleases(t *testing.T) {
	ta := newTestAPI(t)
	ta.must("pm", "POST", "/api/v1/problems", `{"title":"Checkout 500s","priority":2,"cis":["checkout-api"]}`, 201)
	ta.must("pm", "PUT", "/api/v1/problems/PRB-1/rca", `{"category":"capacity","summary":"pool too small"}`, 200)
	ta.must("eng", "POST", "/api/v1/components", `{"ci":"checkout-api","version":"1.4.3"}`, 201)
	n0 := ta.auditCount()
	ta.problem(ta.do("eng", "POST", "/api/v1/releases", `{"version":"1.4.3","type":"problem-fix","resolves":["PRB-9"]}`), 400, "resolves")
	ta.problem(ta.do("eng", "POST", "/api/v1/releases", `{"version":"1.4.3","type":"problem-fix","resolves":["PRB-1"],"components":["checkout-api@2.0.0"]}`), 400, "components")
	if ta.auditCount() != n0 {
		t.Fatal("refused creates were audited")
	}
	rel := ta.must("eng", "POST", "/api/v1/releases",
		`{"version":"1.4.3","type":"problem-fix","resolves":["PRB-1"],"components":["checkout-api@1.4.3"],"title":"Fix checkout"}`, 201)
	if rel["id"] != "REL-1" || rel["status"] != "planned" {
		t.Fatalf("created %v", rel)
	}
	ta.must("eng", "POST", "/api/v1/releases", `{"version":"1.5.0","type":"feature"}`, 201)
	l := ta.must("aud", "GET", "/api/v1/releases?problem=PRB-1", "", 200)
	if items := l["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != "REL-1" {
		t.Fatalf("by problem %v", l)
	}
	l = ta.must("aud", "GET", "/api/v1/releases?limit=1", "", 200)
	if l["next_cursor"] == nil {
		t.Fatalf("want a cursor: %v", l)
	}
	l = ta.must("aud", "GET", "/api/v1/releases?limit=1&cursor="+l["next_cursor"].(string), "", 200)
	if items := l["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != "REL-2" {
		t.Fatalf("page 2 %v", l)
	}
	ta.problem(ta.do("aud", "GET", "/api/v1/releases?type=weird", ""), 400, "type")

	// PATCH needs the revision; works only while planned.
	ta.problem(ta.do("eng", "PATCH", "/api/v1/releases/REL-1", `{"title":"x"}`), 412, "If-Match")
	ta.must("eng", "PATCH", "/api/v1/releases/REL-1", `{"title":"Fix checkout 500s","notes":"Raises the pool size."}`, 200, `If-Match: "1"`)

	// Pipelines report deployment states only; engineers do not move releases.
	n1 := ta.auditCount()
	ta.problem(ta.do("bot", "POST", "/api/v1/releases/REL-1/transitions", `{"to":"approved"}`), 403, "")
	if ta.auditCount() != n1+1 || ta.must("aud", "GET", "/api/v1/releases/REL-1", "", 200)["status"] != "planned" {
		t.Fatal("a refused pipeline move must be audited as denied and change nothing")
	}
	ta.problem(ta.do("eng", "POST", "/api/v1/releases/REL-1/transitions", `{"to":"approved"}`), 403, "")
	ta.must("eng2", "POST", "/api/v1/approvals", `{"record":"REL-1","decision":"approve","comment":"peer review"}`, 201)
	ta.must("rm", "POST", "/api/v1/releases/REL-1/transitions", `{"to":"approved","revision":2}`, 200)
	r := ta.problem(ta.do("eng", "PATCH", "/api/v1/releases/REL-1", `{"title":"late"}`, `If-Match: "3"`), 409, "")
	if !strings.Contains(r["detail"].(string), "only a planned release") {
		t.Fatalf("409 must say why: %v", r)
	}
	ta.must("bot", "POST", "/api/v1/releases/REL-1/transitions", `{"to":"deploying"}`, 200)
	ta.problem(ta.do("bot", "POST", "/api/v1/releases/REL-1/transitions", `{"to":"verified"}`), 403, "")

	// Attach an uploaded SBOM; unknown sha names the field.
	sbom := ta.must("bot", "POST", "/api/v1/artifacts?name=sbom.json&kind=sbom", `{"bomFormat":"CycloneDX"}`, 201, "Content-Type: text/plain")
	ta.problem(ta.do("bot", "POST", "/api/v1/releases/REL-1/artifacts", `{"sha256":"`+strings.Repeat("a", 64)+`","kind":"sbom"}`), 400, "sha256")
	att := ta.must("bot", "POST", "/api/v1/releases/REL-1/artifacts", `{"sha256":"`+sbom["sha256"].(string)+`","kind":"sbom"}`, 200)
	// The move to approved stored the notes as an artifact; the sbom joins it.
	arts := att["artifacts"].([]any)
	if len(arts) != 2 {
		t.Fatalf("attached %v", att)
	}
	var notesSHA string
	for _, a := range arts {
		if m := a.(map[string]any); m["name"] == "REL-1-1.4.3-notes.md" && m["kind"] == "other" {
			notesSHA = m["sha256"].(string)
		}
	}
	stored := ta.do("aud", "GET", "/api/v1/artifacts/"+notesSHA, "")
	if stored.status != 200 || !strings.Contains(string(stored.body), "# REL-1 — 1.4.3") || !strings.Contains(string(stored.body), "- Status: approved") {
		t.Fatalf("approval notes artifact %q: %d\n%s", notesSHA, stored.status, stored.body)
	}

	// Notes highlight the resolved problem and the affected CIs.
	notes := ta.must("aud", "GET", "/api/v1/releases/REL-1/notes", "", 200)
	if hl := notes["highlights"].([]any); len(hl) < 2 || !strings.Contains(hl[0].(string), "PRB-1") || !strings.Contains(hl[1].(string), "checkout-api") {
		t.Fatalf("notes %v", notes)
	}
	res := notes["resolves"].([]any)[0].(map[string]any)
	if res["title"] != "Checkout 500s" || res["priority"] != float64(2) || res["rca_category"] != "capacity" {
		t.Fatalf("resolved problem in notes %v", res)
	}
	md := ta.do("aud", "GET", "/api/v1/releases/REL-1/notes?format=markdown", "")
	body := string(md.body)
	if md.status != 200 || !strings.HasPrefix(md.header.Get("Content-Type"), "text/markdown") ||
		!strings.Contains(body, "**PRB-1**") || !strings.Contains(body, "checkout-api@1.4.3") || !strings.Contains(body, sbom["sha256"].(string)) {
		t.Fatalf("markdown notes %d:\n%s", md.status, body)
	}
	ta.problem(ta.do("aud", "GET", "/api/v1/releases/REL-1/notes?format=pdf", ""), 400, "format")
	html := ta.do("aud", "GET", "/api/v1/releases/REL-1/notes?format=html", "")
	if html.status != 200 || !strings.HasPrefix(html.header.Get("Content-Type"), "text/html") || !strings.Contains(string(html.body), "<th scope=\"row\">PRB-1</th>") {
		t.Fatalf("html notes %d:\n%s", html.status, html.body)
	}
}

func TestAPIChanges(t *testing.T) {
	ta := newTestAPI(t)
	ta.must("eng", "POST", "/api/v1/releases", `{"version":"2.0.0","type":"feature"}`, 201)
	ta.problem(ta.do("eng", "POST", "/api/v1/changes", `{"title":"Deploy","type":"normal","release":"REL-5"}`), 400, "release")
	ta.problem(ta.do("eng", "POST", "/api/v1/changes", `{"title":"Deploy","type":"normal","planned_start":"2026-03-03T22:00:00"}`), 400, "planned_start")
	ta.problem(ta.do("aud", "POST", "/api/v1/changes", `{"title":"Deploy","type":"normal"}`), 403, "")
	c := ta.must("eng", "POST", "/api/v1/changes", `{"title":"Deploy 2.0.0","type":"emergency","release":"REL-1","env":"prod-eu"}`, 201)
	if c["id"] != "CHG-1" || c["status"] != "draft" || c["requested_by"] != "eng" || c["planned_start"] != nil {
		t.Fatalf("created %v", c)
	}
	ta.must("rm", "POST", "/api/v1/changes/CHG-1/transitions", `{"to":"assess"}`, 200)
	ta.problem(ta.do("rm", "POST", "/api/v1/changes/CHG-1/transitions", `{"to":"scheduled"}`), 409, "")
	ta.must("eng", "PATCH", "/api/v1/changes/CHG-1",
		`{"risk_class":"critical","risk_justification":"card payments path","planned_start":"2026-03-03T22:00:00Z","planned_end":"2026-03-03T23:00:00Z"}`, 200, `If-Match: "2"`)
	ta.problem(ta.do("eng", "PATCH", "/api/v1/changes/CHG-1", `{"planned_end":"2026-03-03T21:00:00Z","revision":3}`), 400, "planned_end")
	ta.must("rm", "POST", "/api/v1/changes/CHG-1/transitions", `{"to":"authorize"}`, 200)
	for _, who := range []string{"cab", "pm"} { // critical: a cab_member and a problem_manager
		ta.must(who, "POST", "/api/v1/approvals", `{"record":"CHG-1","decision":"approve","comment":"ok"}`, 201)
	}
	ta.must("rm", "POST", "/api/v1/changes/CHG-1/transitions", `{"to":"scheduled"}`, 200)
	ta.problem(ta.do("bot", "POST", "/api/v1/changes/CHG-1/transitions", `{"to":"canceled"}`), 403, "")
	ta.must("bot", "POST", "/api/v1/changes/CHG-1/transitions", `{"to":"implement"}`, 200)

	ta.problem(ta.do("eng", "POST", "/api/v1/changes/CHG-1/deviations", `{"step_skipped":"cab","reason":"outage","approved_by":"pm"}`), 403, "")
	ta.problem(ta.do("pm", "POST", "/api/v1/changes/CHG-1/deviations", `{"step_skipped":"cab","reason":"outage","approved_by":"eng"}`), 400, "approved_by")
	ta.problem(ta.do("pm", "POST", "/api/v1/changes/CHG-1/deviations", `{"step_skipped":"cab","reason":"outage","approved_by":"pm","at":"2026-01-01T00:00:00Z"}`), 400, "at")
	d := ta.must("pm", "POST", "/api/v1/changes/CHG-1/deviations", `{"step_skipped":"cab","reason":"checkout outage, ECAB by phone","approved_by":"pm"}`, 200)
	devs := d["deviations"].([]any)
	if len(devs) != 1 || devs[0].(map[string]any)["approved_by"] != "pm" || devs[0].(map[string]any)["at"] == "" {
		t.Fatalf("deviation %v", d)
	}
	l := ta.must("aud", "GET", "/api/v1/changes?status=implement&release=REL-1&type=emergency", "", 200)
	if items := l["items"].([]any); len(items) != 1 {
		t.Fatalf("list %v", l)
	}
	ta.problem(ta.do("aud", "GET", "/api/v1/changes?status=done", ""), 400, "status")
	got := ta.must("aud", "GET", "/api/v1/changes/CHG-1", "", 200)
	if got["status"] != "implement" || got["risk_class"] != "critical" || got["revision"] != float64(7) {
		t.Fatalf("stored %v", got)
	}
}
