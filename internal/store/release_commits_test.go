package store_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"fixgate/internal/fault"
	"fixgate/internal/report"
	"fixgate/internal/store/storetest"
)

// TestReleaseCommitsBinThePatterns: a release's recorded git range is a
// compare-and-set on its revision with its audit event, the same range
// again changes nothing, a refusal writes nothing; the patterns report
// bins the deployments of releases with a recorded count by it, the
// others stay "unknown".
func TestReleaseCommitsBinThePatterns(t *testing.T) {
	s, clock := storetest.Open(t)
	patternsScenario(t, s, clock)
	ctx := context.Background()
	n0 := relAuditCount(t, s)
	_, err := s.SetReleaseCommits(ctx, bob, 2, 0, "v1.0.1", "v1.0.2", -1)
	relWantField(t, err, "commits")
	_, err = s.SetReleaseCommits(ctx, bob, 2, 0, "v1.0.1", "", 3)
	relWantField(t, err, "to")
	_, err = s.SetReleaseCommits(ctx, bob, 2, 99, "v1.0.1", "v1.0.2", 30)
	relWantCode(t, err, fault.PreconditionFailed)
	_, err = s.SetReleaseCommits(ctx, bob, 99, 0, "v1.0.1", "v1.0.2", 30)
	relWantCode(t, err, fault.NotFound)
	if _, err := s.GetReleaseCommits(ctx, 2); fault.CodeOf(err) != fault.NotFound || relAuditCount(t, s) != n0 {
		t.Fatalf("refusals wrote: %v", err)
	}
	before, _ := s.GetRelease(ctx, 2)
	rc, err := s.SetReleaseCommits(ctx, bob, 2, before.Revision, "v1.0.1", "v1.0.2", 30)
	if err != nil || rc.Commits != 30 || rc.Revision != before.Revision+1 || rc.RecordedBy != "bob" || relAuditCount(t, s) != n0+1 {
		t.Fatalf("record: %+v %v", rc, err)
	}
	if after, _ := s.GetRelease(ctx, 2); after.Revision != rc.Revision {
		t.Fatalf("release at %d, record says %d", after.Revision, rc.Revision)
	}
	if again, err := s.SetReleaseCommits(ctx, bob, 2, 0, "v1.0.1", "v1.0.2", 30); err != nil || again.Revision != rc.Revision ||
		relAuditCount(t, s) != n0+1 {
		t.Fatalf("the same range again: %+v %v", again, err)
	}
	if _, err := s.SetReleaseCommits(ctx, bob, 1, 0, "v1.0.0", "v1.0.1", 4); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetReleaseCommits(ctx, 1); err != nil || got.From != "v1.0.0" || got.To != "v1.0.1" || got.Commits != 4 {
		t.Fatalf("stored: %+v %v", got, err)
	}
	p, err := s.PatternsReport(ctx, 90*24*time.Hour, "", "")
	if err != nil {
		t.Fatal(err)
	}
	var commits report.Binned
	for _, b := range p.Size {
		if b.Dimension == report.DimCommits {
			commits = b
		}
	}
	want := map[string]string{"<=5": "0/1 []", "6-20": "0/0 []", ">20": "1/1 [DEP-2]", "unknown": "1/1 [DEP-4]"}
	for _, b := range commits.Bins {
		if got := fmtCount(b.Failure); got != want[b.Bin] {
			t.Errorf("commits bin %s: %s, want %s", b.Bin, got, want[b.Bin])
		}
	}
	if len(commits.Bins) != 4 {
		t.Fatalf("commits bins %+v", commits.Bins)
	}
}

// fmtCount is "failed/total [ids]".
func fmtCount(c report.FailureCount) string {
	return strconv.FormatInt(c.Failed, 10) + "/" + strconv.FormatInt(c.Total, 10) + " [" + strings.Join(c.Deployments, " ") + "]"
}
