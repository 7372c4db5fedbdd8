package api

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strconv"
	"testing"
)

// TestGetProblemAnswerFollowsRevisions: GET answers the same bytes as the
// generic record encoding, and after each change the new revision's
// content, although the previous revision's answer was kept.
func TestGetProblemAnswerFollowsRevisions(t *testing.T) {
	ta := newTestAPI(t)
	ta.must("eng", "POST", "/api/v1/problems", `{"title":"Checkout 500s","priority":2,"cis":["checkout-api"]}`, 201)
	for rev, title := range []string{"Checkout 500s", "Checkout 500s <under load>", "Checkout 500s & timeouts"} {
		if rev > 0 {
			ta.must("eng", "PATCH", "/api/v1/problems/PRB-1", `{"title":"`+title+`"}`, 200, `If-Match: "`+strconv.Itoa(rev)+`"`)
		}
		for range 2 { // the second answer comes from the cache
			r := ta.do("eng", "GET", "/api/v1/problems/PRB-1", "")
			p, err := ta.store.GetProblem(context.Background(), 1)
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			writeRecord(rec, 200, p, p.Revision)
			if r.status != 200 || !bytes.Equal(r.body, rec.Body.Bytes()) || r.header.Get("ETag") != rec.Header().Get("ETag") {
				t.Fatalf("revision %d: GET answered %d %s %s, want %s %s", rev+1, r.status, r.header.Get("ETag"), r.body,
					rec.Header().Get("ETag"), rec.Body.Bytes())
			}
			if got := r.json(t)["title"]; got != title {
				t.Fatalf("revision %d: title %q, want %q", rev+1, got, title)
			}
		}
	}
}
