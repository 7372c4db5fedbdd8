package deploy

import (
	"slices"
	"testing"
	"time"

	"fixgate/internal/fault"
)

func TestValidatePath(t *testing.T) {
	ok := [][]Stage{
		{{Name: "full", Weight: 100}},
		{{Name: "canary", Weight: 10}, {Name: "half", Weight: 50}, {Name: "full", Weight: 100}},
		{{Name: "one", Weight: 1}, {Name: "all", Weight: 100}},
	}
	for _, p := range ok {
		if err := ValidatePath(p); err != nil {
			t.Errorf("%v: %v", p, err)
		}
	}
	bad := [][]Stage{
		nil,
		{{Name: "canary", Weight: 10}}, // last is not 100
		{{Name: "a", Weight: 50}, {Name: "b", Weight: 50}, {Name: "c", Weight: 100}}, // not strictly increasing
		{{Name: "a", Weight: 60}, {Name: "b", Weight: 40}, {Name: "c", Weight: 100}}, // decreasing
		{{Name: "a", Weight: 0}, {Name: "b", Weight: 100}},                           // weight 0
		{{Name: "a", Weight: 10}, {Name: "b", Weight: 101}},                          // over 100
		{{Name: "a", Weight: 10}, {Name: "a", Weight: 100}},                          // duplicate name
		{{Name: "Canary", Weight: 10}, {Name: "full", Weight: 100}},                  // not a name
		{{Name: "", Weight: 100}},                                                    // empty name
		make([]Stage, MaxStages+1),                                                   // too long
	}
	for _, p := range bad {
		if fe := fault.As(ValidatePath(p)); fe == nil || fe.Field != "path" {
			t.Errorf("%v: got %v, want invalid path", p, fe)
		}
	}
}

func TestParseStage(t *testing.T) {
	if got := PathString([]Stage{{Name: "canary", Weight: 10}, {Name: "full", Weight: 100}}); got != "canary 10% → full 100%" {
		t.Fatalf("PathString %q", got)
	}
	if s, err := ParseStage("stage", "canary:10"); err != nil || s.Name != "canary" || s.Weight != 10 {
		t.Fatalf("%+v %v", s, err)
	}
	if s, err := ParseStage("stage", "canary:10:5m"); err != nil || s.Weight != 10 || time.Duration(s.Duration) != 5*time.Minute {
		t.Fatalf("with duration: %+v %v", s, err)
	}
	for _, in := range []string{"canary", "canary:", "canary:x", "canary:010", "canary:+10", "canary:10:", "canary:10:5x", "canary:10:-1s"} {
		if _, err := ParseStage("stage", in); fault.As(err) == nil || fault.As(err).Field != "stage" {
			t.Errorf("%q: %v", in, err)
		}
	}
}

func TestMachineMoves(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	legal := map[string][]string{
		Pending:     {Running, Blocked, Aborted},
		Blocked:     {Pending, Aborted},
		Running:     {Paused, RollingBack, Succeeded, Failed, Aborted},
		Paused:      {Running, RollingBack, Aborted},
		RollingBack: {RolledBack},
		Succeeded:   {RollingBack}, // within the watch window (below)
	}
	watch := now.Add(time.Hour)
	for _, from := range Machine.States() {
		for _, to := range Machine.States() {
			d := Deployment{ID: "DEP-1", Status: from, Path: DefaultPath(), WatchUntil: &watch}
			err := d.Move(to, now)
			want := slices.Contains(legal[from], to)
			if want != (err == nil) {
				t.Errorf("%s → %s: %v", from, to, err)
			}
			if !want && (fault.CodeOf(err) != fault.Conflict || d.Status != from) {
				t.Errorf("%s → %s refused with %v, status %s", from, to, err, d.Status)
			}
		}
	}
	for _, s := range []string{RolledBack, Failed, Aborted} {
		if !Final(s) || len(Machine.Allowed(s)) != 0 {
			t.Errorf("%s is not final", s)
		}
	}
	if Final(Succeeded) || Final(RollingBack) || Final(Paused) {
		t.Error("succeeded, rolling_back and paused are not final")
	}
}

func TestRollbackOnlyInsideTheWatchWindow(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	until := now.Add(time.Minute)
	d := Deployment{ID: "DEP-1", Status: Succeeded, Path: DefaultPath(), WatchUntil: &until}
	if err := d.Move(RollingBack, until); fault.CodeOf(err) != fault.Conflict || d.Status != Succeeded {
		t.Fatalf("rollback at the window's end: %v", err)
	}
	d.VerifiedAt = &now
	if err := d.Move(RollingBack, now); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("rollback after verification: %v", err)
	}
	d.VerifiedAt = nil
	if err := d.Move(RollingBack, now); err != nil || d.Status != RollingBack {
		t.Fatalf("rollback inside the window: %v", err)
	}
	if err := d.Move(RolledBack, now); err != nil || d.FinishedAt == nil {
		t.Fatalf("rolled back: %v %+v", err, d)
	}
}

