package store

import (
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"time"

	"fixgate/internal/change"
	"fixgate/internal/deploy"
	"fixgate/internal/gate"
	"fixgate/internal/ident"
)

// The statements of a gate input (GateInput) and what each does with its
// rows. Those of the first list take only the query's values.

// release reads the release row.
func (g *gatherer) release(rel int64) readStmt {
	return readStmt{`SELECT ` + releaseCols + ` FROM releases WHERE id = $1`, []any{rel}, func(sc rowScanner) error {
		var err error
		g.rel, _, err = scanRelease(sc)
		g.relFound = err == nil
		return err
	}}
}

// environment reads the target environment into in.
func (g *gatherer) environment(env string, in *gate.Input) readStmt {
	return readStmt{`SELECT ` + envCols + ` FROM environments WHERE name = $1`, []any{env}, func(sc rowScanner) error {
		e, err := scanEnv(sc)
		in.Environment, g.revs["env:"+e.Name], g.envFound = e, e.Revision, err == nil
		return err
	}}
}

// releaseProblems reads the problems the release resolves.
func (g *gatherer) releaseProblems(rel int64) readStmt {
	return readStmt{problemSelect + ` WHERE id IN (SELECT problem_id FROM release_problems WHERE release_id = $1) ORDER BY id`,
		[]any{rel}, func(sc rowScanner) error {
			p, _, err := scanProblem(sc)
			g.revs[p.ID] = p.Revision
			g.problems = append(g.problems, p)
			return err
		}}
}

// releaseCIsCTE names the CIs of release $1's component versions.
const releaseCIsCTE = `SELECT cv.ci FROM release_components rc JOIN component_versions cv ON cv.id = rc.component_version_id WHERE rc.release_id = $1`

// components reads the release's own component versions into
// in.Components (from the database: the freshest revision); the catalogue
// they reach comes from the snapshot (gatherer.catalogue).
func (g *gatherer) components(rel int64, in *gate.Input) readStmt {
	in.Components = []gate.Component{}
	return readStmt{`SELECT ` + componentCols + ` FROM component_versions
		WHERE id IN (SELECT component_version_id FROM release_components WHERE release_id = $1) ORDER BY ci, id`,
		[]any{rel}, func(sc rowScanner) error {
			v, _, err := scanComponent(sc)
			g.revs[v.ID] = v.Revision
			in.Components = append(in.Components, gate.FromVersion(v))
			return err
		}}
}

// openProblems reads the problems not closed or canceled attached to the
// environment, to the release's CIs or to the CIs depending on them
// (transitively, one recursive query over ci_dependencies). The scan is
// driven by the index on status (open problems only) and each candidate is
// checked with primary-key lookups, so problems closed long ago on the same
// environment or CIs cost nothing, whatever the history.
func (g *gatherer) openProblems(rel int64, env string, in *gate.Input) readStmt {
	return readStmt{`WITH RECURSIVE dep(ci) AS (` + releaseCIsCTE + `
		UNION SELECT d.ci FROM ci_dependencies d JOIN dep ON d.depends_on = dep.ci) ` +
		problemSelect + ` WHERE status IN ('new', 'assess', 'rca', 'fix_in_progress', 'resolved')
		AND (EXISTS (SELECT 1 FROM problem_envs pe WHERE pe.problem_id = problems.id AND pe.env = $2)
			OR EXISTS (SELECT 1 FROM problem_cis pc WHERE pc.problem_id = problems.id AND pc.ci IN (SELECT ci FROM dep))) ORDER BY id`,
		[]any{rel, env}, func(sc rowScanner) error {
			p, _, err := scanProblem(sc)
			g.revs[p.ID] = p.Revision
			in.OpenProblems = append(in.OpenProblems, gate.FromProblem(p, ""))
			return err
		}}
}

