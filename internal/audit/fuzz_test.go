package audit

import (
	"encoding/json"
	"testing"
)

// FuzzCheckInclusion feeds mutated proofs (event, index, hashes and signed
// checkpoint) to the offline checker: it must never panic, and whatever it
// accepts must say exactly what the genuine proof says.
func FuzzCheckInclusion(f *testing.F) {
	genuine, pub := inclusion(f, 37, 11)
	want, err := CheckInclusion(genuine, pub)
	if err != nil {
		f.Fatal(err)
	}
	raw, _ := json.Marshal(genuine)
	f.Add(raw)
	f.Add([]byte(`{"event":{"seq":1},"leaf_index":0,"hashes":[],"checkpoint":""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p InclusionProof
		if json.Unmarshal(data, &p) != nil {
			return
		}
		cp, err := CheckInclusion(p, pub)
		if err != nil {
			return
		}
		e, g := p.Event, genuine.Event
		e.At, g.At = e.At.UTC(), g.At.UTC()
		if cp != want || p.LeafIndex != genuine.LeafIndex || e.Canonical() == nil || string(e.Canonical()) != string(g.Canonical()) {
			t.Fatalf("accepted a mutated proof: %s", data)
		}
	})
}

// FuzzOpenCheckpoint feeds mutated signed checkpoints to the parser and
// signature check: no panic, and nothing accepted but the genuine content.
func FuzzOpenCheckpoint(f *testing.F) {
	genuine, pub := inclusion(f, 20, 3)
	want, err := OpenCheckpoint([]byte(genuine.Checkpoint), pub)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(genuine.Checkpoint))
	f.Add([]byte("fixgate.test/audit\n20\nAAAA\n\n— fixgate.test/audit AAAA\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseCheckpoint(string(data))
		cp, err := OpenCheckpoint(data, pub)
		if err == nil && cp != want {
			t.Fatalf("accepted a forged checkpoint %+v: %q", cp, data)
		}
	})
}
