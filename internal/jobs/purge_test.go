package jobs_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"fixgate/internal/artifact"
	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/jobs"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

var admin = audit.Actor{User: "admin", Role: "admin", RequestID: "t"}

// upload stores body in files and records it with class.
func upload(t *testing.T, s *store.Store, files artifact.Storage, body, class string) string {
	t.Helper()
	ctx := context.Background()
	obj, err := files.Put(ctx, strings.NewReader(body), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PutArtifact(ctx, admin, store.Artifact{SHA256: obj.SHA256, Name: "a.bin", Size: obj.Size, RetentionClass: class}, ""); err != nil {
		t.Fatal(err)
	}
	return obj.SHA256
}

func purgeEvents(t *testing.T, s *store.Store, sha string) int {
	t.Helper()
	ev, err := s.AuditEventsFor(context.Background(), "artifact", sha, 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ev {
		if e.Action == "artifact.purge" {
			n++
		}
	}
	return n
}

func stored(files artifact.Storage, sha string) bool {
	_, err := files.Stat(context.Background(), sha)
	return fault.CodeOf(err) != fault.NotFound
}

func shas(items []store.PurgeCandidate) []string {
	var out []string
	for _, c := range items {
		out = append(out, c.SHA256)
	}
	return out
}

// TestPurgeDeletesOnlyExpiredAndNotHeld: ephemeral (30 days) artifacts go
// after 31 days unless held directly or through a held release; standard
// and permanent ones stay; each purge is audited once; a dry run writes
// nothing; a second run purges nothing.
func TestPurgeDeletesOnlyExpiredAndNotHeld(t *testing.T) {
	s, clock := storetest.Open(t)
	ctx := context.Background()
	if _, _, err := s.Bootstrap(ctx, "fgt_x"); err != nil {
		t.Fatal(err)
	}
	files := artifact.FS{Dir: t.TempDir()}
	gone := upload(t, s, files, "scratch log", "ephemeral")
	held := upload(t, s, files, "held log", "ephemeral")
	inHeldRelease := upload(t, s, files, "release log", "ephemeral")
	standard := upload(t, s, files, "sbom", "standard")
	permanent := upload(t, s, files, "contract", "permanent")
	if _, err := s.SetArtifactHold(ctx, admin, held, 0, true, "litigation"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateRelease(ctx, admin, release.Release{Version: "1.0.0", Type: release.Feature}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AttachReleaseArtifact(ctx, admin, 1, 0, inHeldRelease, "other"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetReleaseHold(ctx, admin, 1, 0, true, "audit 2026"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(31 * 24 * time.Hour)
	n0, _ := s.AuditSize(ctx)
	dry, err := jobs.PurgeArtifacts(ctx, s, files, admin, s.Now(), true)
	if n, _ := s.AuditSize(ctx); err != nil || fmt.Sprint(shas(dry.Items)) != fmt.Sprint([]string{gone}) || n != n0 || !stored(files, gone) {
		t.Fatalf("dry run: %+v %v (events %d)", dry, err, n-n0)
	}
	rep, err := jobs.PurgeArtifacts(ctx, s, files, admin, s.Now(), false)
	if err != nil || fmt.Sprint(shas(rep.Items)) != fmt.Sprint([]string{gone}) {
		t.Fatalf("purge: %+v %v", rep, err)
	}
	if stored(files, gone) || purgeEvents(t, s, gone) != 1 {
		t.Fatal("the purged artifact's bytes stay or its purge is not audited once")
	}
	for _, sha := range []string{held, inHeldRelease, standard, permanent} {
		if !stored(files, sha) || purgeEvents(t, s, sha) != 0 {
			t.Fatalf("%s must stay", sha)
		}
	}
	if a, _ := s.GetArtifact(ctx, gone); a.PurgedAt == nil || a.PurgedBy != "admin" {
		t.Fatalf("tombstone: %+v", a)
	}
	n1, _ := s.AuditSize(ctx)
	again, err := jobs.PurgeArtifacts(ctx, s, files, admin, s.Now(), false)
	if n, _ := s.AuditSize(ctx); err != nil || len(again.Items) != 0 || n != n1 {
		t.Fatalf("second run: %+v %v (events %d)", again, err, n-n1)
	}
	// Lifting the holds lets them go at the next run.
	if _, err := s.SetArtifactHold(ctx, admin, held, 0, false, "case closed"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetReleaseHold(ctx, admin, 1, 0, false, "audit done"); err != nil {
		t.Fatal(err)
	}
	rep, err = jobs.PurgeArtifacts(ctx, s, files, admin, s.Now(), false)
	if err != nil || len(rep.Items) != 2 || stored(files, held) || stored(files, inHeldRelease) || !stored(files, standard) {
		t.Fatalf("after the holds: %+v %v", rep, err)
	}
}

// TestPurgeRecoversFromACrashBetweenRowAndBytes: a row marked purged
// whose bytes were not deleted gets them deleted at the next run; an
// upload of the same bytes restores the artifact.
func TestPurgeRecoversFromACrashBetweenRowAndBytes(t *testing.T) {
	s, clock := storetest.Open(t)
	ctx := context.Background()
	files := artifact.FS{Dir: t.TempDir()}
	sha := upload(t, s, files, "build log", "ephemeral")
	clock.Advance(31 * 24 * time.Hour)
	if ok, err := s.PurgeArtifact(ctx, admin, sha, s.Now()); !ok || err != nil { // the "crash": bytes left
		t.Fatalf("mark: %v %v", ok, err)
	}
	if !stored(files, sha) {
		t.Fatal("setup: bytes should still be there")
	}
	if _, err := jobs.PurgeArtifacts(ctx, s, files, admin, s.Now(), false); err != nil || stored(files, sha) {
		t.Fatalf("sweep: %v, stored %v", err, stored(files, sha))
	}
	if purgeEvents(t, s, sha) != 1 {
		t.Fatal("the purge is audited once")
	}
	again := upload(t, s, files, "build log", "standard")
	a, _ := s.GetArtifact(ctx, again)
	if a.PurgedAt != nil || a.RetentionClass != "standard" || !a.CreatedAt.Equal(s.Now()) || !stored(files, sha) {
		t.Fatalf("restored: %+v", a)
	}
}

// TestConcurrentPurgesDeleteEachOnce: two purge runs at the same moment
// (two replicas without the lease) purge every expired artifact once,
// with one audit event each. Meaningful on PostgreSQL, where the two
// transactions really overlap; SQLite serialises them.
func TestConcurrentPurgesDeleteEachOnce(t *testing.T) {
	s, clock := storetest.Open(t)
	ctx := context.Background()
	files := artifact.FS{Dir: t.TempDir()}
	var all []string
	for i := range 12 {
		all = append(all, upload(t, s, files, fmt.Sprintf("log %d", i), "ephemeral"))
	}
	clock.Advance(31 * 24 * time.Hour)
	var wg sync.WaitGroup
	reps := make([]jobs.PurgeReport, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[i], errs[i] = jobs.PurgeArtifacts(ctx, s, files, admin, s.Now(), false)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && fault.CodeOf(err) != fault.Unavailable {
			t.Fatal(err)
		}
	}
	if got := len(reps[0].Items) + len(reps[1].Items); got != len(all) {
		t.Fatalf("purged %d + %d, want %d in all", len(reps[0].Items), len(reps[1].Items), len(all))
	}
	for _, sha := range all {
		if n := purgeEvents(t, s, sha); n != 1 || stored(files, sha) {
			t.Fatalf("%s: %d purge events, stored %v", sha, n, stored(files, sha))
		}
	}
	t.Logf("run 1 purged %d, run 2 purged %d", len(reps[0].Items), len(reps[1].Items))
}

// TestPurgerRunsOncePerLease: of two replicas' purgers, only the one
// holding the lease runs in an interval.
func TestPurgerRunsOncePerLease(t *testing.T) {
	s, clock := storetest.Open(t)
	ctx := context.Background()
	files := artifact.FS{Dir: t.TempDir()}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sha := upload(t, s, files, "log", "ephemeral")
	clock.Advance(31 * 24 * time.Hour)
	a, b := jobs.NewPurger(s, files, log), jobs.NewPurger(s, files, log)
	ra, err := a.Step(ctx)
	if err != nil || ra == nil || len(ra.Items) != 1 || ra.Items[0].SHA256 != sha {
		t.Fatalf("first replica: %+v %v", ra, err)
	}
	if rb, err := b.Step(ctx); rb != nil || err != nil {
		t.Fatalf("second replica ran inside the lease: %+v %v", rb, err)
	}
	clock.Advance(time.Hour)
	if rb, err := b.Step(ctx); rb == nil || err != nil || len(rb.Items) != 0 {
		t.Fatalf("after the lease, the other replica runs and finds nothing: %+v %v", rb, err)
	}
}
