// Package rules decides what a post is, from the signals of the detectors,
// in the manner of bluesky's indigo automod: every rule is a plain typed Go
// function listed in all.go; rules only record effects (labels, flags,
// proposed cases, counter increments, actions) on a Context; the engine
// runs them all, de-duplicates the effects, writes the one post.Decision
// and returns the effects for internal/worker to persist after the batch
// is committed.
//
// Rules never act on a platform. They at most propose a case; a referral
// or takedown request always needs an analyst to confirm the case first.
package rules

import (
	"cmp"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/detect/lexicon"
	"github.com/raqib-project/raqib/internal/detect/recycled"
	"github.com/raqib-project/raqib/internal/effect"
	"github.com/raqib-project/raqib/internal/post"
)

// PostRule examines one post and records effects on c. An error is logged
// by the engine and the other rules still run.
type PostRule func(c *Context, p *post.Post) error

// Rule is a named rule; the name appears in logs and in the reasons of a
// decision.
type Rule struct {
	Name string
	Run  PostRule
}

// Tally answers counter queries during a check: what the shared counters
// held for the last CounterWindow when the batch began, plus the batch's
// own increments so far. A nil Tally counts nothing.
type Tally interface {
	Count(key string) int
}

// CounterWindow is the span of the counts a Tally answers.
const CounterWindow = 24 * time.Hour

// FlaggedPrefix begins every FlaggedKey.
const FlaggedPrefix = "flagged/"

// FlaggedKey is the counter of an author's violating posts. Platform names
// hold no '/', so keys of different platforms never meet.
func FlaggedKey(p *post.Post) string {
	return FlaggedPrefix + string(p.Platform) + "/" + p.Author.ID
}

// Context is what a rule sees of a post beyond the post itself: the
// detectors' signals, lexicon evidence, the classifier score and counters.
// Rules record their findings with AddLabel, AddFlag, ProposeCase,
// Increment and Act.
type Context struct {
	Post    *post.Post
	Signals []post.Signal
	// Hits are the lexicon hits in Post.Norm.
	Hits []lexicon.Hit
	// Score is the classifier's probability; Threshold its flagging point
	// and Abstain the start of its unsure band below it (0: none); Bare
	// the score a post without lexicon evidence needs (at least Threshold).
	Score, Threshold, Abstain, Bare float32
	// Familiar is the share of the post's n-grams the classifier knows
	// (classifier.Model.Familiar), filled when Score reaches the band.
	Familiar float32
	Now      time.Time
	// Derived is what the detectors derived for the worker to persist
	// (the signature of the text); the post's effects are built on it.
	Derived effect.Set

	tally   Tally
	sums    [lexicon.NumFeatures]float32
	labels  []effect.Label
	flags   []string
	cases   []caseRequest
	counts  []string
	actions []effect.Action

	lifecycle     Lifecycle
	accountEvents []effect.AccountEvent
}

type caseRequest struct{ reason, group string }

// Sum returns the summed weight of unquoted lexicon hits of category cat.
func (c *Context) Sum(cat lexicon.Category) float32 { return c.sums[cat] }

// QuotedSum returns the summed weight of quoted hits of category cat.
func (c *Context) QuotedSum(cat lexicon.Category) float32 {
	return c.sums[len(lexicon.Categories)+int(cat)]
}

// Count returns the tally of a counter key over the last CounterWindow.
func (c *Context) Count(key string) int {
	if c.tally == nil {
		return 0
	}
	return c.tally.Count(key)
}

// AuthorFlagged returns how many of the author's posts in the last
// CounterWindow were violating, this one not included.
func (c *Context) AuthorFlagged() int {
	if c.tally == nil {
		return 0 // without building the key
	}
	return c.tally.Count(FlaggedKey(c.Post))
}

// AddLabel records that the post carries label at tier, attributed to
// entity (may be empty), because of reason.
func (c *Context) AddLabel(label post.Label, tier post.Tier, entity, reason string) {
	c.labels = append(c.labels, effect.Label{Label: label, Tier: tier, Entity: entity, Reason: reason})
}

// AddFlag marks the post with a short flag kept on its decision.
func (c *Context) AddFlag(flag string) { c.flags = append(c.flags, flag) }

// ProposeCase asks for an analyst to review the post.
func (c *Context) ProposeCase(reason string) { c.cases = append(c.cases, caseRequest{reason: reason}) }

// ProposeGroupCase asks for the post to be reviewed in the open case of
// group (a near-duplicate cluster), opening one if there is none.
func (c *Context) ProposeGroupCase(reason, group string) {
	c.cases = append(c.cases, caseRequest{reason, group})
}

// Increment counts the post under key once.
func (c *Context) Increment(key string) { c.counts = append(c.counts, key) }

// Act asks for the automated action name once the post is stored.
func (c *Context) Act(name, reason string) {
	c.actions = append(c.actions, effect.Action{Name: name, Reason: reason})
}

// reset prepares c for a check, keeping its scratch memory.
func (c *Context) reset() {
	c.labels, c.flags, c.cases, c.counts, c.actions = c.labels[:0], c.flags[:0], c.cases[:0], c.counts[:0], c.actions[:0]
	c.accountEvents = c.accountEvents[:0]
}

// Engine runs the rules.
type Engine struct {
	Rules     []Rule
	Log       *slog.Logger
	Lifecycle Lifecycle
}

// NewEngine returns an engine with rules, or every rule of All when rules
// is nil.
func NewEngine(rules []Rule, log *slog.Logger) *Engine {
	if rules == nil {
		rules = All
	}
	return &Engine{Rules: rules, Log: log, Lifecycle: DefaultLifecycle}
}

// Run applies every rule to c.Post, writes the decision to c.Post.Decision
// and returns the post's effects. c.Signals, c.Hits, c.Score and
// c.Threshold must be filled; Run computes the rest. The returned set
// shares no memory with c.
func (e *Engine) Run(c *Context, t Tally) effect.Set {
	p := c.Post
	if c.Now.IsZero() {
		c.Now = time.Now()
	}
	c.tally, c.lifecycle = t, e.Lifecycle
	sumHits(&c.sums, c.Hits)
	c.reset()
	for _, r := range e.Rules {
		if err := r.Run(c, p); err != nil && e.Log != nil {
			e.Log.Warn("rule failed", "rule", r.Name, "post", p.Key(), "err", err.Error())
		}
	}
	c.tally = nil
	return decide(c)
}

// specificity orders labels of one tier: a precise function (a threat, a
// call to attack) says more than the generic propaganda label.
var specificity = []post.Label{post.Threat, post.Incitement, post.Instruction, post.Financing, post.Recruitment, post.Propaganda,
	post.CounterSpeech, post.News, post.Research, post.Unrelated}

// sumHits writes the lexicon's feature vector for hits: weight sums per
// category, quoted hits apart (the order of lexicon.FeatureNames).
func sumHits(dst *[lexicon.NumFeatures]float32, hits []lexicon.Hit) {
	clear(dst[:])
	nc := len(lexicon.Categories)
	for _, h := range hits {
		i := int(h.Entry.Category)
		if h.Quoted {
			i += nc
		}
		dst[i] += h.Entry.Weight
	}
}

// severity orders labels: violating before not, then lower tier first
// (tier 1 is the most severe), then the more specific label.
func severity(a, b effect.Label) int {
	if va, vb := a.Label.Violating(), b.Label.Violating(); va != vb {
		if va {
			return -1
		}
		return 1
	}
	ta, tb := a.Tier, b.Tier
	if ta == post.TierNone {
		ta = 99
	}
	if tb == post.TierNone {
		tb = 99
	}
	if ta != tb {
		return cmp.Compare(ta, tb)
	}
	if r := cmp.Compare(slices.Index(specificity, a.Label), slices.Index(specificity, b.Label)); r != 0 {
		return r
	}
	return strings.Compare(a.Reason, b.Reason)
}

// decide turns the effects recorded on c into the post's decision and the
// effect set to persist.
func decide(c *Context) effect.Set {
	p := c.Post
	d := post.Decision{Label: post.Unrelated}
	// The labels are the context's scratch: sorted in place.
	labels := c.labels
	slices.SortFunc(labels, severity)
	labels = slices.Compact(labels)
	if len(labels) > 0 {
		d.Reasons = make([]string, len(labels))
		for i, l := range labels {
			d.Reasons[i] = l.Reason
		}
		top := labels[0]
		d.Label, d.Tier, d.Violating = top.Label, top.Tier, top.Label.Violating()
		for _, l := range labels {
			if l.Label == top.Label && l.Entity != "" {
				d.Entity = l.Entity
				break
			}
		}
	}
	d.Score = float64(c.Score)
	for _, s := range c.Signals {
		if s.Label == d.Label && s.Score > d.Score {
			d.Score = s.Score
		}
	}
	if !d.Violating && len(labels) > 0 {
		d.Score = 1 - d.Score
	}
	if len(c.flags) > 0 {
		slices.Sort(c.flags)
		d.Flags = slices.Clone(slices.Compact(c.flags))
	}
	p.Decision = d
	p.Signals = c.Signals
	if len(labels) > 0 {
		p.Signals = append(p.Signals, post.Signal{
			Detector:    "rules",
			Label:       d.Label,
			Tier:        d.Tier,
			Entity:      d.Entity,
			Score:       d.Score,
			Explanation: joinReasons("rules: ", d.Reasons),
		})
	}

	// The labels are in the decision, stored with the post.
	set := c.Derived
	set.Flags = d.Flags
	if cp, ok := proposal(c, &d); ok {
		set.Cases = []post.CaseProposal{cp}
	}
	if len(c.counts) > 0 || d.Violating {
		set.Counts = slices.Clone(c.counts)
		if d.Violating {
			set.Counts = append(set.Counts, FlaggedKey(p))
		}
		slices.Sort(set.Counts)
		set.Counts = slices.Compact(set.Counts)
	}
	if len(c.actions) > 0 {
		set.Actions = slices.Clone(c.actions)
		slices.SortFunc(set.Actions, func(a, b effect.Action) int { return strings.Compare(a.Name, b.Name) })
		set.Actions = slices.CompactFunc(set.Actions, func(a, b effect.Action) bool { return a.Name == b.Name })
	}
	set.IndexText = d.Violating && !recycled.Represented(c.Signals)
	if len(c.accountEvents) > 0 {
		set.Account = slices.Clone(c.accountEvents)
	}
	return set
}

// proposal merges the case requests of the rules into the post's one
// proposal. Its group is the first group a rule named (a near-duplicate
// cluster); failing that, promotional and official content is gathered by
// author, so that an account's flagged posts are reviewed, and referred,
// together. Threats to life and crisis content always get a case of their
// own.
func proposal(c *Context, d *post.Decision) (post.CaseProposal, bool) {
	if len(c.cases) == 0 {
		return post.CaseProposal{}, false
	}
	slices.SortFunc(c.cases, func(a, b caseRequest) int {
		return cmp.Or(strings.Compare(a.reason, b.reason), strings.Compare(a.group, b.group))
	})
	reqs := slices.Compact(c.cases)
	var buf [8]string // on the stack for the few reasons of a post
	reasons := buf[:0]
	group := ""
	for _, r := range reqs {
		if len(reasons) == 0 || reasons[len(reasons)-1] != r.reason {
			reasons = append(reasons, r.reason)
		}
		if group == "" {
			group = r.group
		}
	}
	p := c.Post
	if group == "" && (d.Tier == post.TierOfficial || d.Tier == post.TierPromotional || !d.Violating) && p.Author.ID != "" {
		group = post.AccountGroup(p.Platform, p.Author.ID)
	}
	return post.CaseProposal{
		PostKey: p.Key(), Label: d.Label, Tier: d.Tier, Entity: d.Entity, Score: d.Score,
		Reason: strings.Join(reasons, "; "), Group: group, At: c.Now,
	}, true
}

// joinReasons is prefix + strings.Join(reasons, "; ") in one allocation
// instead of two.
func joinReasons(prefix string, reasons []string) string {
	n := len(prefix)
	for i, r := range reasons {
		if i > 0 {
			n += len("; ")
		}
		n += len(r)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(prefix)
	for i, r := range reasons {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(r)
	}
	return b.String()
}
