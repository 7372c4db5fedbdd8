package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"fixgate/internal/change"
	"fixgate/internal/deploy"
	"fixgate/internal/fault"
	"fixgate/internal/gate"
	"fixgate/internal/ident"
	"fixgate/internal/policy"
	"fixgate/internal/problem"
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

// reader is what the gate input queries need: *sql.DB or a read-only *sql.Tx.
type reader interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// GateInput gathers the gate input document for q from a bounded number of
// indexed queries, none of which reads history (closed problems, past
// incidents, old deployments beyond one per CI): the release with its
// problems and component versions, the catalogue of the CIs its components
// depend on (transitively), the open problems on the environment or on the
// release's CIs and their dependents, the CI graph, the environment, the
// versions live at q.At, the newest open change of the release for the
// environment, and the approvals of both; for rules progression and
// target_health, the release's deployments (one per environment) and the
// open incidents and firing alerts on the environment for the release's
// CIs and their dependencies (gate_health.go). The queries share one
// read-only transaction, so they see one snapshot (on SQLite a deferred read
// transaction: one WAL read lock instead of one per statement). It also
// returns the revision of every record read (id → revision), which the
// evaluation record keeps. Returns NotFound naming the release or the
// environment.
func (s *Store) GateInput(ctx context.Context, q GateQuery, pol *policy.Policy) (gate.Input, map[string]int64, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.dialect == SQLite {
		// bounded indexed reads: not worth modernc's per-step interrupt watcher
		ctx = context.WithoutCancel(ctx)
	} else {
		opts.Isolation = sql.LevelRepeatableRead
	}
	sqlTx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return gate.Input{}, nil, unavailable(err, "begin read")
	}
	tx := &Tx{tx: sqlTx, store: s, dialect: s.dialect}
	defer tx.endRead(ctx)
	cat, err := s.catalogue(ctx, readTx{tx})
	if err != nil {
		return gate.Input{}, nil, errf(err, "gate catalogue")
	}
	g := &gatherer{r: readTx{tx}, cat: cat, revs: map[string]int64{}}
	in, err := g.gather(ctx, q, pol)
	if err != nil {
		return in, nil, errf(err, "gate input")
	}
	return in, g.revs, nil
}

// readTx runs the gate's fixed queries in a read transaction through the
// store's prepared statements (Tx.query: modernc parses every unprepared
// statement again, which was 70% of GateInput on SQLite, bench/README.md
// session 4; pgx caches prepared statements itself).
type readTx struct{ tx *Tx }

func (r readTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return r.tx.query(ctx, q, args...)
}

func (r readTx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return r.tx.queryRow(ctx, q, args...)
}

type gatherer struct {
	r    reader
	cat  *catalogue // read-only snapshot of the CI graph and component versions
	revs map[string]int64
}

func (g *gatherer) gather(ctx context.Context, q GateQuery, pol *policy.Policy) (gate.Input, error) {
	in := gate.Input{At: &q.At, Revisions: map[string]int64{}, Live: map[string]string{}}
	rel, _, err := scanRelease(g.r.QueryRowContext(ctx, `SELECT `+releaseCols+` FROM releases WHERE id = $1`, q.Release))
	if errors.Is(err, sql.ErrNoRows) {
		return in, fault.NotFoundf("release %s not found", ident.Release.Format(q.Release))
	}
	if err != nil {
		return in, err
	}
	if err := loadReleaseLinks(ctx, g.r, q.Release, &rel); err != nil {
		return in, err
	}
	in.Release = gate.FromRelease(rel)
	in.Revisions[rel.ID], g.revs[rel.ID] = rel.Revision, rel.Revision
	if q.Env != "" { // "": a release judged before any change names its target (approval_guard.go)
		env, err := scanEnv(g.r.QueryRowContext(ctx, `SELECT `+envCols+` FROM environments WHERE name = $1`, q.Env))
		if errors.Is(err, sql.ErrNoRows) {
			return in, fault.NotFoundf("environment %q not found", q.Env)
		}
		if err != nil {
			return in, err
		}
		in.Environment, g.revs["env:"+env.Name] = env, env.Revision
	}
	steps := []func(context.Context, *gate.Input) error{g.problems, g.graph, g.components, g.openProblems, g.live,
		g.deployments, g.health}
	for _, step := range steps {
		if err := step(ctx, &in); err != nil {
			return in, err
		}
	}
	model, err := g.change(ctx, &in, q.Release, q.Env)
	if err != nil {
		return in, err
	}
	if err := g.approvals(ctx, &in); err != nil {
		return in, err
	}
	in.Path = deploymentPath(q, pol, model)
	return in, nil
}

