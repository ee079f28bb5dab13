package liveness

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// Chart sizes, in SVG user units; the page scales the picture.
const (
	chartW, chartH  = 640.0, 300.0
	padL, padR      = 48.0, 16.0
	padT, padB      = 16.0, 40.0
	plotW, plotH    = chartW - padL - padR, chartH - padT - padB
	legendRowHeight = 18.0
)

// palette colours the curves, one per group in order; it is readable for
// the common colour-vision deficiencies.
var palette = []string{"#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442"}

// hourTicks are the delays marked on the time axis.
var hourTicks = []float64{1, 6, 24, 72, 168, 720, 2160}

// The charts carry their presentation as attributes, so that they look
// the same inline in a page under a strict Content-Security-Policy and in
// a file opened on its own.

// SurvivalSVG draws the Kaplan–Meier curve of each group on one chart:
// the share still online (y) against hours since referral (x, on a log
// scale so that the first hour, the TCO deadline, is as wide as the first
// week). Censored items are ticks on their curve. xLabel and yLabel are
// the axis titles in the page's language; name gives a group's name in
// the legend (nil: its value).
func SurvivalSVG(groups []Group, xLabel, yLabel string, name func(Group) string) string {
	if name == nil {
		name = func(g Group) string { return g.Value }
	}
	maxH := 1.0
	for _, g := range groups {
		if n := len(g.Curve); n > 0 {
			maxH = max(maxH, g.Curve[n-1].Hours)
		}
	}
	x := func(h float64) float64 { return padL + plotW*math.Log1p(h)/math.Log1p(maxH) }
	y := func(s float64) float64 { return padT + plotH*(1-s) }
	var b strings.Builder
	legendH := legendRowHeight * float64(len(groups))
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %[1]s %[2]s" width="%[1]s" height="%[2]s" role="img" class="chart survival" direction="ltr">`, num(chartW), num(chartH+legendH))
	axes(&b, xLabel, yLabel, true)
	for _, h := range hourTicks {
		if h > maxH {
			break
		}
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" class="grid" stroke="#ddd"/><text x="%s" y="%s" text-anchor="middle" class="tick" font-size="11">%s</text>`,
			num(x(h)), num(padT), num(x(h)), num(padT+plotH), num(x(h)), num(padT+plotH+14), hoursText(h))
	}
	for i, g := range groups {
		colour := palette[i%len(palette)]
		var d strings.Builder
		fmt.Fprintf(&d, "M%s,%s", num(x(0)), num(y(1)))
		s := 1.0
		var ticks strings.Builder
		for _, st := range g.Curve {
			if st.Removed > 0 {
				fmt.Fprintf(&d, " H%s V%s", num(x(st.Hours)), num(y(st.Survival)))
				s = st.Survival
			}
			if st.Censored > 0 {
				fmt.Fprintf(&ticks, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"/>`, num(x(st.Hours)), num(y(s)-4), num(x(st.Hours)), num(y(s)+4), colour)
			}
		}
		if n := len(g.Curve); n > 0 {
			fmt.Fprintf(&d, " H%s", num(x(g.Curve[n-1].Hours)))
		}
		fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="2"/>%s`, d.String(), colour, ticks.String())
		ly := chartH + legendRowHeight*float64(i) + 4
		fmt.Fprintf(&b, `<rect x="%s" y="%s" width="12" height="12" fill="%s"/><text x="%s" y="%s" class="legend" font-size="12">%s (%d)</text>`,
			num(padL), num(ly), colour, num(padL+18), num(ly+10), html.EscapeString(name(g)), g.Items)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// HistogramSVG draws the removals by delay and the items still online as
// bars, each with its count; onlineLabel names the last bar.
func HistogramSVG(bs []Bucket, yLabel, onlineLabel string) string {
	most := 1
	for _, bk := range bs {
		most = max(most, bk.Count)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %[1]s %[2]s" width="%[1]s" height="%[2]s" role="img" class="chart histogram" direction="ltr">`, num(chartW), num(chartH))
	axes(&b, "", yLabel, false)
	slot := plotW / float64(max(len(bs), 1))
	for i, bk := range bs {
		h := plotH * float64(bk.Count) / float64(most)
		x0 := padL + slot*float64(i) + slot*0.15
		label := bk.Label
		class, fill := "bar", palette[0]
		if bk.Label == "online" {
			label, class, fill = onlineLabel, "bar online", "#999999"
		}
		fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" class="%s" fill="%s"/><text x="%s" y="%s" text-anchor="middle" class="count" font-size="11">%d</text><text x="%s" y="%s" text-anchor="middle" class="tick" font-size="11">%s</text>`,
			num(x0), num(padT+plotH-h), num(slot*0.7), num(h), class, fill, num(x0+slot*0.35), num(padT+plotH-h-4), bk.Count,
			num(x0+slot*0.35), num(padT+plotH+14), html.EscapeString(label))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// axes draws the plot frame, the titles and, for a share, the y axis from
// 0 to 100% (counts are written on their bars).
func axes(b *strings.Builder, xLabel, yLabel string, share bool) {
	fmt.Fprintf(b, `<rect x="%s" y="%s" width="%s" height="%s" class="frame" fill="none" stroke="#888"/>`, num(padL), num(padT), num(plotW), num(plotH))
	if yLabel != "" {
		fmt.Fprintf(b, `<text x="12" y="%s" transform="rotate(-90 12 %s)" text-anchor="middle" class="axis" font-size="12">%s</text>`,
			num(padT+plotH/2), num(padT+plotH/2), html.EscapeString(yLabel))
	}
	if xLabel != "" {
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="middle" class="axis" font-size="12">%s</text>`, num(padL+plotW/2), num(chartH-6), html.EscapeString(xLabel))
	}
	if !share {
		return
	}
	for _, s := range []float64{0, 0.5, 1} {
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="end" class="tick" font-size="11">%d%%</text>`, num(padL-4), num(padT+plotH*(1-s)+4), int(s*100))
	}
}

func hoursText(h float64) string {
	if h >= 24 && math.Mod(h, 24) == 0 {
		return strconv.Itoa(int(h/24)) + "d"
	}
	return strconv.FormatFloat(h, 'f', -1, 64) + "h"
}

// num writes a coordinate to a tenth of a unit, so that the SVG is small
// and the same on every machine.
func num(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }
