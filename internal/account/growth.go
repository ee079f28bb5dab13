package account

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// Series is one daily time series: flagged posts of a platform, label or
// entity, or lifecycle events of a kind.
type Series struct {
	Name   string `json:"name"` // "platform:telegram", "label:propaganda", "entity:...", "new", ...
	Values []int  `json:"values"`
}

// Spike is a day whose count stands out of the series' baseline.
type Spike struct {
	Series   string    `json:"series"`
	Day      time.Time `json:"day"`
	Count    int       `json:"count"`
	Baseline float64   `json:"baseline"`
}

// Growth is the overview of the last Days days, oldest day first.
type Growth struct {
	Days      []time.Time `json:"days"`
	Flagged   []Series    `json:"flagged"`   // by platform, label, entity
	Lifecycle []Series    `json:"lifecycle"` // new, reactivated, removed accounts, all platforms
	Spikes    []Spike     `json:"spikes"`
}

// ComputeGrowth reads flagged posts of the last days days (by posting
// day) and lifecycle counters (by the day raqib saw the event), and finds
// spikes: a day above three standard deviations and twice the mean of the
// days before it, and at least minSpike.
func ComputeGrowth(ctx context.Context, s store.Accounts, c store.Counters, now time.Time, days int) (Growth, error) {
	today := now.UTC().Truncate(24 * time.Hour)
	start := today.AddDate(0, 0, -(days - 1))
	g := Growth{}
	for d := range days {
		g.Days = append(g.Days, start.AddDate(0, 0, d))
	}
	series := map[string][]int{}
	add := func(name string, d int) {
		v := series[name]
		if v == nil {
			v = make([]int, days)
			series[name] = v
		}
		v[d]++
	}
	err := s.EachPost(ctx, start, true, func(p post.Post) error {
		d := int(p.PostedAt.UTC().Sub(start) / (24 * time.Hour))
		if d < 0 || d >= days {
			return nil
		}
		add("platform:"+string(p.Platform), d)
		add("label:"+string(p.Decision.Label), d)
		if p.Decision.Entity != "" {
			add("entity:"+p.Decision.Entity, d)
		}
		return nil
	})
	if err != nil {
		return g, fmt.Errorf("growth: %w", err)
	}
	for name, v := range series {
		g.Flagged = append(g.Flagged, Series{name, v})
	}
	slices.SortFunc(g.Flagged, func(a, b Series) int { return strings.Compare(a.Name, b.Name) })
	keys := make([]string, len(LifecycleKinds))
	for i, k := range LifecycleKinds {
		keys[i] = LifecycleKey(k, "")
	}
	// Counters answer "since t": a day's count is the difference of two
	// consecutive answers.
	cum := make([]map[string]int, days+1)
	for d := 0; d <= days; d++ {
		if cum[d], err = c.CountEvents(ctx, keys, start.AddDate(0, 0, d)); err != nil {
			return g, fmt.Errorf("growth: %w", err)
		}
	}
	for i, k := range LifecycleKinds {
		v := make([]int, days)
		for d := range days {
			v[d] = cum[d][keys[i]] - cum[d+1][keys[i]]
		}
		g.Lifecycle = append(g.Lifecycle, Series{k, v})
	}
	for _, s := range append(slices.Clone(g.Flagged), g.Lifecycle...) {
		g.Spikes = append(g.Spikes, Spikes(s, g.Days)...)
	}
	slices.SortFunc(g.Spikes, func(a, b Spike) int { return cmp.Or(b.Day.Compare(a.Day), strings.Compare(a.Series, b.Series)) })
	return g, nil
}

// Spike thresholds: a day needs minSpike events and at least baselineDays
// days before it.
const (
	minSpike     = 5
	baselineDays = 7
)

// Spikes finds the days of s that stand out of the 14 days before them.
func Spikes(s Series, days []time.Time) []Spike {
	var out []Spike
	for d := baselineDays; d < len(s.Values); d++ {
		base := s.Values[max(0, d-14):d]
		mean, sd := meanSD(base)
		v := float64(s.Values[d])
		if s.Values[d] >= minSpike && v > mean+3*sd && v >= 2*mean {
			out = append(out, Spike{Series: s.Name, Day: days[d], Count: s.Values[d], Baseline: math.Round(mean*10) / 10})
		}
	}
	return out
}

func meanSD(xs []int) (float64, float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	sum := 0.0
	for _, x := range xs {
		sum += float64(x)
	}
	mean := sum / float64(len(xs))
	v := 0.0
	for _, x := range xs {
		v += (float64(x) - mean) * (float64(x) - mean)
	}
	return mean, math.Sqrt(v / float64(len(xs)))
}

// Target is a channel, group or site that flagged posts point to, by
// forward or link.
type Target struct {
	ID      string `json:"id"`
	Label   string `json:"label"`
	Kind    string `json:"kind"`    // channel or site, as graph nodes
	Flagged int    `json:"flagged"` // flagged posts pointing to it
	Authors int    `json:"authors"` // distinct accounts among them
	Example string `json:"example"` // key of the newest such post
}

// Discover ranks the channels, groups and sites flagged posts since
// since forward from or link to: where to collect next. Rank is by
// distinct accounts, then posts, so that one spammer does not outrank a
// target a whole network points to.
func Discover(ctx context.Context, s store.Accounts, since time.Time, limit int) ([]Target, error) {
	type agg struct {
		t       Target
		authors map[string]bool
	}
	byID := map[string]*agg{}
	note := func(id, label string, p *post.Post) {
		a := byID[id]
		if a == nil {
			kind := "channel"
			if strings.HasPrefix(id, "link:") {
				kind = "site"
			}
			a = &agg{t: Target{ID: id, Label: label, Kind: kind}, authors: map[string]bool{}}
			byID[id] = a
		}
		a.t.Flagged++
		a.authors[Key(p.Platform, p.Author.ID)] = true
		a.t.Example = p.Key()
	}
	err := s.EachPost(ctx, since, true, func(p post.Post) error {
		seen := map[string]bool{}
		if p.ForwardFrom != "" {
			id := Key(p.Platform, p.ForwardFrom)
			seen[id] = true
			note(id, p.ForwardFrom, &p)
		}
		for _, l := range p.Outlinks {
			if id, label := LinkTarget(l); id != "" && !seen[id] {
				seen[id] = true
				note(id, label, &p)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("discover: %w", err)
	}
	out := make([]Target, 0, len(byID))
	for _, a := range byID {
		a.t.Authors = len(a.authors)
		out = append(out, a.t)
	}
	slices.SortFunc(out, func(a, b Target) int {
		return cmp.Or(cmp.Compare(b.Authors, a.Authors), cmp.Compare(b.Flagged, a.Flagged), strings.Compare(a.ID, b.ID))
	})
	return out[:min(len(out), limit)], nil
}

// BuildGraph builds the account graph of the posts since since.
func BuildGraph(ctx context.Context, s store.Accounts, since time.Time) ([]Node, []Edge, error) {
	g := NewGraph()
	if err := s.EachPost(ctx, since, false, func(p post.Post) error { g.AddPost(&p); return nil }); err != nil {
		return nil, nil, fmt.Errorf("graph: %w", err)
	}
	nodes, edges := g.Build()
	return nodes, edges, nil
}
