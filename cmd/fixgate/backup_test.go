package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/store"
)

// TestBackupWhileOpen: a backup taken while the database is open (as under
// a running server) has the records and an intact audit chain; an existing
// file is never overwritten; PostgreSQL is refused naming pg_dump.
func TestBackupWhileOpen(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "live.db")
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, _, err := st.CreateUser(context.Background(), audit.System("test"), auth.User{Name: "ann", Roles: []auth.Role{auth.Engineer}}); err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(dir, "copy.db")
	code, out, errs := runCLI(t, "backup", "--db", dsn, "--to", copyPath)
	if code != 0 || !strings.Contains(out, "backup written to "+copyPath) {
		t.Fatalf("backup: %d %q %q", code, out, errs)
	}
	code, out, errs = runCLI(t, "audit", "verify", "--db", "sqlite:"+copyPath)
	if code != 0 || !strings.Contains(out, "intact") {
		t.Fatalf("verify the copy: %d %q %q", code, out, errs)
	}
	cp, err := store.Open(context.Background(), "sqlite:"+copyPath)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if _, err := cp.GetUser(context.Background(), "ann"); err != nil {
		t.Fatalf("the copy lacks user ann: %v", err)
	}
	before, _ := os.ReadFile(copyPath)
	code, _, errs = runCLI(t, "backup", "--db", dsn, "--to", copyPath)
	after, _ := os.ReadFile(copyPath)
	if code != 2 || !strings.Contains(errs, "already exists") || string(before) != string(after) {
		t.Fatalf("backup over an existing file: %d %q (file changed: %v)", code, errs, string(before) != string(after))
	}
}
