package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
)

// PatternsCSVHeader is the header of the patterns report as CSV.
var PatternsCSVHeader = []string{"section", "dimension", "key", "count", "total", "rate", "records"}

// CSVRows is the report as CSV rows (without the header), in report order:
// problem_fix; failure (count failed of total deployments, records the
// failed ones); size_failure and frequency_failure per bin; size_recurrence
// and frequency_recurrence per bin (count recurred of total problems,
// records the recurred ones); recommendation (key the kind and bin, count
// and total the bin's, rate the ratio to the baseline, records the text).
// Rates are empty when null; records are space-separated ids.
func (p Patterns) CSVRows() [][]string {
	rows := [][]string{failureRow("problem_fix", "all", "all", p.ProblemFix)}
	for _, d := range p.Failures {
		for _, b := range d.Buckets {
			rows = append(rows, failureRow("failure", d.Dimension, b.Key, b.FailureCount))
		}
	}
	for _, d := range append(append([]Binned{}, p.Size...), p.Frequency) {
		sec := "size"
		if d.Dimension == DimFrequency {
			sec = "frequency"
		}
		for _, b := range d.Bins {
			rows = append(rows, failureRow(sec+"_failure", d.Dimension, b.Bin, b.Failure))
		}
		for _, b := range d.Bins {
			r := b.Recurrence
			rows = append(rows, []string{sec + "_recurrence", d.Dimension, b.Bin, itoa(r.Recurred), itoa(r.Problems), csvRate(r.Rate),
				strings.Join(r.IDs, " ")})
		}
	}
	for _, r := range p.Recommendations {
		key := r.Kind
		if r.Bin != "" {
			key += " " + r.Bin
		}
		rows = append(rows, []string{"recommendation", r.Dimension + "/" + r.Measure, key, itoa(r.Count), itoa(r.Sample),
			csvRate(r.Ratio), r.Text})
	}
	return rows
}

// WriteCSV writes the report as CSV (PatternsCSVHeader, then CSVRows).
func (p Patterns) WriteCSV(out io.Writer) error {
	w := csv.NewWriter(out)
	w.Write(PatternsCSVHeader)
	w.WriteAll(p.CSVRows())
	return w.Error()
}

func failureRow(section, dim, key string, c FailureCount) []string {
	return []string{section, dim, key, itoa(c.Failed), itoa(c.Total), csvRate(c.Rate), strings.Join(c.Deployments, " ")}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func csvRate(r *float64) string {
	if r == nil {
		return ""
	}
	return strconv.FormatFloat(*r, 'f', -1, 64)
}