// problems reads the problems the release resolves and the role each RCA
// validator acted in (from the audit event of the validation).
func (g *gatherer) problems(ctx context.Context, in *gate.Input) error {
	ps, err := g.queryProblems(ctx, problemSelect+` WHERE id IN (SELECT problem_id FROM release_problems WHERE release_id = $1) ORDER BY id`,
		releaseNum(in))
	if err != nil {
		return err
	}
	for _, p := range ps {
		role := ""
		if p.RCA.Validated() {
			if role, err = g.validatorRole(ctx, p); err != nil {
				return err
			}
		}
		in.Problems = append(in.Problems, gate.FromProblem(p, role))
	}
	return nil
}

func releaseNum(in *gate.Input) int64 {
	n, _ := ident.Release.Parse("release", in.Release.ID)
	return n
}

func (g *gatherer) queryProblems(ctx context.Context, q string, args ...any) ([]problem.Problem, error) {
	rows, err := g.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []problem.Problem
	for rows.Next() {
		p, _, err := scanProblem(rows)
		if err != nil {
			return nil, err
		}
		g.revs[p.ID] = p.Revision
		out = append(out, p)
	}
	return out, rows.Err()
}

// validatorRole returns the role the validator acted in when validating
// p's RCA: the latest problem.validate_rca audit event of p by that user;
// for validations recorded otherwise (imports, demo data), the first of the
// validator's current roles, problem_manager preferred.
func (g *gatherer) validatorRole(ctx context.Context, p problem.Problem) (string, error) {
	var role string
	err := g.r.QueryRowContext(ctx, `SELECT role FROM audit_events WHERE record_type = $1 AND record_id = $2 AND action = $3 AND actor = $4
		ORDER BY seq DESC LIMIT 1`, "problem", p.ID, "problem.validate_rca", p.RCA.ValidatedBy).Scan(&role)
	if err == nil || !errors.Is(err, sql.ErrNoRows) {
		return role, err
	}
	var roles string
	err = g.r.QueryRowContext(ctx, `SELECT roles FROM users WHERE name = $1`, p.RCA.ValidatedBy).Scan(&roles)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	list := splitList(roles)
	if slices.Contains(list, "problem_manager") {
		return "problem_manager", err
	}
	if len(list) > 0 {
		return list[0], err
	}
	return "", err
}

// releaseCIsCTE names the CIs of release $1's component versions.
const releaseCIsCTE = `SELECT cv.ci FROM release_components rc JOIN component_versions cv ON cv.id = rc.component_version_id WHERE rc.release_id = $1`

// components reads the release's component versions (from the database:
// the freshest revision), then takes the catalogue from the snapshot: every
// version of the CIs their dependencies reach through the CI graph and
// through the versions' own dependencies.
func (g *gatherer) components(ctx context.Context, in *gate.Input) error {
	own, err := g.queryComponents(ctx, `SELECT `+componentCols+` FROM component_versions
		WHERE id IN (SELECT component_version_id FROM release_components WHERE release_id = $1) ORDER BY ci, id`, releaseNum(in))
	if err != nil {
		return err
	}
	in.Components = own
	in.Catalogue = g.cat.reach(own)
	for _, vs := range in.Catalogue {
		for _, v := range vs {
			if _, ok := g.revs[v.ID]; !ok {
				g.revs[v.ID] = g.cat.revs[v.ID]
			}
		}
	}
	return nil
}

// catalogueCols are the columns the gate needs of a catalogue version (the
// catalogue is the largest read of an evaluation: no times to parse).
const catalogueCols = `id, ci, version, status, dependencies, rev`

func (g *gatherer) queryComponents(ctx context.Context, q string, args ...any) ([]gate.Component, error) {
	rows, err := g.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []gate.Component{}
	for rows.Next() {
		v, _, err := scanComponent(rows)
		if err != nil {
			return nil, err
		}
		g.revs[v.ID] = v.Revision
		out = append(out, gate.FromVersion(v))
	}
	return out, rows.Err()
}

// graph takes the CI graph from the snapshot (configuration, not history:
// bounded by the number of CIs; shared, read-only).
func (g *gatherer) graph(ctx context.Context, in *gate.Input) error {
	in.CIs = g.cat.cis
	return nil
}

