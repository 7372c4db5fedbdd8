package jobs_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"slices"
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

// raceStorage is storage whose delete of a purged artifact lets the
// uploads of that artifact and of the next one in the purge's order start,
// then takes a while (a slow disk, an object store's round trip) before it
// deletes: each upload of the first then races the deletion of its bytes,
// and each upload of the second races the purge's marking of its row.
type raceStorage struct {
	artifact.FS
	mu    sync.Mutex
	order []string                 // digests in the purge's order
	ready map[string]chan struct{} // closed when the upload of a digest may start
}

func (s *raceStorage) Delete(ctx context.Context, sha string) error {
	s.mu.Lock()
	if i := slices.Index(s.order, sha); i >= 0 {
		for _, d := range s.order[i:min(i+2, len(s.order))] {
			if c, ok := s.ready[d]; ok {
				close(c)
				delete(s.ready, d)
			}
		}
	}
	s.mu.Unlock()
	time.Sleep(20 * time.Millisecond)
	return s.FS.Delete(ctx, sha)
}

// reupload uploads body again and attaches it to REL-1 as a client does
// (the API's upload: the bytes, then the row; then the attach), retrying
// what the server answers as retryable (Unavailable).
func reupload(ctx context.Context, s *store.Store, files artifact.Storage, body string) error {
	for try := 0; ; try++ {
		obj, err := files.Put(ctx, strings.NewReader(body), "")
		if err == nil {
			_, _, err = s.PutArtifact(ctx, admin, store.Artifact{SHA256: obj.SHA256, Name: "a.bin", Size: obj.Size, RetentionClass: "ephemeral"}, "")
		}
		if err == nil {
			_, err = s.AttachReleaseArtifact(ctx, admin, 1, 0, obj.SHA256, "other")
		}
		if fault.CodeOf(err) != fault.Unavailable || try == 20 {
			return err
		}
	}
}

// TestPurgeRacingReuploadKeepsLiveBytes: expired artifacts are uploaded
// again and attached to a release while a purge runs (raceStorage times
// the uploads: half of them while the purge deletes their bytes, half
// just before it marks their rows). Each upload makes its artifact live
// again (a restore of the tombstone, or a new keep), so at the end every
// artifact is live, attached, and its bytes are stored and hash to their
// digest: the purge never deletes bytes that a concurrent upload made live
// again. Run on SQLite and PostgreSQL.
func TestPurgeRacingReuploadKeepsLiveBytes(t *testing.T) {
	s, clock := storetest.Open(t)
	ctx := context.Background()
	files := &raceStorage{FS: artifact.FS{Dir: t.TempDir()}, ready: map[string]chan struct{}{}}
	s.SetArtifactStorage(files) // as the server does (api.New)
	var bodies []string
	for i := range 40 {
		bodies = append(bodies, fmt.Sprintf("build log %d", i))
		sha := upload(t, s, files, bodies[i], "ephemeral")
		files.order, files.ready[sha] = append(files.order, sha), make(chan struct{})
	}
	slices.Sort(files.order) // the purge takes them (all uploaded at one time) in digest order
	if _, err := s.CreateRelease(ctx, admin, release.Release{Version: "1.0.0", Type: release.Feature}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(31 * 24 * time.Hour)
	readies := make([]chan struct{}, len(bodies))
	for i, body := range bodies {
		readies[i] = files.ready[sha256Hex(body)]
	}
	var wg sync.WaitGroup
	var purgeErr error
	upErrs := make([]error, len(bodies))
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, purgeErr = jobs.PurgeArtifacts(ctx, s, files, admin, s.Now(), false)
	}()
	for i, body := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-readies[i]:
			case <-time.After(10 * time.Second): // the purge skipped it: upload anyway
			}
			upErrs[i] = reupload(ctx, s, files, body)
		}()
	}
	wg.Wait()
	if purgeErr != nil && fault.CodeOf(purgeErr) != fault.Unavailable {
		t.Fatal(purgeErr)
	}
	rel, err := s.GetRelease(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	var purged, missing []int
	restored := 0
	for i, body := range bodies {
		if upErrs[i] != nil {
			t.Fatalf("upload %d: %v", i, upErrs[i])
		}
		sha := sha256Hex(body)
		restored += purgeEvents(t, s, sha)
		a, err := s.GetArtifact(ctx, sha)
		if err != nil {
			t.Fatal(err)
		}
		if a.PurgedAt != nil {
			purged = append(purged, i)
			continue
		}
		f, err := artifact.OpenVerified(ctx, files, sha, a.Size)
		if err != nil {
			missing = append(missing, i)
			continue
		}
		f.Close()
	}
	if len(purged) > 0 || len(missing) > 0 {
		t.Errorf("uploaded and attached again, yet purged: %v; live but their bytes are gone: %v", purged, missing)
	}
	if len(rel.Artifacts) != len(bodies) {
		t.Errorf("REL-1 carries %d artifacts, want %d", len(rel.Artifacts), len(bodies))
	}
	t.Logf("%d of %d artifacts were purged first, then restored by their upload", restored, len(bodies))
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
