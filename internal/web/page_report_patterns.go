package web

import (
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"fixgate/internal/auth"
	"fixgate/internal/fault"
	"fixgate/internal/policy"
	"fixgate/internal/report"
)

// patternsReaders may read the failure-patterns page: the roles of GET
// /api/v1/reports/patterns (every role but pipeline).
var patternsReaders = []auth.Role{auth.Admin, auth.ProblemManager, auth.ReleaseManager, auth.Engineer, auth.CABMember,
	auth.Validator, auth.Auditor}

// patternsDrillRows is the most deployments the page lists behind one number.
const patternsDrillRows = 500

// dimTitles name the report's dimensions on the page.
var dimTitles = map[string]string{
	report.DimCategory: "Root cause category", report.DimEnv: "Environment", report.DimComponent: "Component (CI)",
	report.DimChangeModel: "Change model", report.DimStage: "Stage reached", report.DimCheck: "Failing check",
	report.DimFinding: "PIR finding tag", report.DimComponents: "Release size: components",
	report.DimProblems: "Release size: problems resolved", report.DimCommits: "Release size: commits",
	report.DimFrequency: "Release frequency: problem-fix releases per CI per 30 days",
}

// dimNotes say what a dimension's deployments are where it is not plain.
var dimNotes = map[string]string{
	report.DimCheck: "Deployments: those the check was measured on; failed: those that failed with it failing. " +
		"(none): deployments on which no check failed.",
	report.DimFinding:  "Tags of the post-implementation reviews of the deployment's release (the policy's root cause categories).",
	report.DimCategory: "Root cause categories of the problems the deployment's release resolves.",
	report.DimStage:    "The stage each deployment reached (where it stopped, or its last).",
}

// patternsData is the data of report_patterns.html.
type patternsData struct {
	Since, Env, CI string
	P              report.Patterns
	Days           int64
	Overall        patternRow
	Dims           []patternDim
	Binned         []binnedDim
	CSV            string // the CSV download link (the same filters)
	Drill          *patternDrill
}

// patternRow is one bucket: its numbers, each linking to the deployments
// behind it, and its bar.
type patternRow struct {
	Key                   string
	Failed, Total         int64
	Rate                  string
	Bar                   svgBar
	FailedHref, TotalHref string
}

type patternDim struct {
	ID, Title, Note string
	Rows            []patternRow
}

// binRow is one bin: failure (patternRow) and recurrence of the problems fixed.
type binRow struct {
	patternRow
	Baseline           bool
	Recurred, Problems int64
	RRate              string
	RBar               svgBar
	RecurredIDs        []string
	CIs                []string
}

type binnedDim struct {
	ID, Title, Baseline string
	Rows                []binRow
}

// patternDrill lists the deployments behind one number.
type patternDrill struct {
	Title      string
	OnlyFailed bool
	Rows       []report.BucketDeployment
	Shown, Of  int
	All        string // the link to every deployment of the bucket when only the failed are shown
}

// svgBar is a rate drawn as a bar: its width in the SVG's units (0 to
// patternBarW) and its colour (AA contrast against the track and white).
type svgBar struct{ W, Fill string }

const (
	patternBarW   = 120
	failureColour = "#a40e26"
	recurColour   = "#0b5394"
)

