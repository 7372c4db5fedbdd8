package web

import (
	"context"
	"fmt"
	"html"
	"regexp"
	"slices"
	"testing"

	"fixgate/internal/audit"
	"fixgate/internal/problem"
	"fixgate/internal/store"
)

// TestAuditRareCombinationReadsOnPageByPage: an actor and an action that
// each select more than store.AuditScan events but few together: the first
// page says how far it read and links on, and following the links lists
// exactly the matching events, newest first.
func TestAuditRareCombinationReadsOnPageByPage(t *testing.T) {
	defer func(n int) { store.AuditScan = n }(store.AuditScan)
	store.AuditScan = 5
	tw := newTestWeb(t)
	ctx := context.Background()
	tw.apiCall("pm", "POST", "/api/v1/problems", `{"title":"by pm","priority":2}`, 201)
	ps := make([]problem.Problem, 20)
	for i := range ps {
		ps[i] = problem.Problem{Title: fmt.Sprint("problem ", i), Priority: 4}
	}
	if _, err := tw.store.CreateProblems(ctx, audit.System("test"), ps); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 8; i++ {
		tw.apiCall("pm", "POST", "/api/v1/problems", fmt.Sprintf(`{"title":"pm %d","priority":3}`, i), 201)
	}
	all, err := tw.store.ListAuditEvents(ctx, store.AuditFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var want []int64
	for _, e := range all {
		if e.Actor == "system" && e.Action == "problem.create" {
			want = append(want, e.Seq)
		}
	}
	aud := tw.user("aud")
	var got []int64
	path, bounded := "/audit?action=problem.create&actor=system", 0
	for pages := 0; path != "" && pages < 20; pages++ {
		p := aud.get(path)
		got = append(got, auditSeqs(t, p)...)
		if regexp.MustCompile(`this page read 5 events of the \w+ filter, back to`).MatchString(p.body) {
			bounded++
		}
		path = ""
		if m := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(p.body); m != nil {
			path = html.UnescapeString(m[1])
		}
	}
	if len(want) != 20 || !slices.Equal(got, want) || bounded == 0 {
		t.Fatalf("walked %v (%d pages said they were bounded), want %v", got, bounded, want)
	}
}
