package audit

import (
	"encoding/hex"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// The Merkle tree over the audit trail is the RFC 6962 tree of
// golang.org/x/mod/sumdb/tlog: leaf i is event i+1, and its record data is
// the 32 bytes of the event's chain hash (which covers the event's
// canonical encoding and, through prev_hash, every event before it).

// LeafHash returns the tree's leaf hash of an event with chain hash
// chainHash (hex): tlog.RecordHash of its 32 raw bytes.
func LeafHash(chainHash string) (tlog.Hash, error) {
	var raw [32]byte
	if len(chainHash) != 64 {
		return tlog.Hash{}, fmt.Errorf("chain hash %q is not 64 hex digits", chainHash)
	}
	if _, err := hex.Decode(raw[:], []byte(chainHash)); err != nil {
		return tlog.Hash{}, fmt.Errorf("chain hash %q: %w", chainHash, err)
	}
	return tlog.RecordHash(raw[:]), nil
}

// TreeBuilder computes the root of a growing tree from its leaf hashes
// without keeping them: it holds one complete-subtree hash per set bit of
// the size (the frontier), so memory is O(log n).
type TreeBuilder struct {
	n      int64
	levels []tlog.Hash // levels[i]: the complete subtree of 2^i leaves, valid when bit i of n is set
}

// Size returns the number of leaves added.
func (b *TreeBuilder) Size() int64 { return b.n }

// Add appends one leaf hash.
func (b *TreeBuilder) Add(leaf tlog.Hash) { b.AddStored(leaf, nil) }

// AddStored appends one leaf hash and calls stored, if not nil, with the
// hashes tlog stores for it, in tlog's order (tlog.StoredHashes): the leaf,
// then each subtree it completes, bottom up.
func (b *TreeBuilder) AddStored(leaf tlog.Hash, stored func(tlog.Hash)) {
	h, level := leaf, 0
	if stored != nil {
		stored(h)
	}
	for b.n>>level&1 == 1 {
		h = tlog.NodeHash(b.levels[level], h)
		level++
		if stored != nil {
			stored(h)
		}
	}
	if level == len(b.levels) {
		b.levels = append(b.levels, h)
	} else {
		b.levels[level] = h
	}
	b.n++
}

// Root returns the RFC 6962 root hash of the leaves added so far (equal to
// tlog.TreeHash over the same leaves).
func (b *TreeBuilder) Root() tlog.Hash {
	var root tlog.Hash
	first := true
	for i := 0; i < len(b.levels); i++ {
		if b.n>>i&1 == 0 {
			continue
		}
		if first {
			root, first = b.levels[i], false
		} else {
			root = tlog.NodeHash(b.levels[i], root)
		}
	}
	if first {
		root, _ = tlog.TreeHash(0, nil)
	}
	return root
}

// TreeSizeForStoredCount returns the tree size n whose stored hash count
// (tlog.StoredHashCount) is count, or false if no size has that count.
func TreeSizeForStoredCount(count int64) (int64, bool) {
	lo, hi := int64(0), count // StoredHashCount(n) >= n
	for lo < hi {
		mid := lo + (hi-lo)/2
		if tlog.StoredHashCount(mid) < count {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, tlog.StoredHashCount(lo) == count
}

// FoldTree recomputes the tree over leaves, comparing every hash tlog
// stores with stored (the stored tree, by index; a missing row is a zero
// hash), and returns the root and the root at cpSize leaves (zero unless
// 0 <= cpSize <= len(leaves)). b names the first stored hash that differs.
func FoldTree(leaves, stored []tlog.Hash, cpSize int64) (root, atCP tlog.Hash, b *Broken) {
	var t TreeBuilder
	var next int64
	check := func(h tlog.Hash) {
		if b == nil && (next >= int64(len(stored)) || stored[next] != h) {
			b = &Broken{Reason: fmt.Sprintf("stored tree hash %d is missing or does not match the tree recomputed from the events (audit_tree edited)", next)}
		}
		next++
	}
	for i := range leaves {
		if t.Size() == cpSize {
			atCP = t.Root()
		}
		t.AddStored(leaves[i], check)
		if b != nil {
			return root, atCP, b
		}
	}
	if t.Size() == cpSize {
		atCP = t.Root()
	}
	return t.Root(), atCP, nil
}
