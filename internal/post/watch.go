package post

import "time"

// Watch is how and how well raqib watches a live source: the settings an
// admin gave (`raqib source add`, the sources page) and the health the
// collector records after every poll.
type Watch struct {
	// Kind names the connector: telegram-web, feed, rocketchat, xapi, web
	// or webhook.
	Kind string `json:"kind"`
	// Every is the time between two polls.
	Every time.Duration `json:"every"`
	// TokenEnv names the environment variable that holds the source's
	// credential (a bearer token, "user-id:auth-token", a webhook's HMAC
	// secret). The credential itself is never stored, shown or logged.
	TokenEnv string `json:"token_env,omitempty"`
	// Selector is the CSS selector of one item on a watched web page.
	Selector string    `json:"selector,omitempty"`
	Paused   bool      `json:"paused,omitempty"`
	AddedBy  string    `json:"added_by,omitempty"`
	AddedAt  time.Time `json:"added_at,omitzero"`

	// Cursor is where the next poll resumes, in the connector's own terms
	// (the newest post id, a timestamp, validators of a feed). It only
	// moves once the posts before it were committed.
	Cursor      string    `json:"cursor,omitempty"`
	LastPoll    time.Time `json:"last_poll,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	// Failures counts the failed polls since the last success.
	Failures int `json:"failures,omitempty"`
	// Newest is the publication time of the newest post collected.
	Newest time.Time `json:"newest,omitzero"`
	// PostsDay counts the source's posts published in the 24 hours before
	// the list was read; the store fills it.
	PostsDay int64 `json:"posts_day"`
}

// Lag is how long ago the source was last read successfully: how far
// behind what raqib shows of it may be. Zero when it never was.
func (w *Watch) Lag(now time.Time) time.Duration {
	if w.LastSuccess.IsZero() {
		return 0
	}
	return max(now.Sub(w.LastSuccess), 0)
}

// Failing reports whether the last poll failed.
func (w *Watch) Failing() bool { return w.Failures > 0 }
