package lexicon

import (
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/raqib-project/raqib/internal/detect"
	"github.com/raqib-project/raqib/internal/post"
)

// Scoring constants. They are deliberately few and plain, so that an
// analyst can follow a score back to the terms that made it.
const (
	// quotedDiscount scales violating hits inside quotation marks: news
	// quotes the group's names and slogans, supporters seldom quote
	// themselves.
	quotedDiscount = 0.25
	// minEvidence is the weight sum below which no signal is emitted: one
	// weak term (الدولة، البيعة) is not a finding.
	minEvidence = 1.0
	// negativeFactor is how much one unit of news, counter-speech, research
	// or opponent naming evidence cancels of violating evidence.
	negativeFactor = 0.75
	// scoreScale is the net weight at which the score reaches 1-1/e ≈ 0.63.
	scoreScale = 3.0
)

// Detector emits lexicon signals: at most one violating signal (the label
// with the most specific evidence) and at most one negative one (news,
// counter-speech or research), each with the matched terms as spans.
type Detector struct {
	h *Holder
}

var _ detect.Detector = (*Detector)(nil)

// NewDetector returns a detector that uses h's lexicon in force per post.
func NewDetector(h *Holder) *Detector { return &Detector{h: h} }

// Name implements detect.Detector.
func (d *Detector) Name() string { return "lexicon" }

// Detect implements detect.Detector.
func (d *Detector) Detect(p *post.Post, out []post.Signal) ([]post.Signal, error) {
	if p.Kind == post.Service || p.Norm == "" {
		return out, nil
	}
	var (
		hits []Hit
		sum  [numCategories]float64
		// An entry counts once, at its strongest occurrence: repeating a
		// name is no more evidence than writing it once, and long articles
		// repeat names.
		counted = map[*Entry]float64{}
	)
	d.h.Lexicon().Match([]byte(p.Norm), func(h Hit) {
		hits = append(hits, h)
		w := float64(h.Entry.Weight)
		if h.Quoted && h.Entry.Category.Violating() {
			w *= quotedDiscount
		}
		if prev := counted[h.Entry]; w > prev {
			sum[h.Entry.Category] += w - prev
			counted[h.Entry] = w
		}
	})
	if len(hits) == 0 {
		return out, nil
	}
	var pro float64
	for c, s := range sum {
		if Category(c).Violating() {
			pro += s
		}
	}
	negative := map[post.Label]float64{
		post.News:          sum[NewsMarker] + 0.5*sum[OpponentNaming],
		post.CounterSpeech: sum[CounterSpeech] + 0.5*sum[OpponentNaming],
		post.Research:      sum[ResearchMarker] + 0.5*sum[OpponentNaming],
	}
	con := sum[NewsMarker] + sum[CounterSpeech] + sum[ResearchMarker] + sum[OpponentNaming]

	if net := pro - negativeFactor*con; pro >= minEvidence && net > 0 {
		label := violatingLabel(&sum)
		s := post.Signal{
			Detector: d.Name(),
			Label:    label,
			Tier:     tier(label, &sum),
			Entity:   entity(hits),
			Score:    squash(net),
			Spans:    spans(p.Norm, hits, nil),
		}
		s.Explanation = explain(p.Norm, hits, true)
		out = append(out, s)
	}

	best, bestScore := post.Label(""), 0.0
	for _, l := range []post.Label{post.News, post.CounterSpeech, post.Research} {
		if v := negative[l]; v >= minEvidence && v > bestScore {
			best, bestScore = l, v
		}
	}
	if best != "" {
		if net := bestScore - negativeFactor*pro; net > 0 {
			keep := func(c Category) bool { return !c.Violating() }
			out = append(out, post.Signal{
				Detector:    d.Name(),
				Label:       best,
				Score:       squash(net),
				Spans:       spans(p.Norm, hits, keep),
				Explanation: explain(p.Norm, hits, false),
			})
		}
	}
	return out, nil
}

// violatingLabel picks the most specific label with enough evidence;
// propaganda is the default for naming, honorifics, slogans and outlets.
func violatingLabel(sum *[numCategories]float64) post.Label {
	label, best := post.Propaganda, minEvidence-1e-9
	for _, c := range []Category{ThreatCue, IncitementCue, InstructionCue, FinancingCue, RecruitmentCue} {
		if sum[c] > best {
			label, best = c.Label(), sum[c]
		}
	}
	return label
}

// tier maps a label to its TCAP-style tier: threats to life first, claim
// formulas and official outlets as official propaganda, the rest
// promotional.
func tier(l post.Label, sum *[numCategories]float64) post.Tier {
	switch {
	case l == post.Threat:
		return post.TierThreat
	case l == post.Propaganda && sum[Outlet]+sum[ClaimFormula] >= minEvidence:
		return post.TierOfficial
	}
	return post.TierPromotional
}

// entity attributes the post to the entity with the most violating weight.
// Registry ids refine by suffix (isis → isis-sinai): a general id's weight
// goes to its most weighted refinement among the hits, so that a province
// name decides between the provinces of the group the rest of the post
// names.
func entity(hits []Hit) string {
	weights := map[string]float32{}
	for _, h := range hits {
		if h.Entry.Entity != "" && h.Entry.Category.Violating() {
			weights[h.Entry.Entity] += h.Entry.Weight
		}
	}
	ids := slices.Sorted(maps.Keys(weights))
	// Shortest ids first, so that weight flows from a general id down to
	// its refinements before they are compared.
	slices.SortStableFunc(ids, func(a, b string) int { return len(a) - len(b) })
	for _, general := range ids {
		best := ""
		for _, id := range ids {
			if strings.HasPrefix(id, general+"-") && (best == "" || weights[id] > weights[best]) {
				best = id
			}
		}
		if best != "" {
			weights[best] += weights[general]
			weights[general] = 0
		}
	}
	best, bw := "", float32(0)
	for _, id := range ids {
		if weights[id] > bw {
			best, bw = id, weights[id]
		}
	}
	return best
}

func squash(x float64) float64 { return 1 - math.Exp(-x/scoreScale) }

func spans(norm string, hits []Hit, keep func(Category) bool) []post.Span {
	var out []post.Span
	for _, h := range hits {
		if keep != nil && !keep(h.Entry.Category) {
			continue
		}
		why := h.Entry.Category.String() + ": " + h.Entry.Term
		if h.Quoted {
			why += " (quoted)"
		}
		out = append(out, post.Span{Start: h.Start, End: h.End, Text: norm[h.Start:h.End], Why: why})
	}
	return out
}

// explain lists the matched terms by category in plain words, violating
// ones first when violating is set.
func explain(norm string, hits []Hit, violating bool) string {
	var b strings.Builder
	b.WriteString("lexicon matched ")
	first := true
	for _, want := range []bool{violating, !violating} {
		for _, c := range Categories {
			if c.Violating() != want {
				continue
			}
			var terms []string
			for _, h := range hits {
				t := norm[h.Start:h.End]
				if h.Quoted {
					t += " (quoted)"
				}
				if h.Entry.Category == c && !slices.Contains(terms, t) {
					terms = append(terms, t)
				}
			}
			if len(terms) == 0 {
				continue
			}
			if !first {
				b.WriteString("; ")
			}
			first = false
			b.WriteString(strings.ReplaceAll(c.String(), "_", " "))
			b.WriteString(" «")
			b.WriteString(strings.Join(terms, "», «"))
			b.WriteString("»")
		}
	}
	return b.String()
}
