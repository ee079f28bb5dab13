package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/raqib-project/raqib/internal/act/liveness"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// removalMessages are the strings of the time-to-removal page.
var removalMessages = map[string][2]string{
	"nav.removal":             {"زمن الإزالة", "Removal"},
	"removal.title":           {"زمن الإزالة لدى المنصات", "Time to removal by platform"},
	"removal.intro":           {"كم من المحتوى المُحال أزالته كل منصة، وبأي سرعة. ما زال متاحًا يُحسب مراقَبًا حتى الآن (كابلان–ماير) ولا يُسقط؛ الوسيط والمئين ٩٠ من المنحنى ويظهران «—» حتى يبلغهما.", "How much referred content each platform removed, and how fast. Items still online are censored at now (Kaplan–Meier), not dropped; median and p90 come from the curve and show “—” until it reaches them."},
	"removal.none":            {"لا يحفظ هذا المخزن عناصر متابعة.", "This store keeps no tracked items."},
	"removal.empty":           {"لا عناصر مُحالة في هذه المدة.", "No items referred in this period."},
	"removal.from":            {"من", "From"},
	"removal.to":              {"إلى", "To"},
	"removal.apply":           {"اعرض", "Show"},
	"removal.asof":            {"كما عُرف في", "As known at"},
	"removal.survival":        {"منحنى البقاء لكل منصة", "Survival curve per platform"},
	"removal.histogram":       {"توزيع أزمنة الإزالة", "Removal delays"},
	"removal.hours":           {"ساعات منذ الإحالة", "hours since referral"},
	"removal.still":           {"ما زال متاحًا", "still online"},
	"removal.items":           {"عناصر", "items"},
	"removal.online":          {"متاح", "online"},
	"removal.col.group":       {"المجموعة", "Group"},
	"removal.col.items":       {"العناصر", "Items"},
	"removal.col.removed":     {"أُزيل", "Removed"},
	"removal.col.restored":    {"عاد", "Restored"},
	"removal.col.share":       {"نسبة الإزالة", "Share removed"},
	"removal.col.median":      {"الوسيط", "Median"},
	"removal.col.p90":         {"المئين ٩٠", "p90"},
	"removal.col.within1h":    {"خلال ساعة", "Within 1 h"},
	"removal.col.within24h":   {"خلال يوم", "Within 24 h"},
	"removal.dim.all":         {"الكل", "All"},
	"removal.dim.platform":    {"المنصة", "Platform"},
	"removal.dim.channel":     {"قناة الإحالة", "Channel"},
	"removal.dim.label":       {"التصنيف", "Label"},
	"removal.dim.tier":        {"الدرجة", "Tier"},
	"removal.dim.accounts":    {"صفحات الحسابات المحالة", "Referred accounts' pages"},
	"removal.channel.email":   {"بريد إلكتروني", "e-mail"},
	"removal.channel.webhook": {"واجهة آلية", "webhook"},
	"removal.channel.bundle":  {"ملف نماذج", "form bundle"},
	"removal.channel.none":    {"دون إحالة (مراقبة فقط)", "not referred (watched)"},
}

// removalPage is the data of the time-to-removal page.
type removalPage struct {
	*page
	Available bool
	Report    liveness.Report
	From, To  string
}

// SurvivalChart draws the survival curve per platform with the axis
// titles given in the page language. The SVG escapes every text it holds.
func (p *removalPage) SurvivalChart(hours, still string) template.HTML {
	return template.HTML(liveness.SurvivalSVG(p.Report.ByDimension("platform"), hours, still,
		func(g liveness.Group) string { return p.PlatformName(post.Platform(g.Value)) }))
}

// HistogramChart draws the delays histogram.
func (p *removalPage) HistogramChart(items, online string) template.HTML {
	return template.HTML(liveness.HistogramSVG(p.Report.Histogram, items, online))
}

// groupView is a report row's group with the page that names it.
type groupView struct {
	P *page
	G liveness.Group
}

// Group pairs a row's group with the page for the "removal-group" template.
func (p *removalPage) Group(g liveness.Group) groupView { return groupView{p.page, g} }

// Platform is the group's platform in the page language.
func (v groupView) Platform() string { return v.P.PlatformName(post.Platform(v.G.Value)) }

// Label is the group's label in the page language.
func (v groupView) Label() string { return v.P.LabelName(post.Label(v.G.Value)) }

// Hours writes a delay of the report, "—" when undefined.
func (p *removalPage) Hours(h *float64) string { return liveness.HoursText(h) }

// Pct writes a share as a percentage.
func (p *removalPage) Pct(v float64) string { return fmt.Sprintf("%.1f%%", v*100) }

// parseRemovalFilter reads from and to (dates, YYYY-MM-DD, the day of to
// included) and platform.
func parseRemovalFilter(v url.Values) (liveness.Filter, error) {
	f := liveness.Filter{Platform: post.Platform(v.Get("platform"))}
	for _, d := range []struct {
		name string
		dst  *time.Time
		add  int
	}{{"from", &f.From, 0}, {"to", &f.To, 1}} {
		raw := v.Get(d.name)
		if raw == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, raw)
		if err != nil {
			return f, fmt.Errorf("%w %s=%q: want a date, YYYY-MM-DD", errBadParam, d.name, raw)
		}
		*d.dst = t.AddDate(0, 0, d.add)
	}
	return f, nil
}

func (s *server) removalReport(r *http.Request) (liveness.Report, bool, error) {
	ls, ok := s.Store.(store.Liveness)
	if !ok {
		return liveness.Report{}, false, nil
	}
	f, err := parseRemovalFilter(r.URL.Query())
	if err != nil {
		return liveness.Report{}, true, err
	}
	rep, err := liveness.Removal(r.Context(), ls, f, s.Now())
	return rep, true, err
}

func (s *server) handleRemoval(w http.ResponseWriter, r *http.Request) {
	rep, ok, err := s.removalReport(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	rp := removalPage{page: s.newPage(w, r), Available: ok, Report: rep, From: r.URL.Query().Get("from"), To: r.URL.Query().Get("to")}
	rp.Title = rp.T("removal.title")
	s.render(w, "removal", "base", http.StatusOK, &rp)
}

func (s *server) apiRemoval(w http.ResponseWriter, r *http.Request) {
	rep, ok, err := s.removalReport(r)
	switch {
	case err != nil:
		s.apiError(w, err)
	case !ok:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "the store keeps no tracked items"})
	default:
		writeJSON(w, http.StatusOK, rep)
	}
}
