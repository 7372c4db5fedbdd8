package matcher

import (
	"slices"
	"sync"
)

// Index finds the signatures that match a label set without evaluating every
// signature. Each signature with an equality matcher name="value" (value not
// empty) is filed under one such (name, value) posting key; Match looks up
// the postings of the label set's own pairs and fully verifies only those
// candidates. Signatures without a usable equality matcher (only !=, =~, !~
// or name="") live on a scan list that Match evaluates every time, so keep
// such signatures few.
//
// Key choice: the equality matcher whose posting list is currently the
// shortest, alertname winning ties, then canonical order. With an empty index
// alertname is chosen; once many signatures share a generic alertname (e.g.
// KubePodCrashLooping with different services) the rarer pair is chosen, so
// one hot posting list cannot turn Match back into a scan.
//
// An Index is safe for concurrent use.
type Index struct {
	mu       sync.RWMutex
	entries  map[int64]entry
	postings map[pair][]posting
	scan     []posting
}

type pair struct{ name, value string }

type posting struct {
	id  int64
	sel Selector
}

type entry struct {
	sel   Selector
	key   pair
	keyed bool
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{entries: map[int64]entry{}, postings: map[pair][]posting{}}
}

// Add files sel under id, replacing what id held before. sel should come
// from Parse (canonical, constraining); an empty selector is stored but
// never matches.
func (ix *Index) Add(id int64, sel Selector) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.remove(id)
	e := entry{sel: sel}
	e.key, e.keyed = ix.chooseKey(sel)
	ix.entries[id] = e
	p := posting{id: id, sel: sel}
	if e.keyed {
		ix.postings[e.key] = append(ix.postings[e.key], p)
	} else {
		ix.scan = append(ix.scan, p)
	}
}

// Remove drops id; removing an unknown id does nothing.
func (ix *Index) Remove(id int64) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.remove(id)
}

func (ix *Index) remove(id int64) {
	e, ok := ix.entries[id]
	if !ok {
		return
	}
	delete(ix.entries, id)
	drop := func(p posting) bool { return p.id == id }
	if !e.keyed {
		ix.scan = slices.DeleteFunc(ix.scan, drop)
		return
	}
	if rest := slices.DeleteFunc(ix.postings[e.key], drop); len(rest) > 0 {
		ix.postings[e.key] = rest
	} else {
		delete(ix.postings, e.key)
	}
}

// chooseKey picks the posting key of sel (see Index).
func (ix *Index) chooseKey(sel Selector) (pair, bool) {
	var best pair
	bestLen, found := 0, false
	for _, m := range sel {
		if m.Op != Equal || m.Value == "" {
			continue // name="" matches an absent label: no posting can find it
		}
		k := pair{m.Name, m.Value}
		n := len(ix.postings[k])
		if !found || n < bestLen || n == bestLen && m.Name == "alertname" {
			best, bestLen, found = k, n, true
		}
	}
	return best, found
}

// Match returns the ids of the signatures that labels satisfy, sorted
// ascending. A label absent from labels matches as "".
func (ix *Index) Match(labels map[string]string) []int64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	var out []int64
	for name, value := range labels {
		for _, p := range ix.postings[pair{name, value}] {
			if p.sel.Matches(labels) {
				out = append(out, p.id)
			}
		}
	}
	for _, p := range ix.scan {
		if p.sel.Matches(labels) {
			out = append(out, p.id)
		}
	}
	slices.Sort(out)
	return out
}

// Get returns the selector filed under id.
func (ix *Index) Get(id int64) (Selector, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	e, ok := ix.entries[id]
	return e.sel, ok
}

// Len returns the number of signatures in the index.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.entries)
}

// Stats reports the number of keyed signatures, posting keys and scan-list
// signatures, for /metrics and for tests that check the index is used.
func (ix *Index) Stats() (keyed, keys, scanned int) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.entries) - len(ix.scan), len(ix.postings), len(ix.scan)
}
