package store_test

import (
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fixgate/internal/approval"
	"fixgate/internal/artifact"
	"fixgate/internal/fault"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// storedFiles lists the artifact files under dir (temp files of uploads aside).
func storedFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(filepath.Join(dir, "artifacts"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == filepath.Join(dir, "artifacts") {
				return fs.SkipAll
			}
			return err
		}
		if !d.IsDir() && filepath.Base(filepath.Dir(p)) != "tmp" {
			out = append(out, filepath.Base(p))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// failReleaseArtifacts makes every insert into release_artifacts fail, as a
// database fault in the middle of a transaction would.
func failReleaseArtifacts(t *testing.T, s *store.Store) {
	t.Helper()
	stmts := []string{`CREATE TRIGGER boom BEFORE INSERT ON release_artifacts BEGIN SELECT RAISE(ABORT, 'injected fault'); END`}
	if s.Dialect() == store.Postgres {
		stmts = []string{`CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$ LANGUAGE plpgsql`,
			`CREATE TRIGGER boom BEFORE INSERT ON release_artifacts FOR EACH ROW EXECUTE FUNCTION boom()`}
	}
	for _, q := range stmts {
		if _, err := s.DB().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}

// TestApprovalNotesLeaveNoOrphan: when the transaction that approves a
// release fails after its notes were written to storage, the notes' bytes
// do not stay behind; when it commits, they are stored and recorded.
func TestApprovalNotesLeaveNoOrphan(t *testing.T) {
	s, _ := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	dir := t.TempDir()
	files := artifact.FS{Dir: dir}
	s.SetArtifactStorage(files)
	if _, err := s.CreateRelease(ctx, alice, release.Release{Version: "1.0.0", Type: release.Feature}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateApproval(ctx, bob, approval.Approval{Record: "REL-1", Decision: approval.Approve}, 0); err != nil {
		t.Fatal(err)
	}
	failReleaseArtifacts(t, s)
	approve := func(r *release.Release) error { return r.Move(release.Approved) }
	if _, err := s.UpdateRelease(ctx, alice, 1, 0, "release.move", approve); err == nil {
		t.Fatal("the approval committed despite the injected fault")
	}
	if got := storedFiles(t, dir); len(got) != 0 {
		t.Fatalf("the failed approval left the notes' bytes in storage: %v", got)
	}
	if _, err := s.DB().Exec(`DROP TRIGGER boom` + map[bool]string{true: ` ON release_artifacts`}[s.Dialect() == store.Postgres]); err != nil {
		t.Fatal(err)
	}
	r, err := s.UpdateRelease(ctx, alice, 1, 0, "release.move", approve)
	if err != nil || len(r.Artifacts) != 1 {
		t.Fatalf("approve: %+v %v", r, err)
	}
	if got := storedFiles(t, dir); len(got) != 1 || got[0] != r.Artifacts[0].SHA256 {
		t.Fatalf("the committed approval stores its notes: %v", got)
	}
}

// TestUploadRenewsAndAttachRefusesPurged: bytes uploaded again after
// their keep passed are renewed (artifact.renew, a new keep from now);
// DropArtifactBytes keeps the bytes of a live row and deletes those of a
// tombstone; a purged artifact cannot be attached to a release; an upload
// whose bytes are gone is refused (Unavailable) and records nothing.
func TestUploadRenewsAndAttachRefusesPurged(t *testing.T) {
	s, clock := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	files := artifact.FS{Dir: t.TempDir()}
	s.SetArtifactStorage(files)
	put := func(body string) (store.Artifact, error) {
		obj, err := files.Put(ctx, strings.NewReader(body), "")
		if err != nil {
			t.Fatal(err)
		}
		a, _, err := s.PutArtifact(ctx, alice, store.Artifact{SHA256: obj.SHA256, Name: "log.txt", Size: obj.Size, RetentionClass: "ephemeral"}, "")
		return a, err
	}
	a, err := put("build log")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateRelease(ctx, alice, release.Release{Version: "1.0.0", Type: release.Feature}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(31 * 24 * time.Hour)
	renewed, err := put("build log")
	if err != nil || !renewed.CreatedAt.Equal(s.Now()) || renewed.Revision != 2 {
		t.Fatalf("renewed: %+v %v", renewed, err)
	}
	if ev, _ := s.AuditEventsFor(ctx, "artifact", a.SHA256, 10); ev[len(ev)-1].Action != "artifact.renew" {
		t.Fatalf("renewal audited: %+v", ev[len(ev)-1])
	}
	if dropped, err := s.DropArtifactBytes(ctx, alice, a.SHA256, files); dropped || err != nil {
		t.Fatalf("the bytes of a live row were dropped: %v %v", dropped, err)
	}
	clock.Advance(31 * 24 * time.Hour)
	if ok, err := s.PurgeArtifact(ctx, alice, a.SHA256, s.Now()); !ok || err != nil {
		t.Fatalf("purge: %v %v", ok, err)
	}
	_, err = s.AttachReleaseArtifact(ctx, alice, 1, 0, a.SHA256, "other")
	relWantField(t, err, "sha256")
	if dropped, err := s.DropArtifactBytes(ctx, alice, a.SHA256, files); !dropped || err != nil {
		t.Fatalf("the bytes of a tombstone stay: %v %v", dropped, err)
	}
	_, _, err = s.PutArtifact(ctx, alice, store.Artifact{SHA256: a.SHA256, Name: "log.txt", Size: a.Size}, "")
	if fault.CodeOf(err) != fault.Unavailable {
		t.Fatalf("an upload whose bytes are gone: %v", err)
	}
	if got, _ := s.GetArtifact(ctx, a.SHA256); got.PurgedAt == nil {
		t.Fatalf("the refused upload restored the row: %+v", got)
	}
}
