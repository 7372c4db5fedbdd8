package web

import (
	"fmt"
	"math"
	"strconv"

	"fixgate/internal/report"
)

// The reports page's charts (reports.html), laid out here as svg.go lays
// out a deployment's measurements: pure functions of the report that
// compute every coordinate, so the template only places them (no style
// attributes: the CSP forbids them). Series differ by colour, dash and
// marker shape, never by colour alone; each chart has a <title>, a <desc>
// summing it up, and the same numbers as a table beside it.

// trendSeries are the release types the trend draws, with how each looks.
var trendSeries = []struct {
	Key, Label, Colour, Dash, Marker string
}{
	{"problem_fix", "problem fixes", "#0b57d0", "", "circle"},
	{"feature", "features", "#7a4d00", "6 4", "square"},
	{"mixed", "mixed", "#4a4a4a", "2 3", "diamond"},
}

// trendChart is the monthly change failure rate by release type.
type trendChart struct {
	ID, Desc              string
	W, H                  int
	Left, Top, Right, Bot int
	LabelX, MonthY        int
	YTicks                []chartTick
	Months                []monthTick
	Series                []trendLine
	Rows                  []report.MonthRate // the table beside the chart
}

type monthTick struct {
	X, Label string
}

// trendLine is one release type's series: the polyline through the months
// with deployments (a month without any is a gap: no rate) and its points.
type trendLine struct {
	Label, Colour, Dash string
	Segments            []string // polyline points, one per run of months with a rate
	Points              []trendPoint
}

type trendPoint struct {
	Shape, Title string
}

// layoutTrend lays out the monthly rates ms (oldest first) on a 0–100 %
// axis.
func layoutTrend(ms []report.MonthRate) trendChart {
	c := trendChart{ID: "trend", W: chartW, H: chartH, Left: chartLeft, Top: chartTop, Right: chartLeft + plotW, Bot: chartTop + plotH,
		LabelX: chartLeft - 6, MonthY: chartTop + plotH + 22, Rows: ms}
	y := func(r float64) float64 { return chartTop + plotH*(1-r) }
	for _, v := range []float64{0, 0.25, 0.5, 0.75, 1} {
		c.YTicks = append(c.YTicks, chartTick{Y: coord(y(v)), Label: strconv.Itoa(int(v*100)) + " %"})
	}
	x := func(i int) float64 {
		if len(ms) < 2 {
			return chartLeft + plotW/2.0
		}
		return chartLeft + xPad + (plotW-2*xPad)*float64(i)/float64(len(ms)-1)
	}
	every := max(1, (len(ms)+7)/8) // at most about 8 month labels
	for i, m := range ms {
		if i%every == 0 || i == len(ms)-1 {
			c.Months = append(c.Months, monthTick{X: coord(x(i)), Label: m.Month})
		}
	}
	drawn := 0
	for _, sr := range trendSeries {
		l := trendLine{Label: sr.Label, Colour: sr.Colour, Dash: sr.Dash}
		seg := ""
		for i, m := range ms {
			s := monthShare(m, sr.Key)
			if s.Rate == nil {
				if seg != "" {
					l.Segments, seg = append(l.Segments, seg), ""
				}
				continue
			}
			px, py := coord(x(i)), coord(y(*s.Rate))
			seg += px + "," + py + " "
			l.Points = append(l.Points, trendPoint{Shape: markerPath(px, py, sr.Marker),
				Title: fmt.Sprintf("%s, %s: %d of %d failed (%s)", m.Month, sr.Label, s.Failed, s.Total, percent(s.Rate))})
			drawn++
		}
		if seg != "" {
			l.Segments = append(l.Segments, seg)
		}
		c.Series = append(c.Series, l)
	}
	c.Desc = trendDesc(ms, drawn)
	return c
}

func monthShare(m report.MonthRate, key string) report.Share {
	switch key {
	case "problem_fix":
		return m.ProblemFix
	case "feature":
		return m.Feature
	}
	return m.Mixed
}

// markerPath draws a point's marker: a circle, a square or a diamond.
func markerPath(x, y, shape string) string {
	at := "M" + x + " " + y
	switch shape {
	case "square":
		return at + " m-4.5 -4.5 h9 v9 h-9 z"
	case "diamond":
		return at + " m0 -6 l6 6 l-6 6 l-6 -6 z"
	}
	return at + " m-4.5 0 a4.5 4.5 0 1 0 9 0 a4.5 4.5 0 1 0 -9 0 z"
}

func trendDesc(ms []report.MonthRate, drawn int) string {
	if len(ms) == 0 {
		return "No month in the period."
	}
	var pf, ft report.Share
	for _, m := range ms {
		pf.Failed, pf.Total = pf.Failed+m.ProblemFix.Failed, pf.Total+m.ProblemFix.Total
		ft.Failed, ft.Total = ft.Failed+m.Feature.Failed, ft.Total+m.Feature.Total
	}
	return fmt.Sprintf("Change failure rate per month from %s to %s (%d points): problem fixes %d of %d failed, features %d of %d.",
		ms[0].Month, ms[len(ms)-1].Month, drawn, pf.Failed, pf.Total, ft.Failed, ft.Total)
}

// percent writes a rate as a percentage, "no data" when it is null.
func percent(r *float64) string {
	if r == nil {
		return "no data"
	}
	return strconv.FormatFloat(math.Round(*r*1000)/10, 'f', -1, 64) + " %"
}

// barChart is a horizontal bar per group: a rate out of 100 %. The bars
// are no links (an image holds no controls): the table beside links the
// counts to their records.
type barChart struct {
	ID, Title, Desc string
	W, H            int
	Left, Right     int
	Bars            []bar
}

type bar struct {
	Label, Value    string
	Y, TextY, Width string
	BarH            int
}

const (
	barH, barGap, barLeft = 22, 10, 170
	barW                  = chartW - barLeft - 150
)

// rateBar is one bar: label, the rate's numerator and denominator, the
// link to its records ("" for none).
type rateBar struct {
	Label        string
	Count, Total int64
	Rate         *float64
	Href         string
}

// layoutBars lays out bs as horizontal bars of their rate.
func layoutBars(id, title, desc string, bs []rateBar) barChart {
	c := barChart{ID: id, Title: title, Desc: desc, W: chartW, Left: barLeft, Right: barLeft + barW}
	for i, b := range bs {
		top := barGap + i*(barH+barGap)
		w := 0.0
		if b.Rate != nil {
			w = math.Max(barW**b.Rate, 1)
		}
		c.Bars = append(c.Bars, bar{Label: b.Label, Y: strconv.Itoa(top), TextY: strconv.Itoa(top + barH/2), Width: coord(w),
			BarH: barH, Value: fmt.Sprintf("%d of %d (%s)", b.Count, b.Total, percent(b.Rate))})
	}
	c.H = barGap + len(bs)*(barH+barGap)
	return c
}

func formatFloat(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }
