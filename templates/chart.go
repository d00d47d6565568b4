package templates

import (
	"strconv"
)

// The dashboard's 7-day chart is plain SVG drawn on the server: three bars per day.
const (
	chartW, chartH   = 700, 240
	chartTop         = 20
	chartBottom      = 200 // y of the axis
	chartLeft        = 40
	chartGroupW      = (chartW - chartLeft) / 7
	chartBarW        = 22
	chartSeriesCount = 3
)

// Bar is one rectangle of the chart.
type Bar struct {
	X, Y, W, H string
	Fill       string
	Title      string
}

// Label is a text under or beside the chart.
type Label struct {
	X, Y string
	Text string
}

// LegendEntry is a series' colour and name under the chart.
type LegendEntry struct {
	X, Y, TextX, TextY string
	Fill, Text         string
}

var seriesFill = [chartSeriesCount]string{"#1e88e5", "#e53935", "#43a047"}

// seriesKeys name the series in the catalog; the bar titles fill in the day and the count.
var seriesKeys = [chartSeriesCount]string{"console.chart.binds", "console.chart.unbinds", "console.chart.logins"}

// Bars lays out the chart's rectangles, scaled to the week's largest figure.
func (v DashboardView) Bars(l Locale) []Bar {
	max := v.ChartMaxValue
	if max < 1 {
		max = 1
	}
	var bars []Bar
	for d, day := range v.Days {
		for s, val := range [chartSeriesCount]int64{day.Binds, day.Unbinds, day.Logins} {
			h := int(val * (chartBottom - chartTop) / max)
			x := chartLeft + d*chartGroupW + 10 + s*(chartBarW+4)
			bars = append(bars, Bar{
				X: strconv.Itoa(x), Y: strconv.Itoa(chartBottom - h), W: strconv.Itoa(chartBarW), H: strconv.Itoa(h),
				Fill:  seriesFill[s],
				Title: l.Tf(seriesKeys[s]+"_on", map[string]any{"Day": l.Day(day.Day), "Count": l.Number(val)}),
			})
		}
	}
	return bars
}

// DayLabels are the dates under each group of bars.
func (v DashboardView) DayLabels(l Locale) []Label {
	var ls []Label
	for d, day := range v.Days {
		ls = append(ls, Label{X: strconv.Itoa(chartLeft + d*chartGroupW + 10), Y: strconv.Itoa(chartBottom + 18), Text: l.Day(day.Day)})
	}
	return ls
}

// Legend names the three series at the chart's foot, right-aligned.
func Legend(l Locale) []LegendEntry {
	var out []LegendEntry
	for s := range chartSeriesCount {
		x := 400 + s*100
		out = append(out, LegendEntry{
			X: strconv.Itoa(x), Y: "228", TextX: strconv.Itoa(x + 14), TextY: "237",
			Fill: seriesFill[s], Text: l.T(seriesKeys[s]),
		})
	}
	return out
}
