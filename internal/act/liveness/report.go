package liveness

import (
	"cmp"
	"context"
	"iter"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/raqib-project/raqib/internal/post"
)

// Report is time-to-removal over the items referred in [From, To), as
// known at At: overall and per platform, channel, label and tier. Items
// watched without a referral (channel none) appear only in their channel
// row, as the baseline the referred ones are compared with.
type Report struct {
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
	// At is the report time: removals confirmed after it are not counted
	// and items still online are censored there.
	At      time.Time `json:"at"`
	Overall Group     `json:"overall"`
	Groups  []Group   `json:"groups"`
	// Histogram counts the overall removals by delay, and the items still
	// online at At.
	Histogram []Bucket `json:"histogram"`
}

// Group is time-to-removal of one set of items.
type Group struct {
	Dimension string `json:"dimension"` // all, platform, channel, label, tier
	Value     string `json:"value"`
	Items     int    `json:"items"`
	Removed   int    `json:"removed"`
	// Restored counts removed items that were online again at their last
	// check.
	Restored     int     `json:"restored"`
	ShareRemoved float64 `json:"share_removed"`
	// MedianHours and P90Hours are read from the Kaplan–Meier curve: the
	// first removal delay at which the share still online falls to 50% or
	// 10%. They are nil while it has not: fewer than half (or 90%) of the
	// items removed, counting the still-online ones as censored rather than
	// dropping them.
	MedianHours *float64 `json:"median_hours"`
	P90Hours    *float64 `json:"p90_hours"`
	// Within1h and Within24h are 1 − S(t) on the same curve: the share
	// removed within one hour (the TCO deadline) and one day. An item
	// referred less than that long before At, still online, is censored,
	// not counted as late.
	Within1h  float64 `json:"within_1h"`
	Within24h float64 `json:"within_24h"`
	Curve     []Step  `json:"curve"`
}

// Step is one point of a Kaplan–Meier curve: at Hours after referral,
// Removed items were removed and Censored left still online out of AtRisk,
// and Survival is the estimated share still online after it.
type Step struct {
	Hours    float64 `json:"hours"`
	AtRisk   int     `json:"at_risk"`
	Removed  int     `json:"removed"`
	Censored int     `json:"censored"`
	Survival float64 `json:"survival"`
}

// Bucket is a bar of the delay histogram.
type Bucket struct {
	Label string `json:"label"` // e.g. "1h-6h"; "online" for the still-online items
	Count int    `json:"count"`
}

// histogramEdges are the bars' upper bounds, in hours.
var histogramEdges = []struct {
	label string
	hours float64
}{{"≤1h", 1}, {"1h–6h", 6}, {"6h–24h", 24}, {"1d–3d", 72}, {"3d–7d", 168}, {">7d", -1}}

// observation is one item on the curve: its delay and whether it was
// removed (an event) or is still online (censored) at the report time.
type observation struct {
	hours    float64
	removed  bool
	restored bool
}

// Removal builds the report of the items f selects, as known at at.
func Removal(ctx context.Context, s Store, f Filter, at time.Time) (Report, error) {
	return Compute(s.TrackedItems(ctx, f), f, at)
}

// Compute builds the report from items; f only labels it.
func Compute(items iter.Seq2[Tracked, error], f Filter, at time.Time) (Report, error) {
	type key struct{ dim, value string }
	groups := map[key][]observation{}
	var all []observation
	for t, err := range items {
		if err != nil {
			return Report{}, err
		}
		o := observe(&t, at)
		if t.Account != "" {
			// An account's page: how fast platforms remove accounts is a
			// figure of its own, kept out of the figures about posts.
			groups[key{"object", "account"}] = append(groups[key{"object", "account"}], o)
			continue
		}
		groups[key{"channel", string(t.Channel)}] = append(groups[key{"channel", string(t.Channel)}], o)
		if t.Channel == None {
			// Watched without a referral: the baseline row of the channel
			// dimension, kept out of every figure about referrals.
			continue
		}
		all = append(all, o)
		for _, k := range []key{{"platform", string(t.Platform)}, {"label", string(t.Label)}, {"tier", strconv.Itoa(int(t.Tier))}} {
			groups[k] = append(groups[k], o)
		}
	}
	r := Report{From: f.From, To: f.To, At: at.UTC(), Overall: summarize("all", "", all), Histogram: histogram(all)}
	for k, os := range groups {
		r.Groups = append(r.Groups, summarize(k.dim, k.value, os))
	}
	slices.SortFunc(r.Groups, func(a, b Group) int {
		return cmp.Or(cmp.Compare(dimOrder(a.Dimension), dimOrder(b.Dimension)), cmp.Compare(valueOrder(a), valueOrder(b)), cmp.Compare(a.Value, b.Value))
	})
	return r, nil
}

