package api

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const octet = "Content-Type: application/octet-stream"

func hexDigest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestAPIArtifactBadInputWritesNothing: a path as a name, a class the
// policy does not list, and bytes that do not hash to the digest sent are
// refused naming the field, with no file and no row.
func TestAPIArtifactBadInputWritesNothing(t *testing.T) {
	ta := newTestAPI(t)
	const body = "package bytes"
	n0 := ta.auditCount()
	for _, name := range []string{"../../etc/passwd", "..", `..\boot.ini`, "a/b.bin"} {
		ta.problem(ta.do("eng", "POST", "/api/v1/artifacts?name="+name, body), 400, "name")
	}
	r := ta.problem(ta.do("eng", "POST", "/api/v1/artifacts?name=a.bin&retention_class=audit-long", body), 400, "retention_class")
	if !strings.Contains(r["detail"].(string), "ephemeral, standard, regulated, permanent") {
		t.Fatalf("the refusal lists the policy's classes: %v", r)
	}
	ta.problem(ta.do("eng", "POST", "/api/v1/artifacts?name=a.bin&sha256="+hexDigest("other bytes"), body), 400, "sha256")
	ta.problem(ta.do("eng", "POST", "/api/v1/artifacts?name=a.bin&sha256=XYZ", body), 400, "sha256")
	if files := artifactFiles(t, ta.srv.dataDir); len(files) != 0 || ta.auditCount() != n0 {
		t.Fatalf("refused uploads left %v, %d events", files, ta.auditCount()-n0)
	}
	a := ta.must("eng", "POST", "/api/v1/artifacts?name=a.bin&sha256="+hexDigest(body), body, 201)
	if a["sha256"] != hexDigest(body) || a["retention_class"] != "standard" {
		t.Fatalf("upload with its digest: %v", a)
	}
}

// TestAPIArtifactCorruptedIsNotServed: bytes changed on disk are refused
// at download (500, logged), never sent.
func TestAPIArtifactCorruptedIsNotServed(t *testing.T) {
	ta := newTestAPI(t)
	const body = "release 1.4.3 package"
	sha := hexDigest(body)
	ta.must("eng", "POST", "/api/v1/artifacts?name=p.bin", body, 201, octet)
	if r := ta.do("aud", "GET", "/api/v1/artifacts/"+sha, ""); r.status != 200 || string(r.body) != body {
		t.Fatalf("intact download: %d %q", r.status, r.body)
	}
	path := filepath.Join(ta.srv.dataDir, "artifacts", sha[:2], sha)
	if err := os.WriteFile(path, []byte("release 1.4.3 packagX"), 0o640); err != nil {
		t.Fatal(err)
	}
	r := ta.do("aud", "GET", "/api/v1/artifacts/"+sha, "")
	if r.status != 500 || strings.Contains(string(r.body), "packagX") {
		t.Fatalf("corrupted download: %d %q", r.status, r.body)
	}
}

// TestAPIHoldsAndPurge: holds by their roles, the dry run for readers,
// the purge for admins, and a purged artifact's download saying so.
func TestAPIHoldsAndPurge(t *testing.T) {
	ta := newTestAPI(t)
	gone := ta.must("eng", "POST", "/api/v1/artifacts?name=build.log&retention_class=ephemeral", "build log", 201, octet)["sha256"].(string)
	kept := ta.must("eng", "POST", "/api/v1/artifacts?name=held.log&retention_class=ephemeral", "held log", 201, octet)["sha256"].(string)
	ta.problem(ta.do("aud", "POST", "/api/v1/artifacts/"+kept+"/hold", `{"reason":"x"}`), 403, "")
	ta.problem(ta.do("rm", "POST", "/api/v1/artifacts/"+kept+"/hold", `{}`), 400, "reason")
	h := ta.must("rm", "POST", "/api/v1/artifacts/"+kept+"/hold", `{"reason":"litigation 2026-14","revision":1}`, 200)
	if h["hold"].(map[string]any)["by"] != "rm" {
		t.Fatalf("hold: %v", h)
	}
	ta.must("rm", "POST", "/api/v1/releases", `{"version":"1.0.0","type":"feature"}`, 201)
	rh := ta.must("pm", "POST", "/api/v1/releases/REL-1/hold", `{"reason":"audit"}`, 200)
	if rh["release"] != "REL-1" || rh["hold"].(map[string]any)["reason"] != "audit" {
		t.Fatalf("release hold: %v", rh)
	}
	ta.must("aud", "GET", "/api/v1/releases/REL-1/hold", "", 200)
	ta.must("pm", "POST", "/api/v1/releases/REL-1/unhold", `{"reason":"done"}`, 200)

	ta.clock.Advance(31 * 24 * time.Hour)
	dry := ta.must("aud", "GET", "/api/v1/artifacts/expired", "", 200)
	if items := dry["items"].([]any); len(items) != 1 || items[0].(map[string]any)["sha256"] != gone || dry["dry_run"] != true {
		t.Fatalf("dry run: %v", dry)
	}
	ta.problem(ta.do("rm", "POST", "/api/v1/artifacts/purge", ""), 403, "")
	rep := ta.must("admin", "POST", "/api/v1/artifacts/purge", "", 200)
	if items := rep["items"].([]any); len(items) != 1 {
		t.Fatalf("purge: %v", rep)
	}
	r := ta.problem(ta.do("aud", "GET", "/api/v1/artifacts/"+gone, ""), 404, "")
	if !strings.Contains(r["detail"].(string), "was purged") {
		t.Fatalf("a purged download says so: %v", r)
	}
	if r := ta.do("aud", "GET", "/api/v1/artifacts/"+kept, ""); r.status != 200 {
		t.Fatalf("the held artifact stays: %d", r.status)
	}
}

// TestAPIReleaseVersionNotABump: an explicit version below the line's
// latest is refused naming version; next still proposes the bump.
func TestAPIReleaseVersionNotABump(t *testing.T) {
	ta := newTestAPI(t)
	ta.must("pm", "POST", "/api/v1/problems", `{"title":"Checkout 500s","priority":3,"cis":["checkout-api"]}`, 201)
	ta.must("eng", "POST", "/api/v1/components", `{"ci":"checkout-api","version":"1.4.3"}`, 201)
	ta.must("eng", "POST", "/api/v1/releases", `{"version":"1.4.3","type":"problem-fix","resolves":["PRB-1"],"components":["checkout-api@1.4.3"]}`, 201)
	n0 := ta.auditCount()
	ta.problem(ta.do("eng", "POST", "/api/v1/releases", `{"version":"1.4.2","type":"problem-fix","resolves":["PRB-1"]}`), 400, "version")
	if ta.auditCount() != n0 {
		t.Fatal("a refused release was written")
	}
	next := ta.must("eng", "POST", "/api/v1/releases", `{"next":true,"type":"problem-fix","resolves":["PRB-1"]}`, 201)
	if next["version"] != "1.4.4" {
		t.Fatalf("next: %v", next)
	}
}
