package main

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fixgate/internal/api"
	"fixgate/internal/audit"
	"fixgate/internal/release"
	"fixgate/internal/store/storetest"
)

// TestArtifactCommands: upload (with its digest), hold by digest and by
// release, and purge --dry-run then purge, through the CLI.
func TestArtifactCommands(t *testing.T) {
	s, clock := storetest.Open(t)
	ctx := context.Background()
	if _, _, err := s.Bootstrap(ctx, "fgt_admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateRelease(ctx, audit.Actor{User: "admin", Role: "admin"}, release.Release{Version: "1.0.0", Type: release.Feature}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Config{Store: s, DataDir: t.TempDir()}).Handler())
	t.Cleanup(srv.Close)
	flags := []string{"--url", srv.URL, "--token", "fgt_admin"}
	dir := t.TempDir()
	upload := func(name, body string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, stderr := runCLI(t, append(flags, "-o", "json", "artifact", "upload", p, "--retention-class", "ephemeral")...)
		if code != 0 || !strings.Contains(out, `"retention_class": "ephemeral"`) {
			t.Fatalf("upload: %d %s %s", code, out, stderr)
		}
		i := strings.Index(out, `"sha256": "`) + len(`"sha256": "`)
		return out[i : i+64]
	}
	held, gone := upload("held.log", "held log"), upload("build.log", "build log")
	if code, out, stderr := runCLI(t, append(flags, "artifact", "hold", held, "--reason", "litigation 2026-14")...); code != 0 || !strings.Contains(out, "litigation 2026-14") {
		t.Fatalf("hold: %d %s %s", code, out, stderr)
	}
	if code, _, stderr := runCLI(t, append(flags, "artifact", "hold", held)...); code == 0 || !strings.Contains(stderr, "reason") {
		t.Fatalf("a hold without --reason: %d %s", code, stderr)
	}
	if code, out, stderr := runCLI(t, append(flags, "artifact", "hold", "REL-1", "--reason", "audit")...); code != 0 || !strings.Contains(out, "REL-1") {
		t.Fatalf("release hold: %d %s %s", code, out, stderr)
	}
	if code, _, stderr := runCLI(t, append(flags, "artifact", "release", "REL-1", "--reason", "done")...); code != 0 {
		t.Fatalf("release the release's hold: %d %s", code, stderr)
	}
	clock.Advance(31 * 24 * time.Hour)
	code, out, stderr := runCLI(t, append(flags, "artifact", "purge", "--dry-run")...)
	if code != 0 || !strings.Contains(out, gone) || strings.Contains(out, held) {
		t.Fatalf("dry run: %d %s %s", code, out, stderr)
	}
	if code, out, stderr = runCLI(t, append(flags, "artifact", "purge")...); code != 0 || !strings.Contains(out, gone) {
		t.Fatalf("purge: %d %s %s", code, out, stderr)
	}
	if code, out, _ = runCLI(t, append(flags, "artifact", "purge", "--dry-run")...); code != 0 || strings.Contains(out, gone) {
		t.Fatalf("after the purge nothing is left to go: %s", out)
	}
}
