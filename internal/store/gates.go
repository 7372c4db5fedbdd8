package store

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"fixgate/internal/change"
	"fixgate/internal/fault"
	"fixgate/internal/gate"
	"fixgate/internal/ident"
	"fixgate/internal/policy"
	"fixgate/internal/problem"
	"fixgate/internal/release"
)

// GateQuery names what a gate evaluation is about.
type GateQuery struct {
	Release int64
	Env     string
	At      time.Time
	// Path is the planned deployment path; empty means the change model's
	// rollout path from the policy, else one stage at 100%.
	Path []gate.Stage
}

// GateInput gathers the gate input document for q from a bounded number of
// indexed queries, none of which reads history (closed problems, past
// incidents, old deployments beyond one per CI): the release with its
// problems and component versions, the catalogue of the CIs its components
// depend on (transitively), the open problems on the environment or on the
// release's CIs and their dependents, the CI graph, the environment, the
// versions live at q.At, the newest open change of the release for the
// environment, the approvals of both and the change's checklist
// (gate_checklist.go); for rules progression and
// target_health, the release's deployments (one per environment) and the
// open incidents and firing alerts on the environment for the release's
// CIs and their dependencies (gate_health.go). The queries share one
// read-only transaction, so they see one snapshot. They run in two lists:
// those that depend only on q, then those that depend on what the first
// read (the validators' roles, the change's approvals, the lone firing
// alerts of the release's CIs and their dependencies); on PostgreSQL each
// list is one round trip (gate_batch.go). It also returns the revision of
// every record read (id → revision), which the evaluation record keeps.
// Returns NotFound naming the release or the environment.
func (s *Store) GateInput(ctx context.Context, q GateQuery, pol *policy.Policy) (gate.Input, map[string]int64, error) {
	g := &gatherer{s: s, revs: map[string]int64{}}
	var in gate.Input
	err := s.readGate(ctx, func(r stmtRunner) error {
		g.r = r
		var err error
		in, err = g.gather(ctx, q, pol)
		return err
	})
	if err != nil {
		return in, nil, errf(err, "gate input")
	}
	return in, g.revs, nil
}

// readGate runs fn with the gate's statement runner in one read-only
// transaction: on PostgreSQL REPEATABLE READ through pgx batches; on SQLite
// a deferred read transaction (one WAL read lock instead of one per
// statement) through the store's prepared statements.
func (s *Store) readGate(ctx context.Context, fn func(stmtRunner) error) error {
	if s.dialect == Postgres {
		return s.withBatch(ctx, fn)
	}
	// bounded indexed reads: not worth modernc's per-step interrupt watcher
	ctx = context.WithoutCancel(ctx)
	sqlTx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return unavailable(err, "begin read")
	}
	tx := &Tx{tx: sqlTx, store: s, dialect: s.dialect}
	defer tx.endRead(ctx)
	return fn(eachRunner{readTx{tx}})
}

// gateInput gathers the gate input for q inside write transaction tx,
// statement by statement (approval_guard.go).
func (tx *Tx) gateInput(ctx context.Context, q GateQuery, pol *policy.Policy) (gate.Input, error) {
	g := &gatherer{s: tx.store, r: eachRunner{tx.tx}, revs: map[string]int64{}}
	return g.gather(ctx, q, pol)
}

// readTx runs the gate's fixed queries in a read transaction through the
// store's prepared statements (Tx.query: modernc parses every unprepared
// statement again, which was 70% of GateInput on SQLite, bench/README.md
// session 4).
type readTx struct{ tx *Tx }

func (r readTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return r.tx.query(ctx, q, args...)
}

// gatherer reads one gate input: the statements of the first list write
// their rows into its fields and into in; gather judges them together once
// all are read.
type gatherer struct {
	s    *Store
	r    stmtRunner
	revs map[string]int64
	// rows of the first list
	catVersion         int64
	rel, links         release.Release
	relFound, envFound bool
	problems           []problem.Problem
	incidents          []incidentRow
	change             *change.Change
	// rows of the second list: problem id → role its RCA validator acted
	// in; the firing alerts that opened no incident (gate_health.go)
	roles map[string]string
	// problem id → the release whose deployment resolved it (gates_resolutions.go)
	fixedBy map[string]string
	alone   []gate.Alert
}

