package matcher

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

func TestIndexMatch(t *testing.T) {
	ix := NewIndex()
	ix.Add(1, MustParse(`{alertname="HighErrorRate",service="checkout"}`))
	ix.Add(2, MustParse(`{alertname="HighErrorRate",service="payments"}`))
	ix.Add(3, MustParse(`{service="checkout",env=~"prod-.*"}`))     // keyed on service
	ix.Add(4, MustParse(`{env=~"prod-.*",code=~"5.."}`))            // scan list
	ix.Add(5, MustParse(`{alertname="HighErrorRate",region=""}`))   // region absent
	ix.Add(6, MustParse(`{region="",env="prod-eu",code!="500"}`))   // keyed on env, not on region=""
	ix.Add(7, MustParse(`{alertname="DiskFull"}`))                  //
	ix.Add(8, MustParse(`{alertname="HighErrorRate",code!~"5.."}`)) //
	if keyed, _, scanned := ix.Stats(); keyed != 7 || scanned != 1 {
		t.Fatalf("keyed %d, scanned %d; want 7 and 1", keyed, scanned)
	}
	for _, tc := range []struct {
		labels map[string]string
		want   []int64
	}{
		{map[string]string{"alertname": "HighErrorRate", "service": "checkout", "env": "prod-eu", "code": "503"}, []int64{1, 3, 4, 5, 6}},
		{map[string]string{"alertname": "HighErrorRate", "service": "payments", "env": "staging", "code": "404"}, []int64{2, 5, 8}},
		{map[string]string{"alertname": "HighErrorRate", "service": "payments", "region": "eu"}, []int64{2, 8}},
		{map[string]string{"alertname": "DiskFull"}, []int64{7}},
		{map[string]string{"alertname": "diskfull"}, nil},
		{map[string]string{"env": "prod-us", "code": "502"}, []int64{4}},
		{map[string]string{}, nil},
		{nil, nil},
	} {
		if got := ix.Match(tc.labels); !slices.Equal(got, tc.want) {
			t.Errorf("Match(%v) = %v, want %v", tc.labels, got, tc.want)
		}
	}
}

func TestIndexRemoveAndReplace(t *testing.T) {
	ix := NewIndex()
	ix.Add(1, MustParse(`{alertname="A"}`))
	ix.Add(2, MustParse(`{alertname="A",svc="x"}`))
	ix.Add(3, MustParse(`{svc=~"x|y"}`))
	lbl := map[string]string{"alertname": "A", "svc": "x"}
	if got := ix.Match(lbl); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Fatalf("before: %v", got)
	}
	ix.Remove(1)
	ix.Remove(3)
	ix.Remove(99) // unknown: no effect
	if got := ix.Match(lbl); !slices.Equal(got, []int64{2}) {
		t.Fatalf("after remove: %v", got)
	}
	ix.Add(2, MustParse(`{alertname="B"}`)) // replace: the old selector is gone
	if got := ix.Match(lbl); len(got) != 0 {
		t.Fatalf("after replace: %v", got)
	}
	if got := ix.Match(map[string]string{"alertname": "B"}); !slices.Equal(got, []int64{2}) {
		t.Fatalf("replacement not found: %v", got)
	}
	if sel, ok := ix.Get(2); !ok || sel.String() != `{alertname="B"}` || ix.Len() != 1 {
		t.Fatalf("Get/Len: %v %v %d", sel, ok, ix.Len())
	}
	if keyed, keys, scanned := ix.Stats(); keyed != 1 || keys != 1 || scanned != 0 {
		t.Fatalf("stats %d %d %d: stale postings left behind", keyed, keys, scanned)
	}
}

// TestHotAlertnameSpreads checks that many signatures sharing one generic
// alertname are not all filed under it.
func TestHotAlertnameSpreads(t *testing.T) {
	ix := NewIndex()
	for i := range 1000 {
		ix.Add(int64(i+1), MustParse(fmt.Sprintf(`{alertname="KubePodCrashLooping",service="svc-%d"}`, i)))
	}
	if n := len(ix.postings[pair{"alertname", "KubePodCrashLooping"}]); n > 1 {
		t.Fatalf("%d signatures filed under the shared alertname", n)
	}
	got := ix.Match(map[string]string{"alertname": "KubePodCrashLooping", "service": "svc-500"})
	if !slices.Equal(got, []int64{501}) {
		t.Fatalf("got %v", got)
	}
}

// TestIndexAgreesWithScan compares the index with evaluating every
// signature, on random signatures and label sets.
func TestIndexAgreesWithScan(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ix := NewIndex()
	all := map[int64]Selector{}
	for id := int64(1); id <= 2000; id++ {
		sel := randomSelector(r)
		ix.Add(id, sel)
		all[id] = sel
		if r.IntN(10) == 0 { // churn
			victim := int64(r.IntN(int(id)) + 1)
			ix.Remove(victim)
			delete(all, victim)
		}
	}
	for range 1000 {
		lbl := randomLabels(r)
		var want []int64
		for id, sel := range all {
			if sel.Matches(lbl) {
				want = append(want, id)
			}
		}
		slices.Sort(want)
		if got := ix.Match(lbl); !slices.Equal(got, want) {
			t.Fatalf("Match(%v) = %v, scan gives %v", lbl, got, want)
		}
	}
}

