package web

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/problem"
	"fixgate/internal/store"
)

var auditSeqRE = regexp.MustCompile(`<th scope="row">(\d+)</th>`)

// auditSeqs returns the event numbers an audit page lists, in order.
func auditSeqs(t *testing.T, p page_) []int64 {
	t.Helper()
	if p.status != 200 {
		t.Fatalf("audit page: %d %s", p.status, p.body)
	}
	var out []int64
	for _, m := range auditSeqRE.FindAllStringSubmatch(p.body, -1) {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		out = append(out, n)
	}
	return out
}

// TestAuditFiltersEachNarrowTheLog: record, actor, action and time range
// each select exactly the events that match, newest first.
func TestAuditFiltersEachNarrowTheLog(t *testing.T) {
	tw := newTestWeb(t)
	tw.apiCall("pm", "POST", "/api/v1/problems", `{"title":"First","priority":2}`, 201)
	tw.clock.Advance(2 * time.Hour)
	later := tw.store.Now()
	tw.apiCall("eng", "POST", "/api/v1/problems", `{"title":"Second","priority":3}`, 201)
	tw.apiCall("pm", "POST", "/api/v1/problems/PRB-2/transitions", `{"to":"assess","revision":1}`, 200)
	aud := tw.user("aud")
	ctx := context.Background()
	all, err := tw.store.ListAuditEvents(ctx, auditFilterAll())
	if err != nil {
		t.Fatal(err)
	}
	want := func(keep func(e audit.Event) bool) []int64 {
		var out []int64
		for _, e := range all {
			if keep(e) {
				out = append(out, e.Seq)
			}
		}
		return out
	}
	cases := []struct {
		name  string
		query url.Values
		keep  func(e audit.Event) bool
	}{
		{"record", url.Values{"record_type": {"problem"}, "record_id": {"PRB-2"}}, func(e audit.Event) bool { return e.RecordID == "PRB-2" }},
		{"record id alone", url.Values{"record_id": {"PRB-1"}}, func(e audit.Event) bool { return e.RecordID == "PRB-1" }},
		{"actor", url.Values{"actor": {"eng"}}, func(e audit.Event) bool { return e.Actor == "eng" }},
		{"action", url.Values{"action": {"problem.create"}}, func(e audit.Event) bool { return e.Action == "problem.create" }},
		{"from", url.Values{"from": {later.UTC().Format(auditFormTime)}}, func(e audit.Event) bool { return !e.At.Before(later.Truncate(time.Minute)) }},
		{"until", url.Values{"to": {later.UTC().Format(auditFormTime)}, "actor": {"pm"}},
			func(e audit.Event) bool { return e.At.Before(later.Truncate(time.Minute)) && e.Actor == "pm" }},
	}
	for _, c := range cases {
		got, exp := auditSeqs(t, aud.get("/audit?"+c.query.Encode())), want(c.keep)
		if len(exp) == 0 || len(exp) == len(all) || !slices.Equal(got, exp) {
			t.Errorf("%s: listed %v, want %v (of %d events)", c.name, got, exp, len(all))
		}
	}
	bad := aud.get("/audit?from=yesterday")
	wantAll(t, "bad time", bad, http.StatusBadRequest, `role="alert"`, "from: ")
}

func auditFilterAll() store.AuditFilter { return store.AuditFilter{Limit: 500} }

// TestAuditPagesDoNotOverlap: the cursor walks the whole log newest first,
// each event once.
func TestAuditPagesDoNotOverlap(t *testing.T) {
	tw := newTestWeb(t)
	ps := make([]problem.Problem, 60)
	for i := range ps {
		ps[i] = problem.Problem{Title: fmt.Sprint("problem ", i), Priority: 4}
	}
	if _, err := tw.store.CreateProblems(context.Background(), audit.System("test"), ps); err != nil {
		t.Fatal(err)
	}
	aud := tw.user("aud")
	head, err := tw.store.ReadAuditHead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var seen []int64
	path := "/audit"
	for pages := 0; path != "" && pages < 10; pages++ {
		p := aud.get(path)
		seen = append(seen, auditSeqs(t, p)...)
		path = ""
		if m := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(p.body); m != nil {
			path = html.UnescapeString(m[1])
		}
	}
	if int64(len(seen)) != head.Size || !slices.IsSortedFunc(seen, func(a, b int64) int { return int(b - a) }) {
		t.Fatalf("walked %d events (head %d): %v", len(seen), head.Size, seen)
	}
}

// TestAuditVerifyAndCheckpoint: the page shows the head and the latest
// signed checkpoint; "Verify now" reports an intact chain, and a tampered
// one with the event where it breaks. Only auditors and admins see it.
func TestAuditVerifyAndCheckpoint(t *testing.T) {
	tw := newTestWeb(t)
	ctx := context.Background()
	aud := tw.user("aud")
	wantAll(t, "audit page", aud.get("/audit"), 200, "none signed yet", "Verify the whole chain now")
	priv, _, err := audit.GenerateKey("fixgate-test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tw.store.SignCheckpoint(ctx, priv); err != nil {
		t.Fatal(err)
	}
	head, _ := tw.store.ReadAuditHead(ctx)
	wantAll(t, "with a checkpoint", aud.get("/audit"), 200, fmt.Sprintf("covers %d events", head.Size), "fixgate-test", head.Hash)

	res := aud.post("/audit/verify", nil)
	if res.status != http.StatusSeeOther || !strings.Contains(res.header.Get("Location"), "verified") {
		t.Fatalf("verify: %d %s", res.status, res.header.Get("Location"))
	}
	if _, err := tw.store.DB().ExecContext(ctx, `UPDATE audit_events SET actor = 'mallory' WHERE seq = 3`); err != nil {
		t.Fatal(err)
	}
	broken := aud.post("/audit/verify", nil)
	wantAll(t, "tampered chain", broken, 200, "The audit chain is broken at event 3", `<span class="badge bad">broken</span>`)

	if p := tw.user("pm").get("/audit"); p.status != http.StatusForbidden {
		t.Fatalf("problem manager reads the audit page: %d", p.status)
	}
	if p := tw.user("pm").post("/audit/verify", nil); p.status != http.StatusForbidden {
		t.Fatalf("problem manager verifies: %d", p.status)
	}
}
