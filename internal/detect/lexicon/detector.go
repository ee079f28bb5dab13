package lexicon

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/raqib-project/raqib/internal/detect"
	"github.com/raqib-project/raqib/internal/effect"
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
func (d *Detector) Detect(p *post.Post, out []post.Signal, _ *effect.Set) ([]post.Signal, error) {
	if p.Kind == post.Service || p.Norm == "" {
		return out, nil
	}
	var hits []Hit
	norm := []byte(p.Norm)
	d.h.Lexicon().Match(norm, func(h Hit) { hits = append(hits, h) })
	MarkRejected(norm, hits)
	return d.Signals(p.Norm, hits, out), nil
}

// Signals appends to out the signals of hits, the matches of one lexicon
// in norm (as Lexicon.Match reports them). Detect is Match and Signals; a
// caller that already matched the post, as the rules stack does for its
// features, calls Signals to skip a second pass over the text.
func (d *Detector) Signals(norm string, hits []Hit, out []post.Signal) []post.Signal {
	if len(hits) == 0 {
		return out
	}
	var sum [numCategories]float64
	var strongest map[*Entry]float64
	if len(hits) > manyHits {
		strongest = make(map[*Entry]float64)
	}
	for i, h := range hits {
		// An entry counts once, at its strongest occurrence: repeating a
		// name is no more evidence than writing it once, and long articles
		// repeat names.
		w, prev := hitWeight(h), 0.0
		if strongest != nil {
			prev = strongest[h.Entry]
			strongest[h.Entry] = max(prev, w)
		} else {
			for _, g := range hits[:i] {
				if g.Entry == h.Entry {
					prev = max(prev, hitWeight(g))
				}
			}
		}
		if w > prev {
			sum[h.Entry.Category] += w - prev
		}
	}
	var pro float64
	for c, s := range sum {
		if Category(c).Violating() {
			pro += s
		}
	}
	if sum[FinancingCue] == 0 {
		// A wallet or "details in DM" without a cause is no evidence.
		pro -= sum[PaymentChannel]
	}
	negative := [...]struct {
		label post.Label
		v     float64
	}{
		{post.News, sum[NewsMarker] + 0.5*sum[OpponentNaming]},
		{post.CounterSpeech, sum[CounterSpeech] + 0.5*sum[OpponentNaming]},
		{post.Research, sum[ResearchMarker] + 0.5*sum[OpponentNaming]},
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
			Spans:    spans(norm, hits, nil),
		}
		s.Explanation = explain(norm, hits, true)
		out = append(out, s)
	}

	best, bestScore := post.Label(""), 0.0
	for _, n := range negative {
		if n.v >= minEvidence && n.v > bestScore {
			best, bestScore = n.label, n.v
		}
	}
	if best != "" {
		if net := bestScore - negativeFactor*pro; net > 0 {
			keep := func(c Category) bool { return !c.Violating() && c != Devotional }
			out = append(out, post.Signal{
				Detector:    d.Name(),
				Label:       best,
				Score:       squash(net),
				Spans:       spans(norm, hits, keep),
				Explanation: explain(norm, hits, false),
			})
		}
	}
	return out
}

// hitWeight is a hit's weight, discounted inside quotation marks for
// violating categories.
func hitWeight(h Hit) float64 {
	w := float64(h.Entry.Weight)
	if h.Quoted && h.Entry.Category.Violating() {
		w *= quotedDiscount
	}
	return w
}

