package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"fixgate/internal/approval"
	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/problem"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// trail is a store with approvals and problems, a copy of its audit tables
// taken part-way (old_events, old_head, old_tree: the "older backup"), a
// checkpoint signed after that, and two events appended after the checkpoint.
type trail struct {
	s      *store.Store
	dsn    string
	signed []byte
	cp     audit.Checkpoint
	pub    string
	priv   string
}

func newTrail(t *testing.T) *trail {
	t.Helper()
	ctx := context.Background()
	dsn := storetest.DSN(t)
	clock := &storetest.Clock{T: storetest.Start}
	s, err := store.Open(ctx, dsn, store.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	aprSeed(t, s)
	aprFixRelease(t, s)
	if _, err := s.CreateApproval(ctx, aprActor("carol", auth.CABMember), approval.Approval{Record: "REL-1", Decision: approval.Approve}, 0); err != nil {
		t.Fatal(err)
	}
	mustExec(t, s, `CREATE TABLE old_events AS SELECT * FROM audit_events`, `CREATE TABLE old_head AS SELECT * FROM audit_head`,
		`CREATE TABLE old_tree AS SELECT * FROM audit_tree`)
	addProblems(t, s, 3)
	priv, pub, err := audit.GenerateKey("fixgate.test/audit")
	if err != nil {
		t.Fatal(err)
	}
	signed, err := s.SignCheckpoint(ctx, priv)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := audit.OpenCheckpoint(signed, pub)
	if err != nil {
		t.Fatal(err)
	}
	addProblems(t, s, 2)
	return &trail{s: s, dsn: dsn, signed: signed, cp: cp, pub: pub, priv: priv}
}

func addProblems(t *testing.T, s *store.Store, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if _, err := s.CreateProblem(context.Background(), alice, problem.Problem{Title: fmt.Sprint("later ", i), Priority: 3}, nil); err != nil {
			t.Fatal(err)
		}
	}
}

