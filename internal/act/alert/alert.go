// Package alert is the first automated action: a tier-1 post (a threat to
// life) raises an alert at once, before any analyst opened the case, so
// that the unit's duty officer hears of it within seconds of collection.
// The alert goes to the structured log, where operations route warnings;
// delivery by e-mail or webhook comes with the referral channels.
package alert

import (
	"context"
	"log/slog"

	"github.com/raqib-project/raqib/internal/post"
)

// Name is the action name rules ask for.
const Name = "alert"

// Actor raises alerts.
type Actor struct {
	Log *slog.Logger
}

// Name returns the action it carries out.
func (a *Actor) Name() string { return Name }

// excerpt is how much of a post's text an alert quotes.
const excerpt = 280

// Act raises one alert per post. It never fails: a log line cannot be
// refused.
func (a *Actor) Act(_ context.Context, p *post.Post, reason string) error {
	text := []rune(p.Text)
	if len(text) > excerpt {
		text = append(text[:excerpt], '…')
	}
	a.Log.Warn("alert: "+reason,
		"post", p.Key(), "url", p.URL, "platform", string(p.Platform), "author", p.Author.Handle,
		"label", string(p.Decision.Label), "tier", int(p.Decision.Tier), "text", string(text))
	return nil
}