// violatingLabel picks the most specific label with enough evidence;
// propaganda is the default for naming, honorifics, slogans and outlets. A
// payment channel is financing evidence only beside a financing cue: a
// wallet alone is as likely a shop or a charity.
func violatingLabel(sum *[numCategories]float64) post.Label {
	label, best := post.Propaganda, minEvidence-1e-9
	for _, c := range []Category{ThreatCue, IncitementCue, InstructionCue, FinancingCue, RecruitmentCue} {
		s := sum[c]
		if c == FinancingCue && s > 0 {
			s += sum[PaymentChannel]
		}
		if s > best {
			label, best = c.Label(), s
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
	type idWeight struct {
		id string
		w  float32
	}
	// A post names few entities: a small slice on the stack, no map.
	var buf [8]idWeight
	ws := buf[:0]
	for _, h := range hits {
		e := h.Entry
		if e.Entity == "" || !e.Category.Violating() {
			continue
		}
		i := slices.IndexFunc(ws, func(x idWeight) bool { return x.id == e.Entity })
		if i < 0 {
			i = len(ws)
			ws = append(ws, idWeight{id: e.Entity})
		}
		ws[i].w += e.Weight
	}
	// Shortest ids first, so that weight flows from a general id down to
	// its refinements before they are compared.
	slices.SortFunc(ws, func(a, b idWeight) int {
		return cmp.Or(cmp.Compare(len(a.id), len(b.id)), strings.Compare(a.id, b.id))
	})
	for g := range ws {
		general, best := ws[g].id, -1
		for i := range ws {
			id := ws[i].id
			refines := len(id) > len(general) && id[len(general)] == '-' && strings.HasPrefix(id, general)
			if refines && (best < 0 || ws[i].w > ws[best].w) {
				best = i
			}
		}
		if best >= 0 {
			ws[best].w += ws[g].w
			ws[g].w = 0
		}
	}
	best, bw := "", float32(0)
	for _, x := range ws {
		if x.w > bw {
			best, bw = x.id, x.w
		}
	}
	return best
}

func squash(x float64) float64 { return 1 - math.Exp(-x/scoreScale) }

// manyHits is the number of hits from which repeats are found through a
// map rather than by scanning the earlier hits: a post has a handful of
// hits and the scan is cheaper, but a book-length record has thousands,
// and scanning made detection quadratic in its length.
const manyHits = 32

// maxSpans bounds the spans of one signal: enough to highlight every hit
// of a post, while a book-length record does not store a span per hit.
const maxSpans = 256

func spans(norm string, hits []Hit, keep func(Category) bool) []post.Span {
	n := 0
	for _, h := range hits {
		if keep == nil || keep(h.Entry.Category) {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]post.Span, 0, min(n, maxSpans))
	for _, h := range hits {
		if len(out) == maxSpans {
			break
		}
		if keep != nil && !keep(h.Entry.Category) {
			continue
		}
		why := h.Entry.why[0]
		if h.Quoted {
			why = h.Entry.why[1]
		}
		out = append(out, post.Span{Start: h.Start, End: h.End, Text: norm[h.Start:h.End], Why: why})
	}
	return out
}

// explain lists the matched terms by category in plain words, violating
// ones first when violating is set. Each term is listed once per category.
func explain(norm string, hits []Hit, violating bool) string {
	var b strings.Builder
	b.Grow(len("lexicon matched ") + 40*len(hits))
	b.WriteString("lexicon matched ")
	type term struct {
		cat    Category
		quoted bool
		text   string
	}
	var written map[term]bool
	if len(hits) > manyHits {
		written = make(map[term]bool)
	}
	first := true
	for _, want := range [2]bool{violating, !violating} {
		for _, c := range Categories {
			if c.Violating() != want {
				continue
			}
			n := 0
			for i, h := range hits {
				if h.Entry.Category != c {
					continue
				}
				if written != nil {
					t := term{c, h.Quoted, norm[h.Start:h.End]}
					if written[t] {
						continue
					}
					written[t] = true
				} else if listed(norm, hits[:i], h) {
					continue
				}
				switch {
				case n > 0:
					b.WriteString("», «")
				case !first:
					b.WriteString("; ")
					fallthrough
				default:
					first = false
					b.WriteString(categoryTitles[c])
					b.WriteString(" «")
				}
				b.WriteString(norm[h.Start:h.End])
				if h.Quoted {
					b.WriteString(" (quoted)")
				}
				n++
			}
			if n > 0 {
				b.WriteString("»")
			}
		}
	}
	return b.String()
}

// listed reports whether an earlier hit of h's category has its text and
// quotation, so explain already wrote it.
func listed(norm string, earlier []Hit, h Hit) bool {
	for _, g := range earlier {
		if g.Entry.Category == h.Entry.Category && g.Quoted == h.Quoted && norm[g.Start:g.End] == norm[h.Start:h.End] {
			return true
		}
	}
	return false
}

// categoryTitles are the category names as explanations write them.
var categoryTitles = func() (t [numCategories]string) {
	for _, c := range Categories {
		t[c] = strings.ReplaceAll(c.String(), "_", " ")
	}
	return t
}()