func mustExec(t *testing.T, s *store.Store, qs ...string) {
	t.Helper()
	for _, q := range qs {
		if _, err := s.DB().Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// check runs what `fixgate audit verify` runs: the chain and tree against
// the checkpoint (nil: none), then reconciliation. It returns "" when
// everything holds, else what failed.
func check(t *testing.T, s *store.Store, cp *audit.Checkpoint) string {
	t.Helper()
	ctx := context.Background()
	_, b, err := s.VerifyAuditCheckpoint(ctx, cp)
	if err != nil {
		t.Fatal(err)
	}
	if b != nil {
		return b.Error()
	}
	ms, err := s.ReconcileRecords(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) > 0 {
		return ms[0].RecordType + " " + ms[0].RecordID + ": " + ms[0].Reason
	}
	return ""
}

// rebuild rewrites the whole chain from event 3 on with recomputed hashes
// (event 3 edited), deletes the tree, and reopens the store, which builds
// a fresh tree over the rewritten events: a perfect forgery from inside.
func rebuild(t *testing.T, tr *trail) *store.Store {
	ctx := context.Background()
	var evs []audit.Event
	if err := tr.s.EachAuditEvent(ctx, storetest.Start.AddDate(-1, 0, 0), func(e *audit.Event) error {
		evs = append(evs, *e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	prev := evs[1].Hash
	for i := 2; i < len(evs); i++ {
		if i == 2 {
			evs[i].Actor = "mallory"
		}
		evs[i].Seal(prev)
		prev = evs[i].Hash
		if _, err := tr.s.DB().Exec(`UPDATE audit_events SET actor = $1, prev_hash = $2, hash = $3 WHERE seq = $4`,
			evs[i].Actor, evs[i].PrevHash, evs[i].Hash, evs[i].Seq); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tr.s.DB().Exec(`UPDATE audit_head SET hash = $1 WHERE id = 1`, prev); err != nil {
		t.Fatal(err)
	}
	mustExec(t, tr.s, `DELETE FROM audit_tree`)
	s2, err := store.Open(ctx, tr.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s2.Close() })
	return s2
}

// truncate removes the last events before the checkpoint's size, with the
// problems they created (PRB-3 on), and makes head and tree agree with
// what is left.
func truncate(t *testing.T, tr *trail) *store.Store {
	k := tr.cp.Size - 2
	mustExec(t, tr.s, `DELETE FROM problems WHERE id > 2`, fmt.Sprintf(`DELETE FROM audit_events WHERE seq > %d`, k),
		fmt.Sprintf(`UPDATE audit_head SET seq = %d, hash = (SELECT hash FROM audit_events WHERE seq = %d) WHERE id = 1`, k, k),
		fmt.Sprintf(`DELETE FROM audit_tree WHERE idx >= %d`, tlog.StoredHashCount(k)))
	return tr.s
}

// TestAuditTamperMatrix tampers with the stored trail by direct SQL, one
// way per case, and checks what verify says with the checkpoint and
// without it: every case is detected with the checkpoint; truncation,
// rebuild and restore pass without one (only a checkpoint kept outside the
// database reveals them).
func TestAuditTamperMatrix(t *testing.T) {
	sqlCase := func(qs ...string) func(*testing.T, *trail) *store.Store {
		return func(t *testing.T, tr *trail) *store.Store { mustExec(t, tr.s, qs...); return tr.s }
	}
	cases := []struct {
		name      string
		tamper    func(*testing.T, *trail) *store.Store
		withCP    string // what the report with the checkpoint must contain
		withoutCP string // "" : undetectable without a checkpoint
	}{
		{"edit", sqlCase(`UPDATE audit_events SET actor = 'mallory' WHERE seq = 5`), "edited", "edited"},
		{"delete", sqlCase(`DELETE FROM audit_events WHERE seq = 5`), "where 5 was expected", "where 5 was expected"},
		{"swap", sqlCase(`UPDATE audit_events SET seq = -5 WHERE seq = 5`, `UPDATE audit_events SET seq = 5 WHERE seq = 6`,
			`UPDATE audit_events SET seq = 6 WHERE seq = -5`), "prev_hash", "prev_hash"},
		{"insert", sqlCase(`UPDATE audit_events SET seq = seq + 1000 WHERE seq >= 5`, `UPDATE audit_events SET seq = seq - 999 WHERE seq >= 1000`,
			`INSERT INTO audit_events (seq, at, actor, role, action, record_type, record_id, record_rev, before_json, after_json, request_id, prev_hash, hash)
			SELECT 5, at, actor, role, action, record_type, record_id, record_rev, before_json, after_json, request_id, prev_hash, hash FROM audit_events WHERE seq = 4`),
			"prev_hash", "prev_hash"},
		{"truncate and rewrite head", truncate, "removed", ""},
		{"full rebuild", rebuild, "rewritten", ""},
		{"restore an older copy", sqlCase(`DELETE FROM problems WHERE id > 1`, `DELETE FROM audit_events`, `INSERT INTO audit_events SELECT * FROM old_events`,
			`UPDATE audit_head SET seq = (SELECT seq FROM old_head), hash = (SELECT hash FROM old_head) WHERE id = 1`,
			`DELETE FROM audit_tree`, `INSERT INTO audit_tree SELECT * FROM old_tree`), "removed", ""},
		{"tree edited", sqlCase(`UPDATE audit_tree SET hash = (SELECT hash FROM audit_tree WHERE idx = 0) WHERE idx = 1`), "audit_tree", "audit_tree"},
		{"approval row edited", sqlCase(`UPDATE approvals SET decision = 'reject' WHERE id = 1`), `approval APR-1: field "decision"`, `approval APR-1: field "decision"`},
		{"approval row inserted", sqlCase(`INSERT INTO approvals (record_type, record_id, record_rev, approver, role, decision, comment, at)
			SELECT record_type, record_id, record_rev, 'erin', role, decision, comment, at FROM approvals WHERE id = 1`), "approval APR-2: row has no audited", "approval APR-2: row has no audited"},
		{"problem row deleted", sqlCase(`DELETE FROM problems WHERE id = 4`), "problem PRB-4: audited record has no row", "problem PRB-4: audited record has no row"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := newTrail(t)
			if got := check(t, tr.s, &tr.cp); got != "" {
				t.Fatalf("intact trail refused: %s", got)
			}
			s := c.tamper(t, tr)
			if got := check(t, s, &tr.cp); !strings.Contains(got, c.withCP) || c.withCP == "" {
				t.Errorf("with the checkpoint: got %q, want it to contain %q", got, c.withCP)
			}
			got := check(t, s, nil)
			if c.withoutCP == "" && got != "" {
				t.Errorf("without a checkpoint: got %q, want it to pass (undetectable without one)", got)
			}
			if !strings.Contains(got, c.withoutCP) {
				t.Errorf("without a checkpoint: got %q, want it to contain %q", got, c.withoutCP)
			}
		})
	}
}

// TestAuditCheckpointTampered checks the checkpoint itself: edited, signed
// by another key (what a database administrator could forge and store in
// audit_checkpoints), or not signed at all, it is refused.
func TestAuditCheckpointTampered(t *testing.T) {
	tr := newTrail(t)
	priv2, _, _ := audit.GenerateKey("fixgate.test/audit")
	forged, err := audit.SignCheckpoint(tr.cp.Root, tr.cp.Size+5, priv2)
	if err != nil {
		t.Fatal(err)
	}
	body := strings.SplitN(string(tr.signed), "\n\n", 2)[0] + "\n"
	for name, note := range map[string]string{
		"size edited": strings.Replace(string(tr.signed), fmt.Sprintf("\n%d\n", tr.cp.Size), fmt.Sprintf("\n%d\n", tr.cp.Size-1), 1),
		"other key":   string(forged),
		"unsigned":    body,
	} {
		if _, err := audit.OpenCheckpoint([]byte(note), tr.pub); err == nil {
			t.Errorf("%s: checkpoint accepted", name)
		}
	}
}

// TestAuditInclusionProofFromStore proves an event from the stored tree and
// checks the proof offline; a proof from a tree edited afterwards fails.
func TestAuditInclusionProofFromStore(t *testing.T) {
	tr := newTrail(t)
	ctx := context.Background()
	for _, seq := range []int64{1, 7, tr.cp.Size} {
		p, err := tr.s.ProveEvent(ctx, seq, tr.cp, tr.signed)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := audit.CheckInclusion(p, tr.pub); err != nil {
			t.Fatalf("event %d: %v", seq, err)
		}
	}
	if _, err := tr.s.ProveEvent(ctx, tr.cp.Size+1, tr.cp, tr.signed); err == nil {
		t.Fatal("proved an event the checkpoint does not cover")
	}
	mustExec(t, tr.s, `UPDATE audit_events SET actor = 'mallory' WHERE seq = 7`)
	p, err := tr.s.ProveEvent(ctx, 7, tr.cp, tr.signed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := audit.CheckInclusion(p, tr.pub); err == nil {
		t.Fatal("proof of an edited event accepted")
	}
}

// TestAuditSignRefusesRewrittenTree: the server does not sign a tree that
// is not an extension of the latest checkpoint it kept.
func TestAuditSignRefusesRewrittenTree(t *testing.T) {
	tr := newTrail(t)
	ctx := context.Background()
	if _, err := tr.s.SignCheckpoint(ctx, tr.priv); err != nil {
		t.Fatalf("extension refused: %v", err)
	}
	s := rebuild(t, tr)
	if _, err := s.SignCheckpoint(ctx, tr.priv); err == nil || !strings.Contains(err.Error(), "not an extension") {
		t.Fatalf("signed a rebuilt tree: %v", err)
	}
}