// reportPatterns is GET /reports/patterns?since=90d&env=E&ci=C: the
// failure-patterns report (store.PatternsReport, as GET
// /api/v1/reports/patterns) as tables with bars, each number linking to
// the deployments behind it (&dim=D&key=K[&only=failed]:
// store.PatternBucket), and the recommendations; &format=csv answers the
// report as CSV (report.Patterns.WriteCSV, as `report patterns --output csv`).
func (s *Server) reportPatterns(w http.ResponseWriter, r *http.Request, v *visit) error {
	q := r.URL.Query()
	d := patternsData{Since: strings.TrimSpace(q.Get("since")), Env: strings.TrimSpace(q.Get("env")), CI: strings.TrimSpace(q.Get("ci"))}
	if d.Since == "" {
		d.Since = "90d"
	}
	vw := &view{Title: "Failure patterns of problem fixes", Path: r.URL.Path, Data: &d}
	since, err := policy.ParseDuration(d.Since)
	if err != nil || since <= 0 {
		err = fault.Field("since", "%q is not a period such as 90d, 12w or 1y", d.Since)
	}
	if err == nil {
		d.P, err = s.store.PatternsReport(r.Context(), since, d.Env, d.CI)
	}
	if err == nil && q.Get("format") == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="fixgate-patterns.csv"`)
		w.Header().Set("Cache-Control", "no-store")
		return d.P.WriteCSV(w)
	}
	if err == nil && q.Get("dim") != "" {
		d.Drill, err = s.patternDrill(r, &d, since)
	}
	if fe := fault.As(err); fe != nil && fe.Code == fault.Invalid {
		vw.Error, vw.Field = fe.Field+": "+fe.Message, fe.Field
		return s.renderView(w, r, v, http.StatusBadRequest, "report_patterns.html", vw)
	}
	if err != nil {
		return err
	}
	d.layout(since)
	return s.renderView(w, r, v, http.StatusOK, "report_patterns.html", vw)
}

// link is the page's URL with the filters and extra parameters.
func (d *patternsData) link(extra ...string) string {
	q := url.Values{"since": {d.Since}}
	if d.Env != "" {
		q.Set("env", d.Env)
	}
	if d.CI != "" {
		q.Set("ci", d.CI)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return "/reports/patterns?" + q.Encode()
}

// row lays out one bucket of dim.
func (d *patternsData) row(dim, key string, c report.FailureCount) patternRow {
	return patternRow{Key: key, Failed: c.Failed, Total: c.Total, Rate: pct(c.Rate), Bar: barOf(c.Rate, failureColour),
		FailedHref: d.link("dim", dim, "key", key, "only", "failed") + "#drill", TotalHref: d.link("dim", dim, "key", key) + "#drill"}
}

// layout turns the report into the page's tables.
func (d *patternsData) layout(period time.Duration) {
	d.Days = int64((period + 12*time.Hour) / (24 * time.Hour))
	d.CSV = d.link("format", "csv")
	d.Overall = d.row(report.DimEnv, "", d.P.ProblemFix)
	for _, dim := range d.P.Failures {
		pd := patternDim{ID: "dim-" + dim.Dimension, Title: dimTitles[dim.Dimension], Note: dimNotes[dim.Dimension]}
		for _, b := range dim.Buckets {
			pd.Rows = append(pd.Rows, d.row(dim.Dimension, b.Key, b.FailureCount))
		}
		d.Dims = append(d.Dims, pd)
	}
	for _, bd := range append(append([]report.Binned{}, d.P.Size...), d.P.Frequency) {
		b := binnedDim{ID: "bin-" + bd.Dimension, Title: dimTitles[bd.Dimension], Baseline: bd.Baseline}
		for _, x := range bd.Bins {
			rec := x.Recurrence
			b.Rows = append(b.Rows, binRow{patternRow: d.row(bd.Dimension, x.Bin, x.Failure), Baseline: x.Bin == bd.Baseline,
				Recurred: rec.Recurred, Problems: rec.Problems, RRate: pct(rec.Rate), RBar: barOf(rec.Rate, recurColour),
				RecurredIDs: rec.IDs, CIs: x.CIs})
		}
		d.Binned = append(d.Binned, b)
	}
}

// patternDrill loads the deployments behind ?dim=&key= (only the failed
// with &only=failed), at most patternsDrillRows of them.
func (s *Server) patternDrill(r *http.Request, d *patternsData, since time.Duration) (*patternDrill, error) {
	q := r.URL.Query()
	dim, key := q.Get("dim"), q.Get("key")
	rows, err := s.store.PatternBucket(r.Context(), since, d.Env, d.CI, dim, key)
	if err != nil {
		return nil, err
	}
	dr := &patternDrill{OnlyFailed: q.Get("only") == "failed", Title: dimTitles[dim] + " " + key}
	if key == "" {
		dr.Title = "every problem-fix deployment"
	}
	if dr.OnlyFailed {
		dr.All = d.link("dim", dim, "key", key) + "#drill"
		kept := rows[:0]
		for _, x := range rows {
			if x.Failed {
				kept = append(kept, x)
			}
		}
		rows = kept
	}
	dr.Of = len(rows)
	if len(rows) > patternsDrillRows {
		rows = rows[:patternsDrillRows]
	}
	dr.Rows, dr.Shown = rows, len(rows)
	return dr, nil
}

// pct is a rate as a percentage ("–" when null).
func pct(r *float64) string {
	if r == nil {
		return "–"
	}
	return strconv.FormatFloat(math.Round(*r*10000)/100, 'f', -1, 64) + " %"
}

// barOf is a rate's bar (width 0 for null).
func barOf(r *float64, fill string) svgBar {
	if r == nil {
		return svgBar{W: "0", Fill: fill}
	}
	return svgBar{W: strconv.FormatFloat(*r*patternBarW, 'f', 1, 64), Fill: fill}
}
