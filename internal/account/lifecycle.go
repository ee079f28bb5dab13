package account

import (
	"context"
	"fmt"
	"time"

	"github.com/raqib-project/raqib/internal/effect"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// LifecycleKey is the shared counter of lifecycle events of a kind on a
// platform; platform "" is the counter over all platforms.
func LifecycleKey(kind string, platform post.Platform) string {
	if platform == "" {
		return "lifecycle/" + kind
	}
	return "lifecycle/" + kind + "/" + string(platform)
}

// LifecycleEvents turns a post's lifecycle effects into counter events,
// each keyed by the account (and for a reactivation by its day), so that
// an account counts once however many of its posts show the event and
// however often the batch is delivered.
func LifecycleEvents(p *post.Post, evs []effect.AccountEvent, now time.Time) []store.CountEvent {
	if len(evs) == 0 {
		return nil
	}
	out := make([]store.CountEvent, 0, 2*len(evs))
	for _, ev := range evs {
		id := Key(p.Platform, p.Author.ID)
		if ev.Kind == effect.AccountReactivated {
			at := p.PostedAt
			if at.IsZero() {
				at = now
			}
			id += "@" + at.UTC().Format(time.DateOnly)
		}
		out = append(out, store.CountEvent{Key: LifecycleKey(ev.Kind, p.Platform), ID: id, At: now},
			store.CountEvent{Key: LifecycleKey(ev.Kind, ""), ID: id, At: now})
	}
	return out
}

// PostedLinks lists the links the authors of ps posted, canonical and
// once per author and link: outlinks, and invite links in the text.
func PostedLinks(ps []post.Post, now time.Time) []store.AccountLink {
	var out []store.AccountLink
	var seen map[store.AccountLink]bool
	for i := range ps {
		p := &ps[i]
		if p.Author.ID == "" || len(p.Outlinks) == 0 {
			continue
		}
		if seen == nil {
			seen = map[store.AccountLink]bool{}
		}
		at := p.PostedAt
		if at.IsZero() {
			at = now
		}
		for _, l := range p.Outlinks {
			c := CanonLink(l)
			if c == "" {
				continue
			}
			k := store.AccountLink{Account: store.AccountRef{Platform: p.Platform, ID: p.Author.ID}, Link: c}
			if seen[k] {
				continue
			}
			seen[k] = true
			k.At = at
			out = append(out, k)
		}
	}
	return out
}

// Lifecycle kinds, in the order pages show them.
var LifecycleKinds = []string{effect.AccountNew, effect.AccountReactivated, effect.AccountRemoved}

// Counts are lifecycle events counted over the last hour, the last day and
// all time.
type Counts struct {
	Hour, Day, Total int
}

// LifecycleCounts reads the lifecycle counters of every kind, over all
// platforms, from the shared counters.
func LifecycleCounts(ctx context.Context, c store.Counters, now time.Time) (map[string]Counts, error) {
	keys := make([]string, len(LifecycleKinds))
	for i, k := range LifecycleKinds {
		keys[i] = LifecycleKey(k, "")
	}
	out := map[string]Counts{}
	for _, w := range []struct {
		since time.Time
		set   func(*Counts, int)
	}{
		{now.Add(-time.Hour), func(c *Counts, n int) { c.Hour = n }},
		{now.Add(-24 * time.Hour), func(c *Counts, n int) { c.Day = n }},
		{time.Time{}, func(c *Counts, n int) { c.Total = n }},
	} {
		got, err := c.CountEvents(ctx, keys, w.since)
		if err != nil {
			return nil, fmt.Errorf("lifecycle counts: %w", err)
		}
		for i, k := range LifecycleKinds {
			cs := out[k]
			w.set(&cs, got[keys[i]])
			out[k] = cs
		}
	}
	return out, nil
}
