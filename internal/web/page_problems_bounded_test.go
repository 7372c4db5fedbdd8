package web

import (
	"fmt"
	"html"
	"regexp"
	"slices"
	"testing"

	"fixgate/internal/store"
)

// TestProblemsRareCombinationReadsOnPageByPage: a status and a priority
// that each select more than store.ProblemScan problems but few together:
// a page says how far it read and links on, and following the links lists
// exactly the problems matching both, in id order.
func TestProblemsRareCombinationReadsOnPageByPage(t *testing.T) {
	defer func(n int) { store.ProblemScan = n }(store.ProblemScan)
	store.ProblemScan = 3
	tw := newTestWeb(t)
	var want []string
	for i := 1; i <= 12; i++ { // all new; priority 1 for PRB-1, 2, 3, 10
		prio := 2
		if i <= 3 || i == 10 {
			prio, want = 1, append(want, fmt.Sprint("PRB-", i))
		}
		tw.apiCall("pm", "POST", "/api/v1/problems", fmt.Sprintf(`{"title":"p%d","priority":%d}`, i, prio), 201)
	}
	aud := tw.user("aud")
	var got []string
	path, bounded := "/problems?status=new&priority=1", 0
	for pages := 0; path != "" && pages < 20; pages++ {
		p := aud.get(path)
		for _, m := range regexp.MustCompile(`<a href="/problems/(PRB-\d+)">`).FindAllStringSubmatch(p.body, -1) {
			got = append(got, m[1])
		}
		if regexp.MustCompile(`this page read 3 problems of the \w+ filter, up to PRB-\d+`).MatchString(p.body) {
			bounded++
		}
		path = ""
		if m := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(p.body); m != nil {
			path = html.UnescapeString(m[1])
		}
	}
	if !slices.Equal(got, want) || bounded == 0 {
		t.Fatalf("walked %v (%d pages said they were bounded), want %v", got, bounded, want)
	}
}
