package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// TestStepEndsShareACommitAndFailAlone: step ends that wait while another
// transaction holds the writer (SQLite) or the audit chain's head
// (PostgreSQL) are stored together once it ends; one that cannot be stored
// (a measurement of a deployment that does not exist) fails alone.
func TestStepEndsShareACommitAndFailAlone(t *testing.T) {
	s, clock := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	for i := range 6 {
		depNewRelease(t, s, release.Release{Version: fmt.Sprintf("1.0.%d", i), Type: release.Feature})
		engStart(t, s, storetest.OpenPolicy(), store.StartRequest{Release: fmt.Sprintf("REL-%d", i+1), Env: "prod-eu"})
	}
	if ids, err := s.ClaimDue(ctx, "h", time.Minute, 10); err != nil || len(ids) != 6 {
		t.Fatalf("claimed %v: %v", ids, err)
	}
	hold, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hold.ExecContext(ctx, `UPDATE audit_head SET seq = seq WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	errs := make([]error, 8)
	var wg sync.WaitGroup
	end := func(i int, id int64) {
		defer wg.Done()
		m := analysis.Measurement{Deployment: fmt.Sprintf("DEP-%d", id), Stage: "full", Template: "t", Check: "c",
			Kind: "prometheus", Outcome: analysis.Successful}
		next := clock.T.Add(time.Second)
		errs[i] = s.EndStep(ctx, depPipe, id, "h", 0, &next, []analysis.Measurement{m})
	}
	for i := range 6 {
		wg.Add(1)
		go end(i, int64(i+1))
	}
	time.Sleep(200 * time.Millisecond)
	wg.Add(1)
	go end(7, 999) // no such deployment
	time.Sleep(200 * time.Millisecond)
	hold.Rollback()
	wg.Wait()
	for i := range 6 {
		if errs[i] != nil {
			t.Errorf("end of DEP-%d: %v", i+1, errs[i])
		}
		if ms, _ := s.ListMeasurements(ctx, int64(i+1)); len(ms) != 1 {
			t.Errorf("DEP-%d has %d measurements", i+1, len(ms))
		}
	}
	if errs[7] == nil {
		t.Error("the end of a deployment that does not exist was stored")
	}
	clock.Advance(2 * time.Second)
	if due, _ := s.DueDeployments(ctx, clock.T, 10); len(due) != 6 {
		t.Fatalf("due after the ends: %v (leases not given back)", due)
	}
}
