package web

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fixgate/internal/policy"
)

// upload stores body through the API as user and returns its digest.
func (tw *testWeb) upload(user, name, class, body string) string {
	tw.t.Helper()
	tw.apiCall(user, "POST", "/api/v1/artifacts?"+url.Values{"name": {name}, "retention_class": {class}}.Encode(), body, 201)
	sum := sha256.Sum256([]byte(body))
	return hex.EncodeToString(sum[:])
}

// artifactFile is where the data directory keeps the bytes of sha.
func (tw *testWeb) artifactFile(sha string) string {
	return filepath.Join(tw.dataDir, "artifacts", sha[:2], sha)
}

// TestRetentionPage: every role sees what a purge would delete now (a dry
// run: nothing written); an admin purges (each purge audited, the bytes
// gone, the download a 404 saying so), others get no button and a 403;
// a release manager places and lifts a hold at the artifact's revision
// (audited; a stale form answers 412 with what changed, a missing reason
// 400), an engineer may not (403, audited).
func TestRetentionPage(t *testing.T) {
	tw := newTestWeb(t)
	old := tw.upload("eng", "build.log", "ephemeral", "old build log")
	kept := tw.upload("eng", "sbom.json", "standard", `{"sbom":1}`)
	tw.clock.Advance(31 * 24 * time.Hour)

	aud := tw.user("aud")
	n0 := tw.count("audit_events")
	dry := aud.get("/artifacts")
	wantAll(t, "dry run", dry, 200, "build.log", old, "1 artifact(s)", `<th scope="row">ephemeral</th><td>`+policy.Default().RetentionClasses["ephemeral"].Keep.String())
	wantNone(t, "dry run as an auditor", dry, `action="/artifacts/purge"`, kept)
	if tw.count("audit_events") != n0 {
		t.Fatal("the dry run wrote")
	}
	if p := aud.post("/artifacts/purge", nil); p.status != http.StatusForbidden {
		t.Fatalf("an auditor purges: %d", p.status)
	}
	admin := tw.user("admin")
	wantAll(t, "dry run as an admin", admin.get("/artifacts"), 200, `action="/artifacts/purge"`)
	purged := admin.post("/artifacts/purge", nil)
	wantAll(t, "purge", purged, 200, "The purge deleted 1 artifact(s)", old, "Nothing has expired")
	if tw.lastEvent("artifact", old) != "artifact.purge by admin" {
		t.Fatalf("purge not audited: %q", tw.lastEvent("artifact", old))
	}
	if _, err := os.Stat(tw.artifactFile(old)); !os.IsNotExist(err) {
		t.Fatalf("the purged bytes stay: %v", err)
	}
	wantAll(t, "download of a purged artifact", aud.get("/artifacts/"+old), http.StatusNotFound, "was purged")

	rm := tw.user("rm")
	look := rm.get("/artifacts?sha256=" + kept)
	wantAll(t, "look up", look, 200, "sbom.json", "standard", "kept until", `action="/artifacts/`+kept+`/hold"`, `name="revision" value="1"`)
	hold := rm.post("/artifacts/"+kept+"/hold", url.Values{"reason": {"litigation 2026-14"}, "revision": {"1"}})
	if hold.status != http.StatusSeeOther || tw.lastEvent("artifact", kept) != "artifact.hold by rm" {
		t.Fatalf("hold: %d %s", hold.status, hold.body)
	}
	wantAll(t, "held", rm.get(hold.header.Get("Location")), 200, "litigation 2026-14", `action="/artifacts/`+kept+`/unhold"`)
	wantAll(t, "holds in force", aud.get("/artifacts"), 200, "Artifacts on hold", "litigation 2026-14")
	stale := rm.post("/artifacts/"+kept+"/unhold", url.Values{"reason": {"case closed"}, "revision": {"1"}})
	wantAll(t, "stale unhold", stale, http.StatusPreconditionFailed, "changed since the page was loaded", "artifact.hold by rm", "case closed")
	wantAll(t, "no reason", rm.post("/artifacts/"+kept+"/unhold", url.Values{"reason": {" "}, "revision": {"2"}}), http.StatusBadRequest, "reason:")
	d0 := tw.denials("eng")
	if p := tw.user("eng").post("/artifacts/"+kept+"/unhold", url.Values{"reason": {"x"}, "revision": {"2"}}); p.status != http.StatusForbidden || tw.denials("eng") != d0+1 {
		t.Fatalf("an engineer lifts a hold: %d", p.status)
	}
	if p := rm.post("/artifacts/"+kept+"/unhold", url.Values{"reason": {"case closed"}, "revision": {"2"}}); p.status != http.StatusSeeOther || tw.lastEvent("artifact", kept) != "artifact.unhold by rm" {
		t.Fatalf("unhold: %d %s", p.status, p.body)
	}
	wantAll(t, "unknown digest", aud.get("/artifacts?sha256=abc"), http.StatusBadRequest, "sha256:")
}

// TestArtifactDownloadIsVerified: a download is an attachment with the
// stored bytes; bytes that no longer hash to their digest are never served.
func TestArtifactDownloadIsVerified(t *testing.T) {
	tw := newTestWeb(t)
	sha := tw.upload("eng", "notes.md", "", "# notes\n<script>alert(1)</script>\n")
	aud := tw.user("aud")
	p := aud.get("/artifacts/" + sha)
	if p.status != 200 || p.body != "# notes\n<script>alert(1)</script>\n" || !strings.HasPrefix(p.header.Get("Content-Disposition"), "attachment") ||
		p.header.Get("Content-Security-Policy") != "sandbox" {
		t.Fatalf("download: %d %v %q", p.status, p.header, p.body)
	}
	if err := os.WriteFile(tw.artifactFile(sha), []byte("# notes\n<script>alert(2)</script>\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := aud.get("/artifacts/" + sha)
	if bad.status != http.StatusInternalServerError || strings.Contains(bad.body, "alert(2)") {
		t.Fatalf("corrupted bytes served: %d %q", bad.status, bad.body)
	}
}