var dims = []string{"platform", "channel", "label", "tier", "object"}

func dimOrder(d string) int { return slices.Index(dims, d) }

// valueOrder puts channels and labels in their display order; platforms
// and tiers sort by value.
func valueOrder(g Group) int {
	switch g.Dimension {
	case "channel":
		return slices.Index(Channels, Channel(g.Value))
	case "label":
		return slices.Index(post.Labels, post.Label(g.Value))
	}
	return 0
}

// observe places t on the curve. A removal counts once it was confirmed by
// at; its delay runs from the referral to the first check that found the
// content gone, never below zero.
func observe(t *Tracked, at time.Time) observation {
	if !t.ConfirmedAt.IsZero() && !t.ConfirmedAt.After(at) {
		return observation{hours: max(t.RemovedAt.Sub(t.ReferredAt), 0).Hours(), removed: true,
			restored: t.State == Returned && !t.ReturnedAt.After(at)}
	}
	return observation{hours: max(at.Sub(t.ReferredAt), 0).Hours()}
}

func summarize(dim, value string, os []observation) Group {
	g := Group{Dimension: dim, Value: value, Items: len(os)}
	for _, o := range os {
		if o.removed {
			g.Removed++
		}
		if o.restored {
			g.Restored++
		}
	}
	if g.Items > 0 {
		g.ShareRemoved = exact(float64(g.Removed) / float64(g.Items))
	}
	g.Curve = kaplanMeier(os)
	g.MedianHours = quantile(g.Curve, 0.5)
	g.P90Hours = quantile(g.Curve, 0.1)
	g.Within1h = exact(1 - survivalAt(g.Curve, 1))
	g.Within24h = exact(1 - survivalAt(g.Curve, 24))
	return g
}

// kaplanMeier returns the product-limit estimate, a step at every distinct
// delay. At a tie, removals come before censoring: an item censored at t
// was still at risk of removal at t.
func kaplanMeier(os []observation) []Step {
	os = slices.Clone(os)
	slices.SortFunc(os, func(a, b observation) int { return cmp.Compare(a.hours, b.hours) })
	var steps []Step
	s, atRisk := 1.0, len(os)
	for i := 0; i < len(os); {
		st := Step{Hours: os[i].hours, AtRisk: atRisk}
		for ; i < len(os) && os[i].hours == st.Hours; i++ {
			if os[i].removed {
				st.Removed++
			} else {
				st.Censored++
			}
		}
		if st.Removed > 0 {
			s *= 1 - float64(st.Removed)/float64(atRisk)
		}
		st.Survival = exact(s)
		atRisk -= st.Removed + st.Censored
		steps = append(steps, st)
	}
	return steps
}

// quantile is the first delay at which survival is at most s, or nil.
func quantile(curve []Step, s float64) *float64 {
	for _, st := range curve {
		if st.Removed > 0 && st.Survival <= s {
			h := st.Hours
			return &h
		}
	}
	return nil
}

// survivalAt is S(hours): the share still online after every removal at
// or before that delay.
func survivalAt(curve []Step, hours float64) float64 {
	s := 1.0
	for _, st := range curve {
		if st.Hours > hours {
			break
		}
		s = st.Survival
	}
	return s
}

func histogram(os []observation) []Bucket {
	bs := make([]Bucket, len(histogramEdges)+1)
	for i, e := range histogramEdges {
		bs[i].Label = e.label
	}
	bs[len(bs)-1].Label = "online"
	for _, o := range os {
		if !o.removed {
			bs[len(bs)-1].Count++
			continue
		}
		for i, e := range histogramEdges {
			if e.hours < 0 || o.hours <= e.hours {
				bs[i].Count++
				break
			}
		}
	}
	return bs
}

// exact rounds a share to twelve decimals: the product of the curve's
// factors carries float error (0.8 × 0.875 × … lands a hair off 0.5),
// and a report must print the shares people can check by hand.
func exact(v float64) float64 { return math.Round(v*1e12) / 1e12 }
