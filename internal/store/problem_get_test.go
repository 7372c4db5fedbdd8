package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"fixgate/internal/fault"
	"fixgate/internal/problem"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// TestGetProblemConcurrent: concurrent GETs (batched on PostgreSQL) each
// answer their own problem or NotFound, and a GET never returns a revision
// older than one whose update was acknowledged before the GET started.
func TestGetProblemConcurrent(t *testing.T) {
	s, _ := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	const problems = 20
	for i := 1; i <= problems; i++ {
		if _, err := s.CreateProblem(ctx, alice, problem.Problem{Title: fmt.Sprint("problem ", i), Priority: 1 + i%4}, nil); err != nil {
			t.Fatal(err)
		}
	}
	var acked atomic.Int64 // revision of PRB-1 acknowledged to the writer
	acked.Store(1)
	stop := make(chan struct{})
	var writer sync.WaitGroup
	writer.Add(1)
	go func() {
		defer writer.Done()
		for rev := int64(1); ; rev++ {
			select {
			case <-stop:
				return
			default:
			}
			p, err := s.UpdateProblem(ctx, alice, 1, rev, "problem.update", func(p *problem.Problem, _ store.ProblemContext) error {
				p.Title = fmt.Sprint("revision ", rev+1)
				return nil
			})
			if err != nil {
				t.Error(err)
				return
			}
			acked.Store(p.Revision)
		}
	}()
	var readers sync.WaitGroup
	for g := 0; g < 16; g++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for i := 0; i < 60; i++ {
				id := int64(1 + (g*7+i)%(problems+3)) // a few ids past the last problem
				before := acked.Load()
				p, err := s.GetProblem(ctx, id)
				switch {
				case id > problems:
					if fault.CodeOf(err) != fault.NotFound {
						t.Errorf("GET PRB-%d: %v, want NotFound", id, err)
					}
				case err != nil:
					t.Errorf("GET PRB-%d: %v", id, err)
				case p.ID != fmt.Sprint("PRB-", id):
					t.Errorf("GET PRB-%d answered %s", id, p.ID)
				case id == 1 && p.Revision < before:
					t.Errorf("GET PRB-1 returned revision %d after revision %d was acknowledged", p.Revision, before)
				case id != 1 && p.Title != fmt.Sprint("problem ", id):
					t.Errorf("GET PRB-%d has title %q", id, p.Title)
				}
			}
		}()
	}
	readers.Wait()
	close(stop)
	writer.Wait()
}

// TestGetProblemSeesOtherReplicas: a GET answered from this replica's
// cache of problems (PostgreSQL) is never older than a change another
// replica committed before the GET started, nor than a change to another
// record; a caller that edits what it got does not change the next answer.
func TestGetProblemSeesOtherReplicas(t *testing.T) {
	dsn := storetest.DSN(t)
	ctx := context.Background()
	clock := &storetest.Clock{T: storetest.Start}
	s, replica := openReplica(t, dsn, clock), openReplica(t, dsn, clock)
	seed(t, s)
	for i := 1; i <= 2; i++ {
		if _, err := s.CreateProblem(ctx, alice, problem.Problem{Title: fmt.Sprint("problem ", i), Priority: 2,
			CIs: []string{"checkout-api"}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	get := func(id int64) problem.Problem {
		t.Helper()
		p, err := s.GetProblem(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for rev := int64(1); rev <= 3; rev++ {
		p := get(1)
		get(1) // answered from the cache on PostgreSQL
		if p.Revision != rev || p.Title != fmt.Sprint("title ", rev) && rev > 1 {
			t.Fatalf("GET PRB-1 = revision %d %q, want revision %d", p.Revision, p.Title, rev)
		}
		p.Title, p.CIs[0] = "edited by the caller", "x"
		if again := get(1); again.Title == p.Title || again.CIs[0] != "checkout-api" {
			t.Fatalf("a caller's edit reached the next GET: %+v", again)
		}
		if _, err := replica.UpdateProblem(ctx, alice, 1, rev, "problem.update", func(p *problem.Problem, _ store.ProblemContext) error {
			p.Title = fmt.Sprint("title ", rev+1)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := replica.UpdateProblem(ctx, alice, 2, 1, "problem.update", func(p *problem.Problem, _ store.ProblemContext) error {
		p.Title = "changed on the replica"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if p := get(2); p.Title != "changed on the replica" || p.Revision != 2 {
		t.Fatalf("GET PRB-2 after the replica's update = %+v", p)
	}
}

// openReplica opens one more store on the database dsn (as another replica
// would), closed when the test ends.
func openReplica(t *testing.T, dsn string, clock *storetest.Clock) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn, store.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
