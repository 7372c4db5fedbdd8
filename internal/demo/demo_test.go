package demo

import (
	"context"
	"testing"
	"time"

	"fixgate/internal/auth"
	"fixgate/internal/fault"
	"fixgate/internal/policy"
	"fixgate/internal/problem"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

func TestLoadBuildsTheScenario(t *testing.T) {
	dsn := storetest.DSN(t)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	res, err := Load(context.Background(), dsn, now)
	if err != nil {
		t.Fatal(err)
	}
	if res.AdminToken == "" || len(res.Users) < 8 || res.Records < 500 {
		t.Fatalf("result %+v", res)
	}
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	for name, want := range map[string]bool{"carl": true, "admin": true, "ci-bot": false} {
		hash, err := st.PasswordHash(ctx, name)
		if err != nil || auth.CheckPassword(hash, res.Password) != want || len(res.Password) < auth.MinPasswordLength {
			t.Errorf("%s signs in to the web UI with the demo password: %v (want %v, err %v)", name, !want, want, err)
		}
	}
	ps, err := st.ListProblems(ctx, store.ProblemFilter{})
	if err != nil {
		t.Fatal(err)
	}
	meetings, err := st.ListMeetings(ctx, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	held := map[string]int{}
	for _, m := range meetings {
		held[m.Status]++
	}
	if held["closed"] != 1 || held["scheduled"] != 1 || held["canceled"] != 1 {
		t.Errorf("CAB meetings by state: %v (want one closed, one scheduled, one canceled)", held)
	}
	states := map[string]int{}
	for _, p := range ps {
		states[p.Status]++
	}
	for _, s := range problem.Machine.States() {
		if states[s] == 0 {
			t.Errorf("no problem in state %s (have %v)", s, states)
		}
	}
	p1, _ := st.GetProblem(ctx, 1)
	if p1.Status != problem.FixInProgress || !p1.RCA.Validated() || p1.RCA.ValidatedBy == p1.RCA.Author {
		t.Errorf("PRB-1 should be a validated fix in progress: %+v", p1)
	}
	p2, _ := st.GetProblem(ctx, 2)
	if p2.Status != problem.Resolved || p2.ObservationUntil == nil || !p2.ObservationUntil.After(now) {
		t.Errorf("PRB-2 should be resolved with its observation running: %+v", p2)
	}
	incs, _ := st.ListIncidents(ctx, store.IncidentFilter{Problem: 1})
	if len(incs) < 3 {
		t.Errorf("PRB-1 has %d linked incidents", len(incs))
	}
	checklists := 0
	changes, _ := st.ListChanges(ctx, store.ChangeFilter{Page: store.Page{Limit: 500}})
	for _, c := range changes {
		if c.ChangeModel == "" {
			continue
		}
		cl, err := st.ChangeChecklist(ctx, mustID(c.ID), policy.Default())
		if err != nil || len(cl.Items) == 0 || len(cl.Missing) != 0 || cl.Items[0].TickedBy != "erin" || cl.Items[0].Evidence == "" {
			t.Errorf("%s (%s): the demo ticks its checklist: %+v %v", c.ID, c.ChangeModel, cl, err)
		}
		checklists++
	}
	if checklists == 0 {
		t.Error("no demo change has a change model with a checklist")
	}
	if _, err := Load(ctx, dsn, now); fault.CodeOf(err) != fault.Conflict {
		t.Errorf("loading twice: got %v, want conflict", err)
	}
}
