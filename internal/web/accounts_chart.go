package web

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/account"
)

// chart is a server-side SVG line chart of daily series: no script, so it
// passes the Content-Security-Policy and prints as it shows.
type chart struct {
	SVG   template.HTML
	Empty bool
}

// chartColours are told apart in greyscale too (reviewer-wellness mode).
var chartColours = []string{"#1f4e79", "#c0392b", "#27ae60", "#8e44ad", "#d35400", "#7f8c8d", "#16a085", "#2c3e50"}

// Chart geometry in SVG units.
const (
	chartW, chartH         = 640, 220
	padL, padR, padT, padB = 40, 10, 10, 40
)

// lineChart draws series of one value a day from start. Series names are
// escaped: they may come from data (entity ids, platform names).
func lineChart(start time.Time, series []account.Series) chart {
	days, top := 0, 0
	for _, s := range series {
		days = max(days, len(s.Values))
		for _, v := range s.Values {
			top = max(top, v)
		}
	}
	if days == 0 || top == 0 {
		return chart{Empty: true}
	}
	w, h := float64(chartW-padL-padR), float64(chartH-padT-padB)
	x := func(d int) float64 {
		if days == 1 {
			return padL
		}
		return padL + w*float64(d)/float64(days-1)
	}
	y := func(v int) float64 { return padT + h - h*float64(v)/float64(top) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" direction="ltr" width="%d" height="%d" viewBox="0 0 %d %d" role="img">`, chartW, chartH, chartW, chartH)
	fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#999"/>`, padL, y(0), chartW-padR, y(0))
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%.1f" stroke="#999"/>`, padL, padT, padL, y(0))
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="10" text-anchor="end">%d</text>`, padL-4, padT+8, top)
	fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="10" text-anchor="end">0</text>`, padL-4, y(0))
	for _, d := range []int{0, days / 2, days - 1} {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="middle">%s</text>`, x(d), y(0)+14,
			start.AddDate(0, 0, d).Format("01-02"))
	}
	for i, s := range series {
		c := chartColours[i%len(chartColours)]
		pts := make([]string, len(s.Values))
		for d, v := range s.Values {
			pts[d] = fmt.Sprintf("%.1f,%.1f", x(d), y(v))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"><title>%s</title></polyline>`,
			c, strings.Join(pts, " "), template.HTMLEscapeString(s.Name))
		lx := padL + (i%4)*150
		ly := chartH - 12 + 0*(i/4)
		if i >= 4 {
			ly = chartH - 1
		}
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="10" height="3" fill="%s"/><text x="%d" y="%d" font-size="10">%s</text>`,
			lx, ly-4, c, lx+14, ly, template.HTMLEscapeString(s.Name))
	}
	b.WriteString(`</svg>`)
	// Every value written above is a number, a colour of our own or an
	// escaped name.
	return chart{SVG: template.HTML(b.String())}
}
