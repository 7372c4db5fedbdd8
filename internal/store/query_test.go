package store

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestBatchGetterGroupsConcurrentReads: every caller gets its own record or
// found=false, concurrent callers share fetches, at most maxBatchRunners
// fetches run at once and none carries more than maxBatch ids.
func TestBatchGetterGroupsConcurrentReads(t *testing.T) {
	var b batchGetter[int64]
	var inFlight, maxInFlight, fetches atomic.Int64
	var mu sync.Mutex
	largest := 0
	fetch := func(ids []int64) (map[int64]int64, error) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := maxInFlight.Load(); n > m && !maxInFlight.CompareAndSwap(m, n); m = maxInFlight.Load() {
		}
		fetches.Add(1)
		mu.Lock()
		largest = max(largest, len(ids))
		mu.Unlock()
		time.Sleep(time.Millisecond)
		out := map[int64]int64{}
		for _, id := range ids {
			if id%7 != 0 { // multiples of 7 do not exist
				out[id] = id * 10
			}
		}
		return out, nil
	}
	const callers = 400
	var wg sync.WaitGroup
	for i := int64(1); i <= callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, found, err := b.get(i, fetch)
			if err != nil || found != (i%7 != 0) || (found && v != i*10) {
				t.Errorf("get(%d) = %d, %v, %v", i, v, found, err)
			}
		}()
	}
	wg.Wait()
	if f := fetches.Load(); f >= callers {
		t.Errorf("%d fetches for %d concurrent callers: nothing was batched", f, callers)
	}
	if m := maxInFlight.Load(); m > maxBatchRunners {
		t.Errorf("%d fetches in flight, limit %d", m, maxBatchRunners)
	}
	if largest > maxBatch {
		t.Errorf("a fetch carried %d ids, limit %d", largest, maxBatch)
	}
	if b.running != 0 || len(b.pending) != 0 {
		t.Errorf("after the calls: %d running, %d pending", b.running, len(b.pending))
	}
}

// TestBatchGetterErrors: a fetch error reaches every caller of that batch; a
// fetch that panics fails its batch's other callers instead of leaving them
// waiting, and frees its slot for the next calls.
func TestBatchGetterErrors(t *testing.T) {
	var b batchGetter[int64]
	boom := errors.New("boom")
	if _, _, err := b.get(1, func([]int64) (map[int64]int64, error) { return nil, boom }); err != boom {
		t.Fatalf("fetch error: got %v", err)
	}
	inFetch, release := make(chan struct{}), make(chan struct{})
	panicking := func([]int64) (map[int64]int64, error) {
		select {
		case inFetch <- struct{}{}:
		default:
		}
		<-release
		panic("fetch bug")
	}
	const waiters = 6
	errs := make(chan error, waiters+1)
	var wg sync.WaitGroup
	call := func(id int64) {
		defer wg.Done()
		defer func() { recover() }() // a runner's own call panics
		_, _, err := b.get(id, panicking)
		errs <- err
	}
	wg.Add(1)
	go call(0)
	<-inFetch // every slot is taken: the next callers queue
	for i := int64(1); i <= waiters; i++ {
		wg.Add(1)
		go call(i)
	}
	for {
		b.mu.Lock()
		n := len(b.pending)
		b.mu.Unlock()
		if n == waiters {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	close(errs)
	got := 0
	for err := range errs {
		got++
		if err != errBatchAborted {
			t.Errorf("caller of a panicking batch got %v", err)
		}
	}
	if got < waiters-maxBatchRunners { // the runners of the queued batches panic themselves
		t.Errorf("%d callers answered, want at least %d", got, waiters-maxBatchRunners)
	}
	if v, found, err := b.get(3, func(ids []int64) (map[int64]int64, error) { return map[int64]int64{3: 30}, nil }); v != 30 || !found || err != nil {
		t.Fatalf("after the panics: %d, %v, %v", v, found, err)
	}
	if b.running != 0 {
		t.Fatalf("%d slots still taken", b.running)
	}
}
