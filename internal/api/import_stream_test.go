package api

import (
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// importBody streams {"rows":[…]} of n rows, each with six labels of
// value bytes, without holding the document in memory; bad(i) may replace
// row i's JSON.
func importBody(n, value int, bad func(i int) string) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		v := strings.Repeat("v", value)
		io.WriteString(pw, `{"rows":[`)
		for i := 0; i < n; i++ {
			if i > 0 {
				io.WriteString(pw, ",")
			}
			row := ""
			if bad != nil {
				row = bad(i)
			}
			if row == "" {
				row = fmt.Sprintf(`{"external_id":"EXT-%d","title":"incident %d","ci":"checkout-api","env":"prod-eu","severity":3,`+
					`"labels":{"a":"%s","b":"%s","c":"%s","d":"%s","e":"%s","f":"%s"}}`, i, i, v, v, v, v, v, v)
			}
			if _, err := io.WriteString(pw, row); err != nil {
				return // the server stopped reading
			}
		}
		io.WriteString(pw, `]}`)
		pw.Close()
	}()
	return pr
}

func (ta *testAPI) postImport(body io.Reader) resp {
	ta.t.Helper()
	req, _ := http.NewRequest("POST", ta.http.URL+"/api/v1/incidents/import", body)
	req.Header.Set("Authorization", "Bearer "+ta.tokens["bot"])
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		ta.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, body: b, header: res.Header}
}

// The streamed import keeps the batch contract across its batches: valid
// rows land, undecodable and invalid rows are reported by their index;
// a broken document (trailing data, too many rows, a key in another case)
// is refused whole and writes nothing.
func TestImportStreamedBatchContract(t *testing.T) {
	ta := newTestAPI(t)
	bad := map[int]string{
		3:    `{"external_id":"B-3","Title":"case variant","ci":"checkout-api","env":"prod-eu","severity":3}`,
		499:  `{"external_id":"B-499","title":"dup","title":"dup","ci":"checkout-api","env":"prod-eu","severity":3}`,
		500:  `{"external_id":"B-500","title":"sev","ci":"checkout-api","env":"prod-eu","severity":9}`,
		777:  `{"external_id":"B-777","title":"t","ci":"checkout-api","env":"prod-eu","severity":"3"}`,
		1100: `{"external_id":"B-1100","title":"t\u0000","ci":"checkout-api","env":"prod-eu","severity":3}`,
		1199: `{"external_id":"","title":"no id","ci":"checkout-api","env":"prod-eu","severity":3}`,
	}
	r := ta.postImport(importBody(1200, 10, func(i int) string { return bad[i] }))
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	out := r.json(t)
	errs := out["errors"].([]any)
	if out["created"] != float64(1200-len(bad)) || len(errs) != len(bad) {
		t.Fatalf("created %v, %d errors, want %d and %d: %v", out["created"], len(errs), 1200-len(bad), len(bad), errs)
	}
	want := []struct {
		row   float64
		field string
	}{{3, "Title"}, {499, "title"}, {500, "severity"}, {777, "severity"}, {1100, "title"}, {1199, "external_id"}}
	for i, w := range want {
		e := errs[i].(map[string]any)
		if e["row"] != w.row || e["field"] != w.field {
			t.Errorf("error %d: %v, want row %v field %s", i, e, w.row, w.field)
		}
	}
	if x := ta.must("aud", "GET", "/api/v1/incidents/INC-1194", "", 200); x["external_id"] != "EXT-1198" {
		t.Fatalf("the last valid row was not stored last: %v", x)
	}
	before := ta.auditCount()
	for _, c := range []struct {
		body  io.Reader
		field string
	}{
		{strings.NewReader(`{"rows":[{"external_id":"N-1","title":"t","ci":"checkout-api","env":"prod-eu","severity":3}]}]`), "body"},
		{strings.NewReader(`{"rows":[{"external_id":"N-1","title":"t","ci":"checkout-api","env":"prod-eu","severity":3}]}}`), "body"},
		{strings.NewReader(`{"Rows":[{"external_id":"N-1","title":"t","ci":"checkout-api","env":"prod-eu","severity":3}]}`), "Rows"},
		{strings.NewReader(`{"rows":[{"external_id":"N-1","title":"t","ci":"checkout-api","env":"prod-eu","severity":3}],"rows":[]}`), "rows"},
		{strings.NewReader(`{"rows":[{"external_id":"N-1","title":"t","ci":"checkout-api","env":"prod-eu","severity":3},{"external_id":`), "rows[1]"},
		{importBody(MaxImportRows+1, 10, nil), "rows"},
	} {
		ta.problem(ta.postImport(c.body), 400, c.field)
	}
	if ta.auditCount() != before {
		t.Fatal("a refused import wrote something")
	}
}

// peakHeap runs f and returns how far the heap in use rose above where it
// started, sampled every millisecond. The collector runs at GOGC=25 meanwhile,
// so that the figure follows live memory rather than uncollected garbage.
func peakHeap(f func()) uint64 {
	defer debug.SetGCPercent(debug.SetGCPercent(25))
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > base && m.HeapInuse-base > peak.Load() {
				peak.Store(m.HeapInuse - base)
			}
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	f()
	close(done)
	return peak.Load()
}

// A 31 MB import (the route takes 32 MiB) and one of 300 KB raise the heap
// alike: the body is streamed row by row, the store gets 200 rows at a
// time. Reading the whole body, as the import did, needs more than the
// body itself on the heap.
func TestImportMemoryBounded(t *testing.T) {
	ta := newTestAPI(t)
	for _, c := range []struct {
		rows, status int
	}{{MaxImportRows + 400, 400}, {MaxImportRows, 200}} {
		ta.postImport(importBody(50, 1000, nil)) // warm up: statement caches, pools
		small := peakHeap(func() {
			if r := ta.postImport(importBody(50, 1000, nil)); r.status != 200 {
				t.Fatalf("small import: %d %s", r.status, r.body)
			}
		})
		large := peakHeap(func() {
			r := ta.postImport(importBody(c.rows, 1000, nil))
			if r.status != c.status {
				t.Fatalf("large import of %d rows: %d %s", c.rows, r.status, r.body[:min(len(r.body), 300)])
			}
			if out := r.json(t); c.status == 200 && (out["created"] != float64(c.rows-50) || len(out["errors"].([]any)) != 0) {
				t.Fatalf("large import: created %v, errors %.300v", out["created"], out["errors"])
			}
		})
		t.Logf("%d rows (%d MB, answered %d): heap rose %d MB; 50 rows: %d MB", c.rows, c.rows*6140>>20, c.status, large>>20, small>>20)
		if large > small+24<<20 {
			t.Errorf("a %d MB import raised the heap by %d MB (50 rows: %d MB): not bounded", c.rows*6140>>20, large>>20, small>>20)
		}
	}
}
