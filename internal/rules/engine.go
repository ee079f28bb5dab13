// Package rules decides what a post is, from the signals of the detectors,
// in the manner of bluesky's indigo automod: every rule is a plain typed Go
// function listed in all.go; rules only record effects (labels and proposed
// cases) on a Context; the engine runs them all, de-duplicates the effects
// and returns one Verdict.
//
// Rules never act on a platform. A Verdict at most proposes a Case with
// status open; a referral or takedown request always needs an analyst to
// confirm the case first.
package rules

import (
	"cmp"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/raqib-project/raqib/internal/detect/lexicon"
	"github.com/raqib-project/raqib/internal/post"
)

// PostRule examines one post and records effects on c. An error is logged
// by the engine and the other rules still run.
type PostRule func(c *Context, p *post.Post) error

// Counters keeps per-key event times: the posts and flags of an author. An
// in-memory implementation is MemCounters; a store can provide a shared
// one.
type Counters interface {
	// Add records one event for key at t.
	Add(key string, t time.Time)
	// Count returns the events for key at or after since.
	Count(key string, since time.Time) int
}

// Counter key prefixes.
const (
	keyPosts   = "posts/"
	keyFlagged = "flagged/"
)

// Effect is one label a rule attached to a post.
type Effect struct {
	Label  post.Label
	Tier   post.Tier
	Entity string
	Reason string // rule name: why
}

// Context is what a rule sees of a post beyond the post itself: the
// detectors' signals, lexicon evidence, the classifier score and account
// counters. Rules record their findings with AddLabel and ProposeCase.
type Context struct {
	Post    *post.Post
	Signals []post.Signal
	// Hits are the lexicon hits in Post.Norm.
	Hits []lexicon.Hit
	// Score is the classifier's probability; Threshold its flagging point.
	Score, Threshold float32
	Now              time.Time

	counters Counters
	sums     [lexicon.NumFeatures]float32
	effects  []Effect
	cases    []string
}

// Sum returns the summed weight of unquoted lexicon hits of category cat.
func (c *Context) Sum(cat lexicon.Category) float32 { return c.sums[cat] }

// QuotedSum returns the summed weight of quoted hits of category cat.
func (c *Context) QuotedSum(cat lexicon.Category) float32 {
	return c.sums[len(lexicon.Categories)+int(cat)]
}

// AuthorPosts returns how many posts this author published in the last d,
// this one included.
func (c *Context) AuthorPosts(d time.Duration) int {
	if c.counters == nil {
		return 0
	}
	return c.counters.Count(keyPosts+authorKey(c.Post), c.Now.Add(-d))
}

// AuthorFlagged returns how many of the author's posts in the last d were
// violating, this one not included.
func (c *Context) AuthorFlagged(d time.Duration) int {
	if c.counters == nil {
		return 0
	}
	return c.counters.Count(keyFlagged+authorKey(c.Post), c.Now.Add(-d))
}

func authorKey(p *post.Post) string { return string(p.Platform) + ":" + p.Author.ID }

// AddLabel records that the post carries label at tier, attributed to
// entity (may be empty), because of reason.
func (c *Context) AddLabel(label post.Label, tier post.Tier, entity, reason string) {
	c.effects = append(c.effects, Effect{label, tier, entity, reason})
}

// ProposeCase asks for an analyst to review the post.
func (c *Context) ProposeCase(reason string) { c.cases = append(c.cases, reason) }

// Verdict is the engine's decision about one post.
type Verdict struct {
	Label     post.Label `json:"label"`
	Tier      post.Tier  `json:"tier,omitempty"`
	Entity    string     `json:"entity,omitempty"`
	Score     float64    `json:"score"`
	Violating bool       `json:"violating"`
	// Reasons lists "rule: why" for every effect, most severe first.
	Reasons []string      `json:"reasons,omitempty"`
	Signals []post.Signal `json:"signals,omitempty"`
	// Case is the proposed case (status open), or nil.
	Case *post.Case `json:"case,omitempty"`
}

// Engine runs the rules.
type Engine struct {
	Rules    []PostRule
	Names    []string // rule names, parallel to Rules, for error logs
	Counters Counters
	Log      *slog.Logger
}

// NewEngine returns an engine with every rule of all.go.
func NewEngine(counters Counters, log *slog.Logger) *Engine {
	e := &Engine{Counters: counters, Log: log}
	for _, r := range All {
		e.Rules = append(e.Rules, r.Rule)
		e.Names = append(e.Names, r.Name)
	}
	return e
}

