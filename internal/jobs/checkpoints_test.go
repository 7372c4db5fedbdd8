package jobs_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/jobs"
	"fixgate/internal/problem"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// TestCheckpointerSignsAtStartAndAsTheTrailGrows: a checkpoint of the whole
// trail at start, then one covering new events once Events of them exist.
func TestCheckpointerSignsAtStartAndAsTheTrailGrows(t *testing.T) {
	s, _ := storetest.Open(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, _, err := s.Bootstrap(ctx, "fgt_x"); err != nil {
		t.Fatal(err)
	}
	priv, pub, err := audit.GenerateKey("fixgate.test/audit")
	if err != nil {
		t.Fatal(err)
	}
	// Every is the ticker period too (min(Every, 10s)): short, so the test is quick.
	c := &jobs.Checkpointer{Store: s, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Key: priv, Every: 20 * time.Millisecond, Events: 3}
	go c.Run(ctx)
	n0, _ := s.AuditSize(ctx)
	waitCheckpoint(t, s, pub, n0)
	for i := 0; i < 3; i++ {
		if _, err := s.CreateProblem(ctx, audit.Actor{User: "admin", Role: "admin"}, problem.Problem{Title: fmt.Sprint("p", i), Priority: 3}, nil); err != nil {
			t.Fatal(err)
		}
	}
	waitCheckpoint(t, s, pub, n0+3)
}

func waitCheckpoint(t *testing.T, s *store.Store, pub string, size int64) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		signed, err := s.LatestCheckpoint(context.Background())
		if err == nil {
			cp, err := audit.OpenCheckpoint(signed, pub)
			if err != nil {
				t.Fatal(err)
			}
			if cp.Size == size {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint of %d events after 60 s (latest: %v)", size, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