func randomSelector(r *rand.Rand) Selector {
	names := []string{"alertname", "service", "env", "code", "region"}
	vals := []string{"a", "b", "c", ""}
	ops := []Op{Equal, Equal, Equal, NotEqual, Regex, NotRegex}
	for {
		var ms []Matcher
		for range 1 + r.IntN(3) {
			op := ops[r.IntN(len(ops))]
			v := vals[r.IntN(len(vals))]
			if op == Regex || op == NotRegex {
				v = []string{"a|b", ".*", ".+", "c?"}[r.IntN(4)]
			}
			m, _ := New(names[r.IntN(len(names))], op, v)
			ms = append(ms, m)
		}
		sel, err := Parse(Canonical(ms).String())
		if err == nil {
			return sel
		}
	}
}

func randomLabels(r *rand.Rand) map[string]string {
	lbl := map[string]string{}
	for _, n := range []string{"alertname", "service", "env", "code", "region"} {
		if r.IntN(4) > 0 {
			lbl[n] = []string{"a", "b", "c", ""}[r.IntN(4)]
		}
	}
	return lbl
}

func TestIndexConcurrentUse(t *testing.T) {
	ix := NewIndex()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 500 {
				id := int64(w*1000 + i)
				ix.Add(id, MustParse(fmt.Sprintf(`{alertname="A%d"}`, i%7)))
				ix.Match(map[string]string{"alertname": "A3"})
				if i%3 == 0 {
					ix.Remove(id)
				}
			}
		})
	}
	wg.Wait()
	if got := len(ix.Match(map[string]string{"alertname": "A3"})); got == 0 {
		t.Fatal("nothing matched after concurrent adds")
	}
}

// buildIndex files n problems × 3 signatures, the mix a real KEDB has: most
// keyed on a specific alertname, some on a shared generic alertname with a
// service, and a fixed handful without any equality matcher.
func buildIndex(n int) *Index {
	ix := NewIndex()
	id := int64(0)
	for p := range n {
		for _, s := range []string{
			fmt.Sprintf(`{alertname="Err%d",env=~"prod-.*"}`, p),
			fmt.Sprintf(`{alertname="KubePodCrashLooping",service="svc-%d",code!~"4.."}`, p),
			fmt.Sprintf(`{alertname="HighLatency",service="svc-%d",route=~"/api/.*"}`, p),
		} {
			id++
			ix.Add(id, MustParse(s))
		}
	}
	for i := range 5 {
		id++
		ix.Add(id, MustParse(fmt.Sprintf(`{service=~"batch-%d",code=~"5.."}`, i)))
	}
	return ix
}

func benchMatch(b *testing.B, n int) {
	ix := buildIndex(n)
	alerts := make([]map[string]string, 64)
	for i := range alerts {
		p := i * n / len(alerts)
		alerts[i] = map[string]string{"alertname": "KubePodCrashLooping", "service": fmt.Sprintf("svc-%d", p),
			"env": "prod-eu", "code": "503", "route": "/api/orders", "instance": "10.0.0.1:8080", "severity": "critical"}
	}
	if got := ix.Match(alerts[1]); len(got) != 1 {
		b.Fatalf("benchmark alert matched %v", got)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ix.Match(alerts[i%len(alerts)])
	}
}

// BenchmarkMatch100 and BenchmarkMatch10k: the issue requires the rate with
// 10k problems within 1.5× of the rate with 100.
func BenchmarkMatch100(b *testing.B) { benchMatch(b, 100) }
func BenchmarkMatch10k(b *testing.B) { benchMatch(b, 10_000) }

// candidates counts the signatures Match evaluates for labels.
func (ix *Index) candidates(labels map[string]string) int {
	n := len(ix.scan)
	for name, value := range labels {
		n += len(ix.postings[pair{name, value}])
	}
	return n
}

// TestMatchWorkIndependentOfSize is the deterministic side of the
// benchmarks: Match evaluates the same few candidates with 100 problems and
// with 10k, never the whole index.
func TestMatchWorkIndependentOfSize(t *testing.T) {
	small, large := buildIndex(100), buildIndex(10_000)
	for _, p := range []int{0, 1, 50, 99} {
		lbl := map[string]string{"alertname": "KubePodCrashLooping", "service": fmt.Sprintf("svc-%d", p),
			"env": "prod-eu", "code": "503", "route": "/api/orders"}
		cs, cl := small.candidates(lbl), large.candidates(lbl)
		if cl > 10 || cl > cs+2 {
			t.Errorf("svc-%d: %d candidates with 10k problems, %d with 100", p, cl, cs)
		}
		if got := large.Match(lbl); len(got) != 1 {
			t.Errorf("svc-%d: matched %v", p, got)
		}
	}
	if keyed, _, scanned := large.Stats(); keyed != 30_000 || scanned != 5 {
		t.Fatalf("keyed %d scanned %d", keyed, scanned)
	}
}
