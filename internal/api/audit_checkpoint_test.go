package api

import (
	"context"
	"testing"

	"fixgate/internal/audit"
)

// TestLatestCheckpoint: 404 as problem+json before the first checkpoint,
// then the signed note, which verifies with the public key and commits to
// the whole trail at signing time.
func TestLatestCheckpoint(t *testing.T) {
	ta := newTestAPI(t)
	ta.problem(ta.do("aud", "GET", "/api/v1/audit/checkpoints/latest", ""), 404, "")
	priv, pub, err := audit.GenerateKey("fixgate.test/audit")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ta.store.SignCheckpoint(context.Background(), priv); err != nil {
		t.Fatal(err)
	}
	r := ta.do("eng", "GET", "/api/v1/audit/checkpoints/latest", "")
	if r.status != 200 || r.header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Fatalf("status %d, type %q: %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	cp, err := audit.OpenCheckpoint(r.body, pub)
	if err != nil {
		t.Fatal(err)
	}
	n, b, err := ta.store.VerifyAuditCheckpoint(context.Background(), &cp)
	if err != nil || b != nil || n != cp.Size || n < 10 {
		t.Fatalf("checkpoint of %d events, verify: %d %v %v", cp.Size, n, b, err)
	}
	if r := ta.do("", "GET", "/api/v1/audit/checkpoints/latest", ""); r.status != 401 {
		t.Fatalf("anonymous: status %d", r.status)
	}
}
