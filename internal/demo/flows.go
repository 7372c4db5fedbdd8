package demo

import (
	"time"

	"fixgate/internal/approval"
	"fixgate/internal/cab"
	"fixgate/internal/change"
	"fixgate/internal/deploy"
	"fixgate/internal/ident"
	"fixgate/internal/knownerror"
	"fixgate/internal/pir"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/store"
)

func mustID(id string) int64 {
	k, _ := ident.KindOf(id)
	n, _ := k.Parse("id", id)
	return n
}

func (l *loader) problem(title string, prio int, by string, cis, envs, incidents []string) string {
	var incIDs []int64
	for _, i := range incidents {
		incIDs = append(incIDs, mustID(i))
	}
	p, err := l.st.CreateProblem(l.ctx, l.as(by), problem.Problem{Title: title, Priority: prio, CIs: cis, Environments: envs, Owner: "pat"}, incIDs)
	l.check("problem "+title, err)
	return p.ID
}

func (l *loader) updateProblem(id, by, action string, fn func(*problem.Problem, store.ProblemContext) error) {
	if l.err != nil {
		return
	}
	_, err := l.st.UpdateProblem(l.ctx, l.as(by), mustID(id), 0, action, fn)
	l.check(action+" "+id, err)
}

func (l *loader) moves(id, by string, to ...string) {
	for _, s := range to {
		l.updateProblem(id, by, "problem.move", func(p *problem.Problem, c store.ProblemContext) error {
			return p.Move(s, by, c.Now, problem.DefaultObservation[p.Priority])
		})
	}
}

// rca records an RCA by author and, when validator is set, validates it.
func (l *loader) rca(id, author, category, summary, validator string) {
	l.updateProblem(id, author, "problem.rca", func(p *problem.Problem, c store.ProblemContext) error {
		return p.RecordRCA(category, summary, "", author, c.Now, problem.DefaultCategories)
	})
	if validator != "" {
		l.validate(id, validator)
	}
}

func (l *loader) validate(id, validator string) {
	l.updateProblem(id, validator, "problem.validate_rca", func(p *problem.Problem, c store.ProblemContext) error {
		return p.ValidateRCA(validator, c.Now)
	})
}

func (l *loader) release(version, typ, title string, resolves, components []string) string {
	if l.err != nil {
		return ""
	}
	r, err := l.st.CreateRelease(l.ctx, l.as("ci-bot"), release.Release{Version: version, Type: typ, Title: title, Resolves: resolves, Components: components})
	l.check("release "+version, err)
	return r.ID
}

func (l *loader) moveRelease(id string, to ...string) {
	for _, s := range to {
		if l.err != nil {
			return
		}
		_, err := l.st.UpdateRelease(l.ctx, l.as("rita"), mustID(id), 0, "release.move", func(r *release.Release) error { return r.Move(s) })
		l.check("release "+id+" → "+s, err)
	}
}

// change requests and walks a change for rel in env up to scheduled.
func (l *loader) change(rel, typ, env, risk, model string, implement bool) string {
	if l.err != nil {
		return ""
	}
	c, err := l.st.CreateChange(l.ctx, l.as("rita"), change.Change{Title: "Deploy " + rel + " to " + env, Type: typ, Release: rel, Env: env, ChangeModel: model})
	if !l.check("change for "+rel, err) {
		return ""
	}
	start := l.clk.t.Add(2 * time.Hour)
	end := start.Add(4 * time.Hour)
	l.updateChange(c.ID, "change.move", func(c *change.Change) error { return c.Move(change.Assess) })
	l.updateChange(c.ID, "change.update", func(c *change.Change) error {
		c.RiskClass, c.PlannedStart, c.PlannedEnd = risk, &start, &end
		return nil
	})
	if typ == change.Standard {
		l.updateChange(c.ID, "change.move", func(c *change.Change) error { return c.Move(change.Scheduled) })
	} else {
		l.updateChange(c.ID, "change.move", func(c *change.Change) error { return c.Move(change.Authorize) })
	}
	if typ == change.Emergency {
		l.updateChange(c.ID, "change.deviation", func(c *change.Change) error {
			return c.AddDeviation("cab_review", "search-api OOM every 2 days in prod-eu; full CAB would wait a week", "pat", l.clk.t)
		})
	}
	if implement && typ != change.Standard {
		l.approve(c.ID, "carl", approval.Approve, "reviewed at CAB")
		if typ == change.Emergency {
			l.approve(c.ID, "pat", approval.Approve, "problem manager sign-off for the emergency fix")
		}
		l.updateChange(c.ID, "change.move", func(c *change.Change) error { return c.Move(change.Scheduled) })
	}
	if implement {
		l.updateChange(c.ID, "change.move", func(c *change.Change) error { return c.Move(change.Implement) })
	}
	return c.ID
}

// tick ticks item of change chg's checklist as by's attestation, with evidence.
func (l *loader) tick(chg, by, item, evidence string) {
	if l.err != nil {
		return
	}
	_, err := l.st.CheckChangeItem(l.ctx, l.as(by), mustID(chg), 0, item, evidence, l.pol)
	l.check("tick "+item+" on "+chg, err)
}

func (l *loader) updateChange(id, action string, fn func(*change.Change) error) {
	if l.err != nil {
		return
	}
	_, err := l.st.UpdateChange(l.ctx, l.as("rita"), mustID(id), 0, action, func(c *change.Change, _ store.ChangeContext) error { return fn(c) })
	l.check(action+" "+id, err)
}

