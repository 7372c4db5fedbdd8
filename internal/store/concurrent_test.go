package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"fixgate/internal/auth"
	"fixgate/internal/cab"
	"fixgate/internal/change"
	"fixgate/internal/ci"
	"fixgate/internal/deploy"
	"fixgate/internal/environment"
	"fixgate/internal/fault"
	"fixgate/internal/incident"
	"fixgate/internal/knownerror"
	"fixgate/internal/pir"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
	"fixgate/internal/webhook"
)

// raceRounds is how many rounds of two concurrent writers each record type gets.
const raceRounds = 20

// race runs fs at once (released by one barrier) and returns their errors.
func race(fs ...func() error) []error {
	errs := make([]error, len(fs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, f := range fs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = f()
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// raceCase is one record type: write stores mark in the record guarded by
// ifRev; read returns the stored revision and mark; action is the audit
// action of one write of record (type, id).
type raceCase struct {
	name, recordType, recordID, action string
	write                              func(ctx context.Context, mark string, ifRev int64) error
	read                               func(ctx context.Context) (int64, string, error)
}

// raceCases creates one record of every revisioned type in s and returns
// how to edit and read each.
func raceCases(t *testing.T, s *store.Store) []raceCase {
	t.Helper()
	ctx := context.Background()
	seed(t, s)
	rm := aprActor("rm", auth.ReleaseManager)
	mustDo(t, func() error {
		_, _, err := s.CreateUser(ctx, alice, auth.User{Name: "rm", Roles: []auth.Role{auth.ReleaseManager}})
		return err
	})
	mustDo(t, func() error {
		_, err := s.CreateProblem(ctx, alice, problem.Problem{Title: "p", Priority: 2}, nil)
		return err
	})
	mustDo(t, func() error {
		_, err := s.CreateRelease(ctx, alice, release.Release{Version: "1.0.0", Type: release.Feature})
		return err
	})
	mustDo(t, func() error {
		_, err := s.CreateChange(ctx, alice, change.Change{Title: "c", Type: change.Normal, Release: "REL-1"})
		return err
	})
	mustDo(t, func() error {
		_, err := s.CreateComponent(ctx, alice, ci.Version{CI: "checkout-api", Version: "1.0.0"})
		return err
	})
	mustDo(t, func() error {
		_, err := s.CreateDeployment(ctx, depPipe, deploy.Deployment{Release: "REL-1", Env: "prod-eu"})
		return err
	})
	mustDo(t, func() error {
		_, err := s.CreateKnownError(ctx, alice, knownerror.KnownError{Title: "k", Problem: "PRB-1"})
		return err
	})
	mustDo(t, func() error { _, err := s.CreatePIR(ctx, alice, pir.PIR{Problem: "PRB-1"}); return err })
	mustDo(t, func() error {
		_, err := s.CreateWebhook(ctx, admin, webhook.Subscription{URL: "http://127.0.0.1:9/hook",
			Events: []string{"problem.recurred"}, Active: true, AllowPrivate: true})
		return err
	})
	mustDo(t, func() error {
		_, err := s.CreateMeeting(ctx, rm, cab.Record{Title: "m", ScheduledAt: storetest.Start.Add(48 * 3600e9), Attendees: []string{"rm"}})
		return err
	})
	mustDo(t, func() error { _, err := s.CreateIncident(ctx, alice, newIncident()); return err })
	return []raceCase{
		{"problem", "problem", "PRB-1", "problem.update",
			func(ctx context.Context, m string, rev int64) error {
				_, err := s.UpdateProblem(ctx, alice, 1, rev, "problem.update", func(p *problem.Problem, _ store.ProblemContext) error {
					p.Title = m
					return nil
				})
				return err
			},
			func(ctx context.Context) (int64, string, error) {
				p, err := s.GetProblem(ctx, 1)
				return p.Revision, p.Title, err
			}},
		{"release", "release", "REL-1", "release.update",
			func(ctx context.Context, m string, rev int64) error {
				_, err := s.UpdateRelease(ctx, alice, 1, rev, "release.update", func(r *release.Release) error { r.Title = m; return nil })
				return err
			},
			func(ctx context.Context) (int64, string, error) {
				r, err := s.GetRelease(ctx, 1)
				return r.Revision, r.Title, err
			}},
		{"change", "change", "CHG-1", "change.update",
			func(ctx context.Context, m string, rev int64) error {
				_, err := s.UpdateChange(ctx, alice, 1, rev, "change.update", func(c *change.Change, _ store.ChangeContext) error {
					c.Title = m
					return nil
				})
				return err
			},
			func(ctx context.Context) (int64, string, error) {
				c, err := s.GetChange(ctx, 1)
				return c.Revision, c.Title, err
			}},
		{"ci", "ci", "checkout-api", "ci.update",
			func(ctx context.Context, m string, rev int64) error {
				_, err := s.UpdateCI(ctx, alice, "checkout-api", rev, func(c *ci.CI) error { c.Description = m; return nil })
				return err
			},
			func(ctx context.Context) (int64, string, error) {
				c, err := s.GetCI(ctx, "checkout-api")
				return c.Revision, c.Description, err
			}},
		{"environment", "environment", "prod-eu", "environment.update",
			func(ctx context.Context, m string, rev int64) error {
				_, err := s.UpdateEnvironment(ctx, alice, "prod-eu", rev, func(e *environment.Environment) error {
					e.Tags = []string{m}
					return nil
				})
				return err
			},
			func(ctx context.Context) (int64, string, error) {
				e, err := s.GetEnvironment(ctx, "prod-eu")
				return e.Revision, strings.Join(e.Tags, ","), err
			}},
		{"user", "user", "bob", "user.update",
			func(ctx context.Context, m string, rev int64) error {
				_, err := s.UpdateUser(ctx, alice, "bob", rev, func(u *auth.User) error { u.DisplayName = m; return nil })
				return err
			},
			func(ctx context.Context) (int64, string, error) {
				u, err := s.GetUser(ctx, "bob")
				return u.Revision, u.DisplayName, err
			}},
		{"component version", "component_version", "CV-1", "component.update",
			func(ctx context.Context, m string, rev int64) error {
				_, err := s.UpdateComponent(ctx, alice, "CV-1", rev, func(v *ci.Version) error {
					v.Digest = "sha256:" + fmt.Sprintf("%064x", markNum(m))
					return nil
				})
				return err
			},
			func(ctx context.Context) (int64, string, error) {
				v, err := s.GetComponent(ctx, "CV-1")
				return v.Revision, v.Digest, err
			}},
		{"deployment", "deployment", "DEP-1", "deployment.update",
			func(ctx context.Context, m string, rev int64) error {
				_, err := s.UpdateDeployment(ctx, depPipe, 1, rev, func(d *deploy.Deployment) error {
					d.Path = []deploy.Stage{{Name: m, Weight: 100}}
					return nil
				})
				return err
			},
			func(ctx context.Context) (int64, string, error) {
				d, err := s.GetDeployment(ctx, 1)
				return d.Revision, d.Path[0].Name, err
			}},
		{"known error", "known_error", "KE-1", "known_error.update",
			func(ctx context.Context, m string, rev int64) error {
				_, err := s.UpdateKnownError(ctx, alice, 1, rev, "known_error.update", func(k *knownerror.KnownError, _ store.KnownErrorContext) error {
					k.Title = m
					return nil
				})
				return err
			},
			func(ctx context.Context) (int64, string, error) {
				k, err := s.GetKnownError(ctx, 1)
				return k.Revision, k.Title, err
			}},
		{"PIR", "pir", "PIR-1", "pir.update",
			func(ctx context.Context, m string, rev int64) error {
				_, err := s.UpdatePIR(ctx, alice, 1, rev, "pir.update", func(p *pir.PIR, _ store.PIRContext) error { p.Findings = m; return nil })
				return err
			},
			func(ctx context.Context) (int64, string, error) {
				p, err := s.GetPIR(ctx, 1)
				return p.Revision, p.Findings, err
			}},
		{"webhook", "webhook", "WH-1", "webhook.update",
			func(ctx context.Context, m string, rev int64) error {
				_, err := s.UpdateWebhook(ctx, admin, 1, rev, func(w *webhook.Subscription) error { w.Description = m; return nil })
				return err
			},
			func(ctx context.Context) (int64, string, error) {
				w, err := s.GetWebhook(ctx, 1)
				return w.Revision, w.Description, err
			}},
		{"CAB meeting", "cab_meeting", "CAB-1", "cab.update",
			func(ctx context.Context, m string, rev int64) error {
				_, err := s.UpdateMeeting(ctx, rm, 1, rev, func(r *cab.Record) error { r.Title = m; return nil })
				return err
			},
			func(ctx context.Context) (int64, string, error) {
				r, err := s.GetMeeting(ctx, 1)
				return r.Revision, r.Title, err
			}},
		{"incident", "incident", "INC-1", "incident.update",
			func(ctx context.Context, m string, rev int64) error {
				_, err := s.UpdateIncident(ctx, alice, 1, rev, "incident.update", func(i *incident.Incident, _ store.IncidentContext) error {
					i.Title = m
					return nil
				})
				return err
			},
			func(ctx context.Context) (int64, string, error) {
				i, err := s.GetIncident(ctx, 1)
				return i.Revision, i.Title, err
			}},
	}
}

// markNum makes a number of a mark "wW-rR" for fields that take digits.
func markNum(m string) int {
	var w, r int
	fmt.Sscanf(m, "w%d-r%d", &w, &r)
	return 1 + w + 2*r
}

// countActions returns how many audit events of (recordType, id) have action.
func countActions(t *testing.T, s *store.Store, recordType, id, action string) int {
	t.Helper()
	evs, err := s.AuditEventsFor(context.Background(), recordType, id, 100000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Action == action {
			n++
		}
	}
	return n
}

// TestConcurrentUpdatesSameRevision: of two writers holding the same
// If-Match revision, exactly one wins on every record type, the other gets
// PreconditionFailed and changes nothing (PostgreSQL at READ COMMITTED let
// both win before updates were compare-and-sets).
func TestConcurrentUpdatesSameRevision(t *testing.T) {
	s, _ := storetest.Open(t)
	ctx := context.Background()
	for _, c := range raceCases(t, s) {
		bothWon := 0
		for r := range raceRounds {
			rev, _, err := c.read(ctx)
			if err != nil {
				t.Fatalf("%s: read: %v", c.name, err)
			}
			events := countActions(t, s, c.recordType, c.recordID, c.action)
			marks := []string{fmt.Sprintf("w0-r%d", r), fmt.Sprintf("w1-r%d", r)}
			errs := race(func() error { return c.write(ctx, marks[0], rev) }, func() error { return c.write(ctx, marks[1], rev) })
			won := -1
			switch {
			case errs[0] == nil && errs[1] == nil:
				bothWon++
				continue
			case errs[0] == nil && fault.CodeOf(errs[1]) == fault.PreconditionFailed:
				won = 0
			case errs[1] == nil && fault.CodeOf(errs[0]) == fault.PreconditionFailed:
				won = 1
			default:
				t.Fatalf("%s round %d: want one success and one precondition failure, got %v / %v", c.name, r, errs[0], errs[1])
			}
			got, mark, err := c.read(ctx)
			want := marks[won]
			if c.name == "component version" {
				want = "sha256:" + fmt.Sprintf("%064x", markNum(want))
			}
			if err != nil || got != rev+1 || mark != want {
				t.Fatalf("%s round %d: stored revision %d mark %q (%v), want %d %q", c.name, r, got, mark, err, rev+1, want)
			}
			if n := countActions(t, s, c.recordType, c.recordID, c.action) - events; n != 1 {
				t.Fatalf("%s round %d: %d audit events, want 1", c.name, r, n)
			}
		}
		if bothWon > 0 {
			t.Errorf("%s: both writers won in %d of %d rounds (lost updates)", c.name, bothWon, raceRounds)
		}
	}
	auditCount(t, s) // the chain is intact
}

// TestConcurrentTransitionsSameRevision: two moves of one problem from the
// same revision (to canceled and to assess): exactly one wins, and a
// problem that was canceled stays canceled.
func TestConcurrentTransitionsSameRevision(t *testing.T) {
	s, _ := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	move := func(id int64, to string) func() error {
		return func() error {
			_, err := s.UpdateProblem(ctx, alice, id, 1, "problem.move", func(p *problem.Problem, c store.ProblemContext) error {
				return p.Move(to, "alice", c.Now, 0)
			})
			return err
		}
	}
	bothWon := 0
	for r := range raceRounds {
		p, err := s.CreateProblem(ctx, alice, problem.Problem{Title: fmt.Sprintf("p%d", r), Priority: 3}, nil)
		if err != nil {
			t.Fatal(err)
		}
		id := int64(r + 1)
		errs := race(move(id, problem.Canceled), move(id, problem.Assess))
		got, gerr := s.GetProblem(ctx, id)
		if gerr != nil {
			t.Fatal(gerr)
		}
		if errs[0] == nil && errs[1] == nil {
			bothWon++
			continue
		}
		want := problem.Canceled
		if errs[1] == nil {
			want = problem.Assess
		}
		if (errs[0] == nil) == (errs[1] == nil) || fault.CodeOf(errs[0])+fault.CodeOf(errs[1]) != fault.PreconditionFailed {
			t.Fatalf("round %d: want one success and one precondition failure, got %v / %v", r, errs[0], errs[1])
		}
		if got.Status != want || got.Revision != 2 {
			t.Fatalf("round %d: %s at revision %d, want %s at 2", r, got.Status, got.Revision, want)
		}
		if n := countActions(t, s, "problem", p.ID, "problem.move"); n != 1 {
			t.Fatalf("round %d: %d problem.move events, want 1", r, n)
		}
	}
	if bothWon > 0 {
		t.Errorf("both transitions won in %d of %d rounds (a terminal state undone)", bothWon, raceRounds)
	}
}

// TestConcurrentUpdatesWithoutIfMatch: two writers without If-Match both
// apply, one after the other, each to the revision the other left (no lost
// update, no refusal).
func TestConcurrentUpdatesWithoutIfMatch(t *testing.T) {
	s, _ := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	if _, err := s.CreateProblem(ctx, alice, problem.Problem{Title: "p", Priority: 3}, nil); err != nil {
		t.Fatal(err)
	}
	appendMark := func(m string) func() error {
		return func() error {
			_, err := s.UpdateProblem(ctx, alice, 1, 0, "problem.update", func(p *problem.Problem, _ store.ProblemContext) error {
				p.Description += "[" + m + "]"
				return nil
			})
			return err
		}
	}
	lost := 0
	for r := range raceRounds {
		before, _ := s.GetProblem(ctx, 1)
		m0, m1 := fmt.Sprintf("w0-r%d", r), fmt.Sprintf("w1-r%d", r)
		errs := race(appendMark(m0), appendMark(m1))
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("round %d: %v / %v", r, errs[0], errs[1])
		}
		got, err := s.GetProblem(ctx, 1)
		if err != nil || got.Revision != before.Revision+2 {
			t.Fatalf("round %d: revision %d (%v), want %d", r, got.Revision, err, before.Revision+2)
		}
		if !strings.Contains(got.Description, "["+m0+"]") || !strings.Contains(got.Description, "["+m1+"]") {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("an edit was lost in %d of %d rounds", lost, raceRounds)
	}
	if n := countActions(t, s, "problem", "PRB-1", "problem.update"); n != 2*raceRounds {
		t.Errorf("%d problem.update events, want %d", n, 2*raceRounds)
	}
}
