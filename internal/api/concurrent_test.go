package api

import (
	"fmt"
	"strconv"
	"sync"
	"testing"
)

// Two PATCHes of one problem sent at once with the same If-Match: exactly
// one is answered 200, the other 412, and the stored problem is the
// winner's at the next revision with one audit event (on PostgreSQL both
// used to be answered 200).
func TestConcurrentProblemPatchesSameIfMatch(t *testing.T) {
	ta := newTestAPI(t)
	ta.must("eng", "POST", "/api/v1/problems", `{"title":"Checkout 500s","priority":2}`, 201)
	for round := range 10 {
		rev := round + 1
		before := ta.auditCount()
		titles := []string{fmt.Sprintf("w0 round %d", round), fmt.Sprintf("w1 round %d", round)}
		var got [2]resp
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				got[i] = ta.do("eng", "PATCH", "/api/v1/problems/PRB-1", `{"title":"`+titles[i]+`"}`, `If-Match: "`+strconv.Itoa(rev)+`"`)
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		if got[1].status == 200 {
			won = 1
		}
		if got[won].status != 200 || got[1-won].status != 412 {
			t.Fatalf("round %d: statuses %d and %d, want one 200 and one 412", round, got[0].status, got[1].status)
		}
		ta.problem(got[1-won], 412, "")
		p := ta.must("aud", "GET", "/api/v1/problems/PRB-1", "", 200)
		if p["title"] != titles[won] || p["revision"] != float64(rev+1) {
			t.Fatalf("round %d: stored %v at revision %v, want %q at %d", round, p["title"], p["revision"], titles[won], rev+1)
		}
		if n := ta.auditCount() - before; n != 1 {
			t.Fatalf("round %d: %d audit events, want 1", round, n)
		}
	}
}
