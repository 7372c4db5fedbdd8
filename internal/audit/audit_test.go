package audit

import (
	"strings"
	"testing"
	"time"
)

func chain(n int) []Event {
	evs := make([]Event, n)
	prev := GenesisHash
	for i := range evs {
		evs[i] = Event{Seq: int64(i + 1), At: time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC), Actor: "alice", Role: "admin",
			Action: "problem.create", RecordType: "problem", RecordID: "PRB-1", RecordVersion: 1, After: `{"a":1}`}
		evs[i].Seal(prev)
		prev = evs[i].Hash
	}
	return evs
}

func verify(evs []Event, headSeq int64, headHash string) (int64, *Broken) {
	v := NewVerifier()
	for i := range evs {
		if b := v.Add(&evs[i]); b != nil {
			return 0, b
		}
	}
	return v.Finish(headSeq, headHash)
}

func TestVerifyIntactChain(t *testing.T) {
	evs := chain(5)
	n, b := verify(evs, 5, evs[4].Hash)
	if b != nil || n != 5 {
		t.Fatalf("got %d, %v; want 5 verified", n, b)
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	cases := map[string]struct {
		mutate func([]Event) []Event
		seq    int64
		reason string
	}{
		"edit":    {func(e []Event) []Event { e[2].Actor = "mallory"; return e }, 3, "edited"},
		"delete":  {func(e []Event) []Event { return append(e[:1:1], e[2:]...) }, 3, "sequence"},
		"reorder": {func(e []Event) []Event { e[1], e[2] = e[2], e[1]; return e }, 3, "sequence"},
		"insert": {func(e []Event) []Event {
			x := e[1]
			x.Action = "problem.delete"
			x.Seal(e[1].Hash)
			out := append([]Event{}, e[:2]...)
			return append(append(out, x), e[2:]...)
		}, 2, "sequence"},
		"rehash-edit": {func(e []Event) []Event { e[3].Action = "x"; e[3].Hash = e[3].ComputeHash(); return e }, 5, "prev_hash"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			evs := c.mutate(chain(5))
			_, b := verify(evs, 5, evs[len(evs)-1].Hash)
			if b == nil {
				t.Fatal("tampering not detected")
			}
			if b.Seq != c.seq || !strings.Contains(b.Reason, c.reason) {
				t.Fatalf("got break at %d (%s), want %d containing %q", b.Seq, b.Reason, c.seq, c.reason)
			}
		})
	}
}

func TestVerifyDetectsTruncatedTail(t *testing.T) {
	evs := chain(5)
	_, b := verify(evs[:4], 5, evs[4].Hash)
	if b == nil || !strings.Contains(b.Reason, "removed from the end") {
		t.Fatalf("got %v, want tail truncation", b)
	}
}