// live reads, for each CI of the release, the version of it that the last
// succeeded deployment finished by at put in the environment (the rule of
// LiveDeployments, per CI, walking the (env, finished_at) index backwards):
// one statement, a subquery per CI. The status is written in the SQL, not
// bound: deployments has partial indexes on status values (00026), and
// SQLite, checking whether one applies to "d.status = ?", reads the bound
// value and marks the statement to be parsed and planned again after every
// new binding of it, i.e. on every run (bench/README.md, session 7).
func live(rel int64, env string, at time.Time, in *gate.Input) readStmt {
	return readStmt{`SELECT c.ci, (SELECT cv.version FROM deployments d
			JOIN release_components rc ON rc.release_id = d.release_id
			JOIN component_versions cv ON cv.id = rc.component_version_id
			WHERE d.env = $1 AND d.status = '` + deploy.Succeeded + `' AND d.finished_at <= $2 AND cv.ci = c.ci
			ORDER BY d.finished_at DESC, d.id DESC LIMIT 1)
		FROM (SELECT DISTINCT cv.ci FROM release_components rc JOIN component_versions cv ON cv.id = rc.component_version_id
			WHERE rc.release_id = $3) c`,
		[]any{env, ts(at), rel}, func(sc rowScanner) error {
			var name string
			var v sql.NullString
			err := sc.Scan(&name, &v)
			if v.Valid {
				in.Live[name] = v.String
			}
			return err
		}}
}

// newestChange reads the newest change of the release for env that is not
// in a final state.
func (g *gatherer) newestChange(rel int64, env string) readStmt {
	return readStmt{`SELECT ` + changeCols + ` FROM changes
		WHERE release_id = $1 AND env = $2 AND status NOT IN ($3, $4, $5) ORDER BY id DESC LIMIT 1`,
		[]any{rel, env, change.Closed, change.Canceled, change.Failed}, func(sc rowScanner) error {
			c, _, err := scanChange(sc)
			g.change = &c
			return err
		}}
}

// changeInput puts the change read, if any, in in and returns its change
// model ("" without a change).
func (g *gatherer) changeInput(in *gate.Input) string {
	c := g.change
	if c == nil {
		return ""
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
	return c.ChangeModel
}

// validatorRoles returns, for each problem read whose RCA is validated, the
// statement reading the role its validator acted in: that of the latest
// problem.validate_rca audit event of the problem by that user; for
// validations recorded otherwise (imports, demo data), the first of the
// validator's current roles, problem_manager preferred.
func (g *gatherer) validatorRoles() []readStmt {
	g.roles = map[string]string{}
	var out []readStmt
	for _, p := range g.problems {
		if !p.RCA.Validated() {
			continue
		}
		out = append(out, readStmt{`SELECT (SELECT role FROM audit_events WHERE record_type = $1 AND record_id = $2 AND action = $3
				AND actor = $4 ORDER BY seq DESC LIMIT 1), (SELECT roles FROM users WHERE name = $4)`,
			[]any{"problem", p.ID, "problem.validate_rca", p.RCA.ValidatedBy}, func(sc rowScanner) error {
				var role, roles sql.NullString
				err := sc.Scan(&role, &roles)
				g.roles[p.ID] = validatorRole(role, roles)
				return err
			}})
	}
	return out
}

// validatorRole is the role recorded by the validation's audit event, else
// problem_manager if the validator holds it, else the validator's first role.
func validatorRole(audited, current sql.NullString) string {
	if audited.Valid {
		return audited.String
	}
	list := splitList(current.String)
	if slices.Contains(list, "problem_manager") {
		return "problem_manager"
	}
	if len(list) > 0 {
		return list[0]
	}
	return ""
}

// approvals reads the decisions on the release and on its change, with
// every role each approver holds (one person counts once, whatever roles).
func (g *gatherer) approvals(in *gate.Input) readStmt {
	chg := ""
	if in.Change != nil {
		chg = in.Change.ID
	}
	return readStmt{`SELECT a.id, a.record_id, a.record_rev, a.record_content, a.approver, a.role, a.decision, u.roles
		FROM approvals a JOIN users u ON u.name = a.approver
		WHERE (a.record_type = $1 AND a.record_id = $2) OR (a.record_type = $3 AND a.record_id = $4) ORDER BY a.id`,
		[]any{"release", in.Release.ID, "change", chg}, func(sc rowScanner) error {
			var id int64
			var a gate.Approval
			var roles string
			if err := sc.Scan(&id, &a.Record, &a.Revision, &a.Content, &a.Approver, &a.Role, &a.Decision, &roles); err != nil {
				return err
			}
			a.ID, a.Roles = ident.Approval.Format(id), nonNilList(splitList(roles))
			g.revs[a.ID] = 1
			in.Approvals = append(in.Approvals, a)
			return nil
		}}
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