// Run applies every rule to c.Post and returns the verdict. c.Signals,
// c.Hits, c.Score and c.Threshold must be filled; Run computes the rest.
// It records the post (and whether it was violating) in the counters.
func (e *Engine) Run(c *Context) Verdict {
	p := c.Post
	if c.Now.IsZero() {
		c.Now = time.Now()
	}
	c.counters = e.Counters
	sumHits(&c.sums, c.Hits)
	c.effects, c.cases = c.effects[:0], c.cases[:0]
	if e.Counters != nil {
		e.Counters.Add(keyPosts+authorKey(p), c.Now)
	}
	for i, r := range e.Rules {
		if err := r(c, p); err != nil && e.Log != nil {
			e.Log.Warn("rule failed", "rule", e.Names[i], "post", p.Key(), "err", err.Error())
		}
	}
	v := verdict(c)
	if v.Violating && e.Counters != nil {
		e.Counters.Add(keyFlagged+authorKey(p), c.Now)
	}
	return v
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

// severity orders effects: violating before not, then lower tier first
// (tier 1 is the most severe), then the more specific label.
func severity(a, b Effect) int {
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

func verdict(c *Context) Verdict {
	v := Verdict{Label: post.Unrelated, Signals: c.Signals}
	// The effects and cases are the context's scratch: sorted in place.
	effects := c.effects
	slices.SortFunc(effects, severity)
	effects = slices.CompactFunc(effects, func(a, b Effect) bool { return a == b })
	if len(effects) > 0 {
		v.Reasons = make([]string, len(effects))
		for i, ef := range effects {
			v.Reasons[i] = ef.Reason
		}
		top := effects[0]
		v.Label, v.Tier, v.Violating = top.Label, top.Tier, top.Label.Violating()
		for _, ef := range effects {
			if ef.Label == top.Label && ef.Entity != "" {
				v.Entity = ef.Entity
				break
			}
		}
	}
	v.Score = float64(c.Score)
	for _, s := range c.Signals {
		if s.Label == v.Label && s.Score > v.Score {
			v.Score = s.Score
		}
	}
	if !v.Violating && len(effects) > 0 {
		v.Score = 1 - v.Score
	}
	slices.Sort(c.cases)
	if cases := slices.Compact(c.cases); len(cases) > 0 {
		v.Case = &post.Case{
			PostKey:   c.Post.Key(),
			Label:     v.Label,
			Tier:      v.Tier,
			Entity:    v.Entity,
			Score:     v.Score,
			Status:    post.CaseOpen,
			Reason:    strings.Join(cases, "; "),
			CreatedAt: c.Now,
			UpdatedAt: c.Now,
		}
	}
	if len(effects) > 0 {
		v.Signals = append(v.Signals, post.Signal{
			Detector:    "rules",
			Label:       v.Label,
			Tier:        v.Tier,
			Entity:      v.Entity,
			Score:       v.Score,
			Explanation: "rules: " + strings.Join(v.Reasons, "; "),
		})
	}
	return v
}

// MemCounters is an in-memory Counters that forgets events older than
// Window (default 24 hours). It is safe for concurrent use.
//
// It keeps counts per time bucket (Window/counterBuckets wide), not one
// time per event: a day of a busy platform is millions of posts, and their
// times would all be held. Memory follows the keys active in the window.
// Count is exact to a bucket: the events of the bucket that holds since all
// count, a quarter of an hour at most with the default window.
type MemCounters struct {
	Window time.Duration

	mu     sync.Mutex
	keys   map[string][]bucket
	latest int64 // the newest bucket any Add saw
	adds   int
}

// bucket is the number of events in one time slot of a key.
type bucket struct {
	slot int64 // time / width
	n    int32
}

const (
	// counterBuckets is how many slots a window has.
	counterBuckets = 96
	// sweepEvery is how many Adds pass between sweeps of keys gone quiet,
	// so that authors who stopped posting do not stay in memory.
	sweepEvery = 4096
)

func (m *MemCounters) width() int64 {
	w := m.Window
	if w <= 0 {
		w = 24 * time.Hour
	}
	return max(int64(w)/counterBuckets, 1)
}

func (m *MemCounters) slot(t time.Time) int64 { return t.UnixNano() / m.width() }

// Add implements Counters.
func (m *MemCounters) Add(key string, t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.keys == nil {
		m.keys = make(map[string][]bucket)
	}
	s := m.slot(t)
	m.latest = max(m.latest, s)
	bs := m.keys[key]
	cut := 0
	for cut < len(bs) && bs[cut].slot <= s-counterBuckets {
		cut++
	}
	bs = bs[cut:]
	// Workers finish out of order: an event may belong before the last
	// slot.
	i := len(bs)
	for i > 0 && bs[i-1].slot > s {
		i--
	}
	if i > 0 && bs[i-1].slot == s {
		bs[i-1].n++
	} else {
		bs = slices.Insert(bs, i, bucket{slot: s, n: 1})
	}
	m.keys[key] = bs
	if m.adds++; m.adds%sweepEvery == 0 {
		m.sweep()
	}
}

// sweep drops the keys whose every event left the window.
func (m *MemCounters) sweep() {
	for k, bs := range m.keys {
		if bs[len(bs)-1].slot <= m.latest-counterBuckets {
			delete(m.keys, k)
		}
	}
}

// Count implements Counters.
func (m *MemCounters) Count(key string, since time.Time) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.slot(since)
	n := 0
	for _, b := range m.keys[key] {
		if b.slot >= s {
			n += int(b.n)
		}
	}
	return n
}