// gather reads the input for q in two lists of statements (g.r): those that
// need only q, then, once the first list's rows are judged, those that need
// them.
func (g *gatherer) gather(ctx context.Context, q GateQuery, pol *policy.Policy) (gate.Input, error) {
	in := gate.Input{At: &q.At, Revisions: map[string]int64{}, Live: map[string]string{}}
	var deps keptDeployments
	if err := g.r.run(ctx, g.firstList(q, &in, &deps)...); err != nil {
		return in, err
	}
	if err := g.found(q, &in); err != nil {
		return in, err
	}
	deps.into(&in, g.revs)
	if err := g.catalogue(ctx, &in); err != nil {
		return in, err
	}
	alone := g.health(&in) // the lone firing alerts are read in scope, with the second list (gate_health.go)
	model := g.changeInput(&in)
	second := append(append(append(g.validatorRoles(), g.resolvingReleases()...), g.approvals(&in)), g.checklist(&in, pol)...)
	if err := g.r.last(ctx, append(second, alone...)...); err != nil {
		return in, err
	}
	for _, p := range g.problems {
		gp := gate.FromProblem(p, g.roles[p.ID])
		gp.ResolvedByRelease = g.fixedBy[p.ID]
		in.Problems = append(in.Problems, gp)
	}
	in.Path = deploymentPath(q, pol, model)
	return in, nil
}

// firstList returns the statements that need only q (gate_reads.go,
// gate_health.go, gate_catalogue.go).
func (g *gatherer) firstList(q GateQuery, in *gate.Input, deps *keptDeployments) []readStmt {
	stmts := append([]readStmt{catalogueVersion(&g.catVersion), g.release(q.Release)}, releaseLinks(q.Release, &g.links)...)
	if q.Env != "" { // "": a release judged before any change names its target (approval_guard.go)
		stmts = append(stmts, g.environment(q.Env, in))
	}
	stmts = append(stmts, g.releaseProblems(q.Release), g.components(q.Release, in), g.openProblems(q.Release, q.Env, in),
		live(q.Release, q.Env, q.At, in), deps.stmt(q.Release))
	if q.Env != "" {
		stmts = append(stmts, g.openIncidents(q.Env))
	}
	return append(stmts, g.newestChange(q.Release, q.Env))
}

// found returns NotFound for a release or environment the first list did
// not find, and puts the release in in.
func (g *gatherer) found(q GateQuery, in *gate.Input) error {
	if !g.relFound {
		return fault.NotFoundf("release %s not found", ident.Release.Format(q.Release))
	}
	if q.Env != "" && !g.envFound {
		return fault.NotFoundf("environment %q not found", q.Env)
	}
	rel := g.rel
	rel.Resolves, rel.Components, rel.Artifacts = g.links.Resolves, g.links.Components, g.links.Artifacts
	in.Release = gate.FromRelease(rel)
	in.Revisions[rel.ID], g.revs[rel.ID] = rel.Revision, rel.Revision
	return nil
}

// catalogue takes the snapshot of the catalogue version the first list
// read (loading it when it moved), then from it the CI graph and every
// version of the CIs the release's components reach (configuration, not
// history: bounded by the number of CIs; shared, read-only).
func (g *gatherer) catalogue(ctx context.Context, in *gate.Input) error {
	cat, err := g.s.catalogueAt(ctx, g.r, g.catVersion)
	if err != nil {
		return errf(err, "gate catalogue")
	}
	in.CIs = cat.cis
	in.Catalogue = cat.reach(in.Components)
	for _, vs := range in.Catalogue {
		for _, v := range vs {
			if _, ok := g.revs[v.ID]; !ok {
				g.revs[v.ID] = cat.revs[v.ID]
			}
		}
	}
	return nil
}

// deploymentPath is the request's path, else the change model's rollout
// path in the policy, else one stage at 100%.
func deploymentPath(q GateQuery, pol *policy.Policy, model string) []gate.Stage {
	if len(q.Path) > 0 {
		out := slices.Clone(q.Path)
		for i := range out {
			if out[i].Environment == "" {
				out[i].Environment = q.Env
			}
		}
		return out
	}
	if m, ok := pol.ChangeModels[model]; ok && len(m.RolloutPath) > 0 {
		out := make([]gate.Stage, len(m.RolloutPath))
		for i, st := range m.RolloutPath {
			out[i] = gate.Stage{Name: st.Name, Environment: q.Env, Weight: st.Weight}
		}
		return out
	}
	return []gate.Stage{{Name: "full", Environment: q.Env, Weight: 100}}
}
