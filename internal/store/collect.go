package store

import (
	"context"
	"fmt"
	"time"

	"github.com/raqib-project/raqib/internal/post"
)

// Poll is the outcome of one poll of a watched source, as the collector
// records it once the poll's posts were committed.
type Poll struct {
	At time.Time
	// Err is empty for a successful poll, which moves the cursor to Cursor
	// and Newest forward; a failed one leaves both and records Err.
	Err    string
	Cursor string
	Newest time.Time
}

// Proposal is a place that flagged posts point to and that is not watched
// yet (a Telegram channel, an invite link, a Rocket.Chat server): a
// candidate source for an admin to accept.
type Proposal struct {
	// ID is post.SourceID(Kind, Location): the id the source gets when it
	// is accepted.
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Location string `json:"location"`
	// Posts counts the distinct flagged posts that point to it.
	Posts     int64     `json:"posts"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// Example is the key of the latest flagged post that points to it.
	Example string `json:"example"`
}

// Pointer is one flagged post pointing to a proposed source.
type Pointer struct {
	Kind, Location, PostKey string
	At                      time.Time
}

// Collection keeps the sources raqib watches live, their cursors and
// health, and the proposed sources discovery finds. Sources are the rows
// of Store.Sources; watching one adds its settings.
type Collection interface {
	// Watch creates src (with src.Watch set) or replaces its watch
	// settings; the cursor and health of a watched source are kept.
	Watch(ctx context.Context, src post.Source) error
	// Unwatch stops watching a source; its posts and import history
	// stay. ErrNotFound when it is not watched.
	Unwatch(ctx context.Context, id string) error
	// SetPaused pauses or resumes a watched source; ErrNotFound when it
	// is not watched.
	SetPaused(ctx context.Context, id string, paused bool) error
	// Watched lists every watched source by location, with Watch.PostsDay
	// counting posts published in the 24 hours before now.
	Watched(ctx context.Context, now time.Time) ([]post.Source, error)
	// WatchedSource returns one watched source, or ErrNotFound.
	WatchedSource(ctx context.Context, id string, now time.Time) (post.Source, error)
	// Polled records a poll of a watched source.
	Polled(ctx context.Context, id string, p Poll) error
	// Propose counts pointers; a post counts once per proposal however
	// often it is proposed again.
	Propose(ctx context.Context, ps []Pointer) error
	// Proposals lists up to ListLimit(limit) proposals that are not
	// watched, those with the most flagged posts first.
	Proposals(ctx context.Context, limit int) ([]Proposal, error)
	// DropProposal forgets a proposal and its pointers.
	DropProposal(ctx context.Context, id string) error
}

// WatchColumns are the columns ScanWatched reads, in its order, from
// sources s joined with watches w; postsDay is the SQL of the count of
// recent posts.
func WatchColumns(postsDay string) string {
	return `s.id, s.format, s.platform, s.location, s.first_collected, s.last_collected, s.imports, s.records_read,
		s.records_rejected, s.posts, w.kind, w.every_ms, w.token_env, w.selector, w.paused, w.added_by, w.added_at,
		w.cursor, w.last_poll, w.last_success, w.last_error, w.last_error_at, w.failures, w.newest, ` + postsDay
}

// ScanWatched reads sources from rows of WatchColumns.
func ScanWatched(rows Rows) ([]post.Source, error) {
	var out []post.Source
	for rows.Next() {
		var (
			src      post.Source
			w        post.Watch
			platform string
			everyMs  int64
		)
		if err := rows.Scan(&src.ID, &src.Format, &platform, &src.Location,
			&timeScanner{&src.FirstCollected}, &timeScanner{&src.LastCollected},
			&src.Imports, &src.Read, &src.Rejected, &src.Posts,
			&w.Kind, &everyMs, &w.TokenEnv, &w.Selector, &w.Paused, &w.AddedBy, &timeScanner{&w.AddedAt},
			&w.Cursor, &timeScanner{&w.LastPoll}, &timeScanner{&w.LastSuccess}, &w.LastError,
			&timeScanner{&w.LastErrorAt}, &w.Failures, &timeScanner{&w.Newest}, &w.PostsDay); err != nil {
			return nil, fmt.Errorf("list watched sources: %w", err)
		}
		src.Platform = post.Platform(platform)
		w.Every = time.Duration(everyMs) * time.Millisecond
		src.Watch = &w
		out = append(out, src)
	}
	return out, rows.Err()
}

// ProposalColumns are the columns ScanProposals reads, in its order.
const ProposalColumns = `id, kind, location, posts, first_seen, last_seen, example`

// ScanProposals reads proposals from rows of ProposalColumns.
func ScanProposals(rows Rows) ([]Proposal, error) {
	var out []Proposal
	for rows.Next() {
		var p Proposal
		if err := rows.Scan(&p.ID, &p.Kind, &p.Location, &p.Posts, &timeScanner{&p.FirstSeen}, &timeScanner{&p.LastSeen}, &p.Example); err != nil {
			return nil, fmt.Errorf("list proposed sources: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// CheckWatch says why src cannot be watched, or nil.
func CheckWatch(src post.Source) error {
	switch {
	case src.ID == "":
		return fmt.Errorf("watch source %q: %w: no id", src.Location, ErrBadSource)
	case src.Watch == nil || src.Watch.Kind == "":
		return fmt.Errorf("watch source %s: %w: no kind", src.Location, ErrBadSource)
	case src.Watch.Every <= 0:
		return fmt.Errorf("watch source %s: %w: no polling interval", src.Location, ErrBadSource)
	}
	return nil
}
