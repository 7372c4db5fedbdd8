package store_test

import (
	"context"
	"testing"
	"time"

	"fixgate/internal/change"
	"fixgate/internal/policy"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// BenchmarkGateInputChecklist gathers the gate input of two releases that
// differ only in their change: CHG-1 names a change model (two items, both
// ticked: one more statement in the second list), CHG-2 none. Run both in
// one process and compare (absolute times mean little on a shared machine).
func BenchmarkGateInputChecklist(b *testing.B) {
	s, clock := storetest.Open(b)
	ctx := context.Background()
	seedBench(b, s)
	if _, _, err := s.Bootstrap(ctx, "fgt_test"); err != nil {
		b.Fatal(err)
	}
	pol := policy.Default()
	for i, model := range []string{"memory-leak-patch", ""} {
		if _, err := s.CreateRelease(ctx, alice, release.Release{Version: []string{"1.0.0", "1.0.1"}[i], Type: release.Feature}); err != nil {
			b.Fatal(err)
		}
		rel := []string{"REL-1", "REL-2"}[i]
		if _, err := s.CreateChange(ctx, alice, change.Change{Title: "ship", Type: change.Normal, Release: rel, Env: "prod-eu", ChangeModel: model}); err != nil {
			b.Fatal(err)
		}
	}
	for _, item := range pol.ChangeModels["memory-leak-patch"].Checklist {
		if _, err := s.CheckChangeItem(ctx, alice, 1, 0, item, "evidence", pol); err != nil {
			b.Fatal(err)
		}
	}
	for i, name := range []string{"model", "no-model"} {
		q := store.GateQuery{Release: int64(i + 1), Env: "prod-eu", At: clock.Now().Add(time.Hour)}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				in, _, err := s.GateInput(ctx, q, pol)
				if err != nil || in.Change == nil || (i == 0) != (len(in.Change.Checklist) == 2) {
					b.Fatalf("%v %+v", err, in.Change)
				}
			}
		})
	}
}