// releaseCINames returns the CI names of the release's components.
func releaseCINames(in *gate.Input) []string {
	var out []string
	for _, ref := range in.Release.Components {
		name, _, _ := strings.Cut(ref, "@")
		out = append(out, name)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// openProblems reads the problems not closed or canceled attached to the
// environment, to the release's CIs or to the CIs depending on them
// (transitively, one recursive query over ci_dependencies). The scan is
// driven by the index on status (open problems only) and each candidate is
// checked with primary-key lookups, so problems closed long ago on the same
// environment or CIs cost nothing, whatever the history.
func (g *gatherer) openProblems(ctx context.Context, in *gate.Input) error {
	ps, err := g.queryProblems(ctx, `WITH RECURSIVE dep(ci) AS (`+releaseCIsCTE+`
		UNION SELECT d.ci FROM ci_dependencies d JOIN dep ON d.depends_on = dep.ci) `+
		problemSelect+` WHERE status IN ('new', 'assess', 'rca', 'fix_in_progress', 'resolved')
		AND (EXISTS (SELECT 1 FROM problem_envs pe WHERE pe.problem_id = problems.id AND pe.env = $2)
			OR EXISTS (SELECT 1 FROM problem_cis pc WHERE pc.problem_id = problems.id AND pc.ci IN (SELECT ci FROM dep))) ORDER BY id`,
		releaseNum(in), in.Environment.Name)
	if err != nil {
		return err
	}
	for _, p := range ps {
		in.OpenProblems = append(in.OpenProblems, gate.FromProblem(p, ""))
	}
	return nil
}

// live reads, for each CI of the release, the version of it that the last
// succeeded deployment finished by At put in the environment (the rule of
// LiveDeployments, per CI, walking the (env, finished_at) index backwards).
func (g *gatherer) live(ctx context.Context, in *gate.Input) error {
	for _, name := range releaseCINames(in) {
		var v string
		err := g.r.QueryRowContext(ctx, `SELECT cv.version FROM deployments d
			JOIN release_components rc ON rc.release_id = d.release_id
			JOIN component_versions cv ON cv.id = rc.component_version_id
			WHERE d.env = $1 AND d.status = $2 AND d.finished_at <= $3 AND cv.ci = $4
			ORDER BY d.finished_at DESC, d.id DESC LIMIT 1`, in.Environment.Name, deploy.Succeeded, ts(*in.At), name).Scan(&v)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return err
		}
		in.Live[name] = v
	}
	return nil
}

// change reads the newest change of the release for env that is not in a
// final state, and returns its change model ("" without a change).
func (g *gatherer) change(ctx context.Context, in *gate.Input, rel int64, env string) (string, error) {
	c, _, err := scanChange(g.r.QueryRowContext(ctx, `SELECT `+changeCols+` FROM changes
		WHERE release_id = $1 AND env = $2 AND status NOT IN ($3, $4, $5) ORDER BY id DESC LIMIT 1`,
		rel, env, change.Closed, change.Canceled, change.Failed))
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	gc := &gate.Change{ID: c.ID, Type: c.Type, Model: c.ChangeModel, Requester: c.RequestedBy, Revision: c.Revision,
		Deviations: []gate.Deviation{}, Content: c.Fingerprint()}
	if c.RiskJustification != "" && c.RiskClass != "" { // an override replaces the computed class
		gc.RiskOverride = &gate.RiskOverride{Class: c.RiskClass, Justification: c.RiskJustification, By: c.RiskOverrideBy}
	}
	for i, d := range c.Deviations {
		// A deviation names the gate rule it covers in step_skipped.
		gc.Deviations = append(gc.Deviations, gate.Deviation{ID: c.ID + "#" + strconv.Itoa(i+1), Rule: d.StepSkipped, Step: d.StepSkipped,
			Reason: d.Reason, ApprovedBy: d.ApprovedBy, From: d.From, To: d.To})
	}
	in.Change = gc
	in.Revisions[c.ID], g.revs[c.ID] = c.Revision, c.Revision
	return c.ChangeModel, nil
}

// approvals reads the decisions on the release and on its change, with
// every role each approver holds (one person counts once, whatever roles).
func (g *gatherer) approvals(ctx context.Context, in *gate.Input) error {
	chg := ""
	if in.Change != nil {
		chg = in.Change.ID
	}
	rows, err := g.r.QueryContext(ctx, `SELECT a.id, a.record_id, a.record_rev, a.record_content, a.approver, a.role, a.decision, u.roles
		FROM approvals a JOIN users u ON u.name = a.approver
		WHERE (a.record_type = $1 AND a.record_id = $2) OR (a.record_type = $3 AND a.record_id = $4) ORDER BY a.id`,
		"release", in.Release.ID, "change", chg)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var a gate.Approval
		var roles string
		if err := rows.Scan(&id, &a.Record, &a.Revision, &a.Content, &a.Approver, &a.Role, &a.Decision, &roles); err != nil {
			return err
		}
		a.ID, a.Roles = ident.Approval.Format(id), nonNilList(splitList(roles))
		g.revs[a.ID] = 1
		in.Approvals = append(in.Approvals, a)
	}
	return rows.Err()
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