func TestMoveTimesAndStages(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := Deployment{ID: "DEP-1", Status: Pending, Path: []Stage{{Name: "canary", Weight: 10}, {Name: "full", Weight: 100}}}
	if err := d.Advance(); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("advance while pending: %v", err)
	}
	d.Move(Blocked, t0)
	d.Move(Pending, t0)
	if d.StartedAt != nil || d.FinishedAt != nil {
		t.Fatalf("times set before running: %+v", d)
	}
	d.Move(Running, t0)
	if d.StartedAt == nil || !d.StartedAt.Equal(t0) {
		t.Fatalf("started_at %v", d.StartedAt)
	}
	if err := d.Move(Succeeded, t0); fault.CodeOf(err) != fault.PreconditionFailed || d.Status != Running {
		t.Fatalf("succeed at canary: %v", err)
	}
	if err := d.Advance(); err != nil || d.CurrentStage != 1 || d.Stage().Name != "full" {
		t.Fatalf("advance: %v %+v", err, d)
	}
	if err := d.Advance(); fault.CodeOf(err) != fault.Conflict || d.CurrentStage != 1 {
		t.Fatalf("advance past the last stage: %v", err)
	}
	t1 := t0.Add(time.Hour)
	if err := d.Move(Succeeded, t1); err != nil || d.FinishedAt == nil || !d.FinishedAt.Equal(t1) || !d.StartedAt.Equal(t0) {
		t.Fatalf("succeed: %v %+v", err, d)
	}
	r := Deployment{ID: "DEP-2", Status: Running, Path: []Stage{{Name: "canary", Weight: 10}, {Name: "full", Weight: 100}}}
	if err := r.Move(RollingBack, t1); err != nil || r.FinishedAt != nil {
		t.Fatalf("roll back at canary: %v %+v", err, r)
	}
	if err := r.Move(RolledBack, t1); err != nil || r.FinishedAt == nil {
		t.Fatalf("rolled back: %v", err)
	}
}

func TestValidateDeployment(t *testing.T) {
	d := Deployment{Release: "rel-3", Env: "prod-eu", Change: "chg-7"}
	if err := d.Validate(); err != nil || d.Release != "REL-3" || d.Change != "CHG-7" || len(d.Path) != 1 || d.Path[0].Name != "full" || d.Path[0].Weight != 100 {
		t.Fatalf("%+v %v", d, err)
	}
	for field, d := range map[string]Deployment{
		"release": {Release: "PRB-3", Env: "prod-eu"},
		"env":     {Release: "REL-3", Env: "Prod EU"},
		"change":  {Release: "REL-3", Env: "prod-eu", Change: "REL-1"},
		"path":    {Release: "REL-3", Env: "prod-eu", Path: []Stage{{Name: "canary", Weight: 10}}},
	} {
		if fe := fault.As(d.Validate()); fe == nil || fe.Field != field {
			t.Errorf("%s: %v", field, fe)
		}
	}
}

func TestAppendedEvents(t *testing.T) {
	e := Event{Kind: "smoke-test", Message: " passed ", Links: []string{"prb-10", "PRB-2", "INC-4", "PRB-2"}}
	if err := e.ValidateAppended(); err != nil || e.Message != "passed" || !slices.Equal(e.Links, []string{"INC-4", "PRB-2", "PRB-10"}) {
		t.Fatalf("%+v %v", e, err)
	}
	for field, e := range map[string]Event{
		"kind":    {Kind: "advanced"},
		"links":   {Kind: "x", Links: []string{"https://ci.example/run/1"}},
		"message": {Kind: "x", Message: string(make([]byte, MaxMessage+1))},
	} {
		if fe := fault.As(e.ValidateAppended()); fe == nil || fe.Field != field {
			t.Errorf("%s: %v", field, fe)
		}
	}
	for _, k := range []string{"", "Smoke", "two words", "1st", "created", "status", string(make([]byte, 40))} {
		e := Event{Kind: k}
		if fe := fault.As(e.ValidateAppended()); fe == nil || fe.Field != "kind" {
			t.Errorf("kind %q: %v", k, fe)
		}
	}
}
