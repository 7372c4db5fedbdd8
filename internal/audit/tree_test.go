package audit

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// memTree is the tlog stored hashes of a chain, in memory.
type memTree []tlog.Hash

func (m memTree) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = m[x]
	}
	return out, nil
}

func storedTree(t testing.TB, evs []Event) memTree {
	var m memTree
	for i := range evs {
		leaf, err := LeafHash(evs[i].Hash)
		if err != nil {
			t.Fatal(err)
		}
		hs, err := tlog.StoredHashesForRecordHash(int64(i), leaf, m)
		if err != nil {
			t.Fatal(err)
		}
		m = append(m, hs...)
	}
	return m
}

func TestTreeBuilderMatchesTlog(t *testing.T) {
	evs := chain(70)
	m := storedTree(t, evs)
	var b TreeBuilder
	for n := 0; n <= len(evs); n++ {
		want, err := tlog.TreeHash(int64(n), m)
		if err != nil {
			t.Fatal(err)
		}
		if got := b.Root(); got != want {
			t.Fatalf("size %d: root %v, tlog says %v", n, got, want)
		}
		if c, ok := TreeSizeForStoredCount(tlog.StoredHashCount(int64(n))); !ok || c != int64(n) {
			t.Fatalf("TreeSizeForStoredCount(%d) = %d, %v", tlog.StoredHashCount(int64(n)), c, ok)
		}
		if n < len(evs) {
			leaf, _ := LeafHash(evs[n].Hash)
			at := tlog.StoredHashCount(int64(n))
			b.AddStored(leaf, func(h tlog.Hash) {
				if m[at] != h {
					t.Fatalf("stored hash %d: %v, tlog says %v", at, h, m[at])
				}
				at++
			})
			if at != tlog.StoredHashCount(int64(n+1)) {
				t.Fatalf("leaf %d: stored up to %d, tlog stores up to %d", n, at, tlog.StoredHashCount(int64(n+1)))
			}
		}
	}
	if _, ok := TreeSizeForStoredCount(2); ok { // sizes 1 and 2 have 1 and 3 stored hashes
		t.Fatal("stored count 2 accepted")
	}
}

func testKey(t testing.TB) (string, string) {
	priv, pub, err := GenerateKey("fixgate.test/audit")
	if err != nil {
		t.Fatal(err)
	}
	return priv, pub
}

func TestCheckpointSignOpen(t *testing.T) {
	priv, pub := testKey(t)
	evs := chain(9)
	m := storedTree(t, evs)
	root, _ := tlog.TreeHash(9, m)
	signed, err := SignCheckpoint(root, 9, priv)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(signed), "fixgate.test/audit\n9\n"+base64.StdEncoding.EncodeToString(root[:])+"\n\n— fixgate.test/audit ") {
		t.Fatalf("not a C2SP checkpoint note:\n%s", signed)
	}
	cp, err := OpenCheckpoint(signed, pub)
	if err != nil || cp.Size != 9 || cp.Root != root {
		t.Fatalf("open: %+v %v", cp, err)
	}
	_, otherPub := testKey(t)
	tampered := strings.Replace(string(signed), "\n9\n", "\n8\n", 1)
	for name, c := range map[string]struct{ note, key string }{
		"size edited": {tampered, pub},
		"other key":   {string(signed), otherPub},
		"unsigned":    {"fixgate.test/audit\n9\n" + base64.StdEncoding.EncodeToString(root[:]) + "\n", pub},
	} {
		if _, err := OpenCheckpoint([]byte(c.note), c.key); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCheckExtension(t *testing.T) {
	evs := chain(40)
	m := storedTree(t, evs)
	root25, _ := tlog.TreeHash(25, m)
	root40, _ := tlog.TreeHash(40, m)
	cp := Checkpoint{Origin: "o", Size: 25, Root: root25}
	proof, err := tlog.ProveTree(40, 25, m)
	if err != nil {
		t.Fatal(err)
	}
	if b := CheckExtension(cp, 40, root40, root25, root40, proof); b != nil {
		t.Fatalf("intact extension refused: %v", b)
	}
	rewritten := chain(40)
	rewritten[3].Actor = "mallory"
	for i := 3; i < 40; i++ {
		prev := GenesisHash
		if i > 0 {
			prev = rewritten[i-1].Hash
		}
		rewritten[i].Seal(prev)
	}
	rm := storedTree(t, rewritten)
	r25, _ := tlog.TreeHash(25, rm)
	r40, _ := tlog.TreeHash(40, rm)
	rp, _ := tlog.ProveTree(40, 25, rm)
	cases := map[string]struct {
		b      *Broken
		reason string
	}{
		"shorter":       {CheckExtension(cp, 20, root40, root25, root40, proof), "removed"},
		"rebuilt":       {CheckExtension(cp, 40, r40, r25, r40, rp), "rewritten"},
		"tree edited":   {CheckExtension(cp, 40, root40, root25, r40, proof), "audit_tree"},
		"proof forged":  {CheckExtension(cp, 40, root40, root25, root40, rp), "consistency"},
		"other root cp": {CheckExtension(Checkpoint{Origin: "o", Size: 25, Root: r25}, 40, root40, root25, root40, proof), "rewritten"},
	}
	for name, c := range cases {
		if c.b == nil || !strings.Contains(c.b.Reason, c.reason) {
			t.Errorf("%s: got %v, want a reason with %q", name, c.b, c.reason)
		}
	}
}

func inclusion(t testing.TB, n, at int) (InclusionProof, string) {
	priv, pub := testKey(t)
	evs := chain(n)
	m := storedTree(t, evs)
	root, _ := tlog.TreeHash(int64(n), m)
	signed, err := SignCheckpoint(root, int64(n), priv)
	if err != nil {
		t.Fatal(err)
	}
	rp, err := tlog.ProveRecord(int64(n), int64(at), m)
	if err != nil {
		t.Fatal(err)
	}
	return NewInclusionProof(evs[at], rp, signed), pub
}

func TestCheckInclusion(t *testing.T) {
	p, pub := inclusion(t, 37, 11)
	raw, _ := json.Marshal(p)
	var back InclusionProof
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if _, err := CheckInclusion(back, pub); err != nil {
		t.Fatalf("valid proof refused: %v", err)
	}
	mut := map[string]func(*InclusionProof){
		"event edited": func(p *InclusionProof) { p.Event.Actor = "mallory" },
		"event resealed": func(p *InclusionProof) {
			p.Event.Action = "problem.delete"
			p.Event.Hash = p.Event.ComputeHash()
		},
		"index moved":  func(p *InclusionProof) { p.LeafIndex++; p.Event.Seq++ },
		"hash dropped": func(p *InclusionProof) { p.Hashes = p.Hashes[1:] },
		"hash swapped": func(p *InclusionProof) { p.Hashes[0], p.Hashes[1] = p.Hashes[1], p.Hashes[0] },
		"checkpoint":   func(p *InclusionProof) { p.Checkpoint = strings.Replace(p.Checkpoint, "\n37\n", "\n38\n", 1) },
	}
	for name, f := range mut {
		q := back
		q.Hashes = append([]string{}, back.Hashes...)
		f(&q)
		if _, err := CheckInclusion(q, pub); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
