package demo_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"fixgate/internal/demo"
	"fixgate/internal/store"
)

// TestDemoTrailVerifiesAndReconciles runs the whole demo scenario (every
// kind of record, moved through its lifecycle) and checks that audit
// verification finds the trail intact and every reconciled record equal to
// its last audited after-image: reconciliation raises no false alarm on
// what the store itself writes.
func TestDemoTrailVerifiesAndReconciles(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "demo.db")
	if _, err := demo.Load(context.Background(), dsn, time.Now()); err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, b, err := s.VerifyAudit(context.Background()); err != nil || b != nil || n < 100 {
		t.Fatalf("verify: %d events, %v, %v", n, b, err)
	}
	ms, err := s.ReconcileRecords(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		t.Errorf("%s %s: %s", m.RecordType, m.RecordID, m.Reason)
	}
}
