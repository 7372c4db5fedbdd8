package store_test

import (
	"context"
	"testing"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/ci"
	"fixgate/internal/store/storetest"
)

// TestReadLeavesTheWriterFree: a write commits while a read (a report, a
// closure check) is open. A read that took SQLite's write lock (a plain
// BEGIN is BEGIN IMMEDIATE there) stalled every writer, rollback decisions
// included, for as long as the read ran.
func TestReadLeavesTheWriterFree(t *testing.T) {
	s, _ := storetest.Open(t)
	ctx := context.Background()
	err := s.ReadHolding(ctx, func() error {
		wctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		_, err := s.CreateCI(wctx, audit.System("test"), ci.CI{Name: "written-during-a-read", Kind: "service"})
		return err
	})
	if err != nil {
		t.Fatalf("a write during a read: %v", err)
	}
}
