package store

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// TestVersionReaderNeverAnswersWithAnOlderRead: a caller that asks while a
// read is in flight waits for the next read, which starts after it asked;
// callers queued together share one read.
func TestVersionReaderNeverAnswersWithAnOlderRead(t *testing.T) {
	var r versionReader
	var reads atomic.Int64
	release := make(chan struct{})
	read := func(context.Context) (int64, error) {
		n := reads.Add(1)
		<-release
		return n, nil
	}
	ctx := context.Background()
	first := make(chan int64)
	go func() { v, _ := r.get(ctx, read); first <- v }()
	for reads.Load() != 1 { // read 1 is in flight
		time.Sleep(time.Millisecond)
	}
	late := make(chan int64, 3)
	for range 3 {
		go func() { v, _ := r.get(ctx, read); late <- v }()
	}
	for { // the three are queued behind read 1
		r.mu.Lock()
		n := len(r.waiting)
		r.mu.Unlock()
		if n == 3 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	release <- struct{}{}
	if v := <-first; v != 1 {
		t.Fatalf("first caller got read %d", v)
	}
	release <- struct{}{}
	for range 3 {
		if v := <-late; v != 2 {
			t.Fatalf("a caller that asked during read 1 got read %d, want 2", v)
		}
	}
	if reads.Load() != 2 {
		t.Fatalf("%d reads for two batches", reads.Load())
	}
}