func (l *loader) approve(record, by, decision, comment string) {
	if l.err != nil {
		return
	}
	_, err := l.st.CreateApproval(l.ctx, l.as(by), approval.Approval{Record: record, Decision: decision, Comment: comment}, 0)
	l.check("approval of "+record+" by "+by, err)
}

// ship takes a release through a change and deployments to envs on day;
// the last environment ends with outcome. It returns the last deployment.
func (l *loader) ship(rel string, day int, changeType string, envs []string, outcome string) string {
	l.at(day, 19)
	// a release is approved only by its approvals: peer reviews by people who did not work on it
	l.approve(rel, "cora", approval.Approve, "peer review: contents and rollback plan checked")
	l.approve(rel, "carl", approval.Approve, "peer review: release notes and components checked")
	l.moveRelease(rel, release.Approved) // the first start moves it to deploying
	prod := envs[len(envs)-1]
	chg := l.change(rel, changeType, prod, map[string]string{"standard": "low", "normal": "medium", "emergency": "high"}[changeType], "", true)
	var last string
	for i, env := range envs {
		l.at(day+i/2, 20+i%2)
		end := deploy.Succeeded
		if i == len(envs)-1 {
			end = outcome
		}
		c := ""
		if env == prod {
			c = chg
		}
		last = l.deployment(rel, env, c, end)
	}
	switch outcome { // success in production made the release deployed, the rollback rolled_back
	case deploy.Succeeded:
		l.updateChange(chg, "change.move", func(c *change.Change) error { return c.Move(change.Review) })
		l.updateChange(chg, "change.move", func(c *change.Change) error { return c.Move(change.Closed) })
	case deploy.RolledBack:
		l.updateChange(chg, "change.move", func(c *change.Change) error { return c.Move(change.Failed) })
	default:
		l.moveRelease(rel, release.Failed)
		l.updateChange(chg, "change.move", func(c *change.Change) error { return c.Move(change.Failed) })
	}
	return last
}

func (l *loader) knownError(prb, title, symptoms, workaround string) string {
	if l.err != nil {
		return ""
	}
	k, err := l.st.CreateKnownError(l.ctx, l.as("pat"), knownerror.KnownError{Title: title, Symptoms: symptoms, Workaround: workaround, Problem: prb})
	if !l.check("known error "+title, err) {
		return ""
	}
	_, err = l.st.UpdateKnownError(l.ctx, l.as("pat"), mustID(k.ID), 0, "known_error.move", func(k *knownerror.KnownError, _ store.KnownErrorContext) error {
		return k.Move(knownerror.Published)
	})
	l.check("publish "+k.ID, err)
	return k.ID
}

func (l *loader) outcome(ke, rel, dep, outcome string) {
	if l.err != nil {
		return
	}
	_, err := l.st.AddKnownErrorOutcome(l.ctx, l.as("rita"), mustID(ke), 0, knownerror.Outcome{Release: rel, Deployment: dep, Outcome: outcome,
		Note: "recorded by the demo"})
	l.check("outcome for "+ke, err)
}

func (l *loader) pir(prb, rel string, eliminated bool, findings string, checklist []string) {
	if l.err != nil {
		return
	}
	in := pir.PIR{Problem: prb, Release: rel, Findings: findings, Checklist: checklist,
		KPIs: map[string]float64{"incidents_30d_before": 12, "incidents_30d_after": 0}}
	if findings != "" {
		in.RootCauseEliminated = &eliminated
	}
	p, err := l.st.CreatePIR(l.ctx, l.as("vera"), in)
	if !l.check("PIR for "+prb, err) || findings == "" {
		return
	}
	_, err = l.st.UpdatePIR(l.ctx, l.as("vera"), mustID(p.ID), 0, "pir.move", func(p *pir.PIR, c store.PIRContext) error {
		return p.Move(pir.Completed, "vera", c.Now)
	})
	l.check("complete "+p.ID, err)
}

// confirm records an independent validator's confirmation of a resolved problem's fix.
func (l *loader) confirm(prb, validator string) {
	if l.err != nil {
		return
	}
	_, err := l.st.ConfirmFix(l.ctx, l.as(validator), mustID(prb), "no recurrence seen in monitoring")
	l.check("confirm "+prb, err)
}

// close closes a problem through the closure checks.
func (l *loader) close(prb, by string) {
	if l.err != nil {
		return
	}
	_, err := l.st.CloseProblem(l.ctx, l.as(by), mustID(prb), 0, "observation period passed")
	l.check("close "+prb, err)
}

// meeting schedules a CAB meeting run by rita for day d at hour h and
// returns its id.
func (l *loader) meeting(title string, d, h int, attendees []string) string {
	if l.err != nil {
		return ""
	}
	at := l.start.Add(time.Duration(d)*24*time.Hour + time.Duration(h)*time.Hour)
	m, err := l.st.CreateMeeting(l.ctx, l.as("rita"), cab.Record{Title: title, ScheduledAt: at, Attendees: attendees})
	l.check("CAB meeting "+title, err)
	return m.ID
}

// moveMeeting moves a CAB meeting to a state, with a comment (the
// cancellation reason, the minutes).
func (l *loader) moveMeeting(id, to, comment string) {
	if l.err != nil {
		return
	}
	n, _ := cab.Meeting.Parse("id", id)
	m, err := l.st.GetMeeting(l.ctx, n)
	if l.check("read "+id, err) {
		_, err = l.st.MoveMeeting(l.ctx, l.as("rita"), n, m.Revision, to, comment)
		l.check("move "+id+" to "+to, err)
	}
}
