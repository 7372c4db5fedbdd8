package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"fixgate/internal/audit"
	"fixgate/internal/problem"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// TestAuditCheckpointCLI runs keygen, checkpoint, verify with and without
// the checkpoint, prove and check-proof, then truncates the trail (head
// and tree rewritten to match): verify passes without the checkpoint,
// saying it checked internal consistency only, and exits 1 with it.
func TestAuditCheckpointCLI(t *testing.T) {
	dir := t.TempDir()
	dsn := storetest.DSN(t)
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, _, err := st.Bootstrap(context.Background(), "fgt_x"); err != nil {
		t.Fatal(err)
	}
	a := audit.Actor{User: "admin", Role: "admin"}
	for i := 0; i < 6; i++ {
		if _, err := st.CreateProblem(context.Background(), a, problem.Problem{Title: fmt.Sprint("p", i), Priority: 3}, nil); err != nil {
			t.Fatal(err)
		}
	}
	priv, pub, cp := filepath.Join(dir, "audit.key"), filepath.Join(dir, "audit.pub"), filepath.Join(dir, "cp.txt")
	if code, _, stderr := runCLI(t, "audit", "keygen", "--private", priv, "--public", pub, "--name", "fixgate.test/audit"); code != 0 {
		t.Fatalf("keygen: %d %s", code, stderr)
	}
	if fi, err := os.Stat(priv); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("private key file: %v %v", fi.Mode(), err)
	}
	if code, _, stderr := runCLI(t, "audit", "keygen", "--private", priv, "--public", pub); code != 2 || !strings.Contains(stderr, "exists") {
		t.Fatalf("keygen over an existing key: %d %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "audit", "checkpoint", "--db", dsn, "--key", priv, "--output", cp); code != 0 {
		t.Fatalf("checkpoint: %d %s", code, stderr)
	}
	code, out, stderr := runCLI(t, "audit", "verify", "--db", dsn, "--checkpoint", cp, "--key", pub)
	if code != 0 || !strings.Contains(out, "append-only extension of the checkpoint") {
		t.Fatalf("verify with checkpoint: %d %s %s", code, out, stderr)
	}
	code, out, _ = runCLI(t, "audit", "prove", "3", "--db", dsn, "--checkpoint", cp)
	if code != 0 {
		t.Fatalf("prove: %d %s", code, out)
	}
	proof := filepath.Join(dir, "proof.json")
	os.WriteFile(proof, []byte(out), 0o644)
	if code, out, stderr := runCLI(t, "audit", "check-proof", "--proof", proof, "--key", pub); code != 0 || !strings.Contains(out, "proof valid: event 3") {
		t.Fatalf("check-proof: %d %s %s", code, out, stderr)
	}
	os.WriteFile(proof, []byte(strings.Replace(out, `"actor": "admin"`, `"actor": "mallory"`, 1)), 0o644)
	if code, _, stderr := runCLI(t, "audit", "check-proof", "--proof", proof, "--key", pub); code != 1 || !strings.Contains(stderr, "proof refused") {
		t.Fatalf("check-proof of an edited event: %d %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "audit", "verify", "--db", dsn, "--checkpoint", cp, "--key", priv); code != 2 || !strings.Contains(stderr, "private key") {
		t.Fatalf("verify with the private key as --key: %d %s", code, stderr)
	}
	// Truncate the last two events, the problem row they created, and make head and tree agree.
	db := st.DB()
	for _, q := range []string{`DELETE FROM problems WHERE id = 6`, `DELETE FROM audit_events WHERE seq > (SELECT seq FROM audit_head) - 1`,
		`UPDATE audit_head SET seq = seq - 1, hash = (SELECT hash FROM audit_events WHERE seq = (SELECT seq - 1 FROM audit_head)) WHERE id = 1`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	n, err := st.AuditSize(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM audit_tree WHERE idx >= $1`, tlog.StoredHashCount(n)); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = runCLI(t, "audit", "verify", "--db", dsn)
	if code != 0 || !strings.Contains(out, "only internal consistency was checked") {
		t.Fatalf("verify without checkpoint after truncation: %d %s %s", code, out, stderr)
	}
	code, _, stderr = runCLI(t, "audit", "verify", "--db", dsn, "--checkpoint", cp, "--key", pub)
	if code != 1 || !strings.Contains(stderr, "removed") {
		t.Fatalf("verify with checkpoint after truncation: %d %s", code, stderr)
	}
	os.WriteFile(cp, []byte(strings.Replace(readFile(t, cp), "fixgate.test/audit\n", "fixgate.test/audit\n1", 1)), 0o644)
	code, _, stderr = runCLI(t, "audit", "verify", "--db", dsn, "--checkpoint", cp, "--key", pub)
	if code != 1 || !strings.Contains(stderr, "checkpoint refused") {
		t.Fatalf("verify with an edited checkpoint: %d %s", code, stderr)
	}
}

func readFile(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
