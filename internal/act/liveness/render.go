package liveness

import (
	_ "embed"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"time"
)

// Formats lists the formats Write knows.
var Formats = []string{"html", "csv", "json"}

// Write writes r in format: html (a page in Arabic and English with the
// charts), csv (one row a group) or json (everything, curves included).
func Write(w io.Writer, r Report, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(r)
	case "csv":
		return writeCSV(w, r)
	case "html":
		return reportPage.Execute(w, htmlReport{Report: r,
			Survival:  template.HTML(SurvivalSVG(r.ByDimension("platform"), "ساعات منذ الإحالة · hours since referral", "ما زال متاحًا · still online", nil)),
			Histogram: template.HTML(HistogramSVG(r.Histogram, "عناصر · items", "متاح · online"))})
	}
	return fmt.Errorf("report format %q: want html, csv or json", format)
}

// ByDimension returns the groups of one dimension (platform, channel,
// label, tier), in report order.
func (r Report) ByDimension(dim string) []Group {
	var gs []Group
	for _, g := range r.Groups {
		if g.Dimension == dim {
			gs = append(gs, g)
		}
	}
	return gs
}

// Rows are the overall group, then every other group.
func (r Report) Rows() []Group { return append([]Group{r.Overall}, r.Groups...) }

var csvHeader = []string{"dimension", "value", "items", "removed", "restored", "share_removed", "median_hours", "p90_hours", "within_1h", "within_24h"}

func writeCSV(w io.Writer, r Report) error {
	cw := csv.NewWriter(w)
	cw.Write(csvHeader)
	for _, g := range r.Rows() {
		cw.Write([]string{g.Dimension, g.Value, strconv.Itoa(g.Items), strconv.Itoa(g.Removed), strconv.Itoa(g.Restored),
			float(g.ShareRemoved), optHours(g.MedianHours), optHours(g.P90Hours), float(g.Within1h), float(g.Within24h)})
	}
	cw.Flush()
	return cw.Error()
}

// float writes v exactly, in the shortest form that reads back the same.
func float(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// optHours is empty for an undefined quantile.
func optHours(h *float64) string {
	if h == nil {
		return ""
	}
	return float(*h)
}

//go:embed report.html
var reportHTML string

var reportPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct":   func(v float64) string { return strconv.FormatFloat(v*100, 'f', 1, 64) + "%" },
	"hours": func(h *float64) string { return HoursText(h) },
	"utc":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
}).Parse(reportHTML))

type htmlReport struct {
	Report
	Survival, Histogram template.HTML
}

// HoursText writes a delay for people: minutes under an hour, hours with
// one decimal under two days, days beyond; "—" when undefined.
func HoursText(h *float64) string {
	switch {
	case h == nil:
		return "—"
	case *h < 1:
		return strconv.FormatFloat(*h*60, 'f', 0, 64) + " min"
	case *h < 48:
		return strconv.FormatFloat(*h, 'f', 1, 64) + " h"
	}
	return strconv.FormatFloat(*h/24, 'f', 1, 64) + " d"
}
