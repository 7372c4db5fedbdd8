// Package control decides fixgate's governance controls (docs/governance.md):
// for a period, each control looks at the records the store read for it and
// lists its exceptions, each a record id with the reason it breaks the
// control. The store reads (bounded, set-based queries, which may leave out
// records that cannot break a control when they count them: Facts);
// this package only decides, so every check is a pure function.
package control

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"fixgate/internal/fault"
)

// Control ids, in the order an assessment lists them.
const (
	GateAndChange   = "gate_and_change"
	RCABeforeDeploy = "rca_before_deploy"
	Separation      = "separation_of_duties"
	ApprovalsByRisk = "approvals_by_risk"
	Deviations      = "deviations_approved"
	PIRForFix       = "pir_for_fix"
	Observation     = "observation_before_closure"
	AuditChain      = "audit_chain"
	Retention       = "retention"
)

// Control describes one control: what it checks, in one sentence, and the
// ISO/IEC 20000-1:2018 clause it evidences.
type Control struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Clause string `json:"clause"`
}

// All lists the controls in assessment order.
var All = []Control{
	{GateAndChange, "every production deployment went through the gate (allowed) and an authorised change", "8.5.1"},
	{RCABeforeDeploy, "the RCA of every problem a production deployment fixes was validated before it started", "8.6.3"},
	{Separation, "no approver approved a release they created or a change they requested", "8.5.1"},
	{ApprovalsByRisk, "the approvals of every production deployment met its risk class (gate rule approvals)", "8.5.1"},
	{Deviations, "every deviation on a deployed change states its reason and who approved it", "8.5.1"},
	{PIRForFix, "every problem whose fix was deployed has a post-implementation review", "8.6.3"},
	{Observation, "no problem was closed before its observation period ended", "8.6.3"},
	{AuditChain, "the audit chain verifies against the latest signed checkpoint", "7.5.4"},
	{Retention, "evidence of production releases (rca, test_report, rollback_plan) is kept audit-long or longer", "7.5.4"},
}

// Exception is one record that breaks a control, and why.
type Exception struct {
	Record string `json:"record"`
	Reason string `json:"reason"`
}

// Result is one control's outcome over a period: how many records it
// looked at (Sample) and which broke it. Passed is true when there is no
// exception, also when the sample is empty.
type Result struct {
	Control
	Sample     int         `json:"sample"`
	Exceptions []Exception `json:"exceptions"`
	Passed     bool        `json:"passed"`
}

// Period is a half-open time range [From, To) with its name (2026-Q3,
// 2026-07, 2026).
type Period struct {
	Name string    `json:"name"`
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// ParsePeriod reads "YYYY", "YYYY-Qn" or "YYYY-MM" as a UTC period.
// Returns Invalid naming field "period" otherwise.
func ParsePeriod(s string) (Period, error) {
	bad := fault.Field("period", "must be YYYY, YYYY-Qn or YYYY-MM, got %q", s)
	year, rest, _ := strings.Cut(s, "-")
	y, err := strconv.Atoi(year)
	if err != nil || len(year) != 4 || y < 1970 {
		return Period{}, bad
	}
	from, months := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), 12
	switch {
	case rest == "" && !strings.Contains(s, "-"):
	case len(rest) == 2 && (rest[0] == 'Q' || rest[0] == 'q') && rest[1] >= '1' && rest[1] <= '4':
		from, months = from.AddDate(0, 3*int(rest[1]-'1'), 0), 3
	case len(rest) == 2:
		m, err := strconv.Atoi(rest)
		if err != nil || m < 1 || m > 12 {
			return Period{}, bad
		}
		from, months = from.AddDate(0, m-1, 0), 1
	default:
		return Period{}, bad
	}
	return Period{Name: strings.ToUpper(s), From: from, To: from.AddDate(0, months, 0)}, nil
}

// MonthBefore returns the calendar month before the one holding t (UTC),
// the period the monthly job assesses.
func MonthBefore(t time.Time) Period {
	t = t.UTC()
	to := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	from := to.AddDate(0, -1, 0)
	return Period{Name: from.Format("2006-01"), From: from, To: to}
}

// result builds a control's Result from its sample and exceptions.
func result(id string, sample int, exc []Exception) Result {
	if exc == nil {
		exc = []Exception{}
	}
	for _, c := range All {
		if c.ID == id {
			return Result{Control: c, Sample: sample, Exceptions: exc, Passed: len(exc) == 0}
		}
	}
	panic(fmt.Sprintf("control: unknown control %q", id))
}
