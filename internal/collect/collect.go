// Package collect watches live sources: it polls Telegram channels' web
// previews, RSS/Atom feeds, Rocket.Chat rooms, X API v2 searches and
// timelines and web pages (connectors in collect/<connector>), receives
// signed webhooks, and hands what it reads to the same batch path as
// `raqib ingest`. A source's cursor moves only after its posts were
// committed, so a restart neither skips nor re-imports; sources are
// polled on their own schedule with backoff and jitter after errors and
// as late as their rate-limit answers ask; with several processes a lease
// gives each source one owner. Discovery proposes the channels, invite
// links and servers that flagged posts point to.
package collect

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
)

// Kinds of source, one per connector.
const (
	TelegramWeb = "telegram-web"
	Feed        = "feed"
	RocketChat  = "rocketchat"
	XAPI        = "xapi"
	Web         = "web"
	Webhook     = "webhook"
)

// Kinds lists every kind of source, for help texts and forms.
var Kinds = []string{TelegramWeb, Feed, RocketChat, XAPI, Web, Webhook}

var (
	// ErrBadSource is returned (wrapped, saying why) for a source that
	// cannot be watched as given.
	ErrBadSource = errors.New("bad source")
	// ErrNoToken is returned when the environment variable a source names
	// for its credential is not set.
	ErrNoToken = errors.New("credential not set")
)

// DefaultEvery is the polling interval of a source added without one.
const DefaultEvery = 10 * time.Minute

// MinEvery keeps an admin from hammering a site.
const MinEvery = 10 * time.Second

// Options are the settings of a new source besides its kind and location.
type Options struct {
	Every    time.Duration
	TokenEnv string
	Selector string
	AddedBy  string
	Now      time.Time
}

var (
	envName        = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	telegramHandle = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{3,31}$`)
)

// NewSource checks a source an admin asked for and returns it in canonical
// form, so that one place has one id however it was written: a Telegram
// channel as https://t.me/s/NAME, everything else as an http(s) URL.
func NewSource(kind, location string, o Options) (post.Source, error) {
	location = strings.TrimSpace(location)
	bad := func(why string) (post.Source, error) {
		return post.Source{}, fmt.Errorf("%w %q (%s): %s", ErrBadSource, location, kind, why)
	}
	if !slices.Contains(Kinds, kind) {
		return bad("unknown kind; want one of " + strings.Join(Kinds, ", "))
	}
	if o.Every == 0 {
		o.Every = DefaultEvery
	}
	if o.Every < MinEvery {
		return bad(fmt.Sprintf("polling every %s is more often than the minimum of %s", o.Every, MinEvery))
	}
	if o.TokenEnv != "" && !envName.MatchString(o.TokenEnv) {
		return bad("--token-env must name an environment variable (letters, digits, _), not hold the credential")
	}
	platform := post.Web
	switch kind {
	case TelegramWeb:
		name, ok := TelegramChannel(location)
		if !ok {
			return bad("want a public channel: NAME, @NAME, t.me/NAME or https://t.me/s/NAME")
		}
		location, platform = "https://t.me/s/"+name, post.Telegram
	case XAPI:
		if name, ok := strings.CutPrefix(location, "@"); ok {
			if !xHandle.MatchString(name) {
				return bad("want an X handle: @NAME of 1 to 15 letters, digits or _")
			}
			location = "https://api.x.com/2/users/by/username/" + name
		}
		if err := checkURL(&location); err != nil {
			return bad(err.Error())
		}
	case Webhook:
		if o.TokenEnv == "" {
			return bad("a webhook needs --token-env naming the variable that holds its HMAC secret")
		}
		if location == "" || strings.ContainsAny(location, "/?# ") {
			return bad("a webhook is named by a word (its URL becomes /hooks/ID)")
		}
	default:
		if err := checkURL(&location); err != nil {
			return bad(err.Error())
		}
	}
	switch kind {
	case RocketChat:
		platform = post.RocketChat
		if _, _, _, err := RocketRoom(location); err != nil {
			return bad(err.Error())
		}
		if o.TokenEnv == "" {
			return bad("Rocket.Chat needs --token-env naming a variable that holds USER_ID:AUTH_TOKEN")
		}
	case XAPI:
		platform = post.X
		if o.TokenEnv == "" {
			return bad("the X API needs --token-env naming a variable that holds the bearer token")
		}
	case Web:
		if strings.TrimSpace(o.Selector) == "" {
			return bad("a web page needs --selector: the CSS selector of one item")
		}
	}
	return post.Source{
		ID: post.SourceID(kind, location), Format: kind, Platform: platform, Location: location,
		Watch: &post.Watch{Kind: kind, Every: o.Every, TokenEnv: o.TokenEnv, Selector: o.Selector, AddedBy: o.AddedBy, AddedAt: o.Now.UTC()},
	}, nil
}

// xHandle is an X username.
var xHandle = regexp.MustCompile(`^[A-Za-z0-9_]{1,15}$`)

// checkURL checks that *location is an http(s) URL without credentials
// and drops its fragment.
func checkURL(location *string) error {
	u, err := url.Parse(*location)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("want an http(s) URL")
	}
	if u.User != nil {
		return errors.New("credentials do not belong in the URL: use --token-env")
	}
	u.Fragment = ""
	*location = u.String()
	return nil
}

// TelegramChannel returns the channel name of a public channel written as
// NAME, @NAME, t.me/NAME, https://t.me/NAME, https://t.me/s/NAME or
// telegram.me/NAME (a post link names its channel too).
func TelegramChannel(s string) (string, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "@")
	for _, p := range []string{"https://", "http://"} {
		s = strings.TrimPrefix(s, p)
	}
	lower := strings.ToLower(s)
	for _, h := range []string{"t.me/", "telegram.me/", "www.t.me/", "telegram.dog/"} {
		if strings.HasPrefix(lower, h) {
			s = strings.TrimPrefix(s[len(h):], "s/")
			s, _, _ = strings.Cut(s, "/")
			s, _, _ = strings.Cut(s, "?")
			break
		}
	}
	if !telegramHandle.MatchString(s) || strings.EqualFold(s, "joinchat") || strings.HasSuffix(strings.ToLower(s), "bot") {
		return "", false
	}
	return s, true
}

// RocketRoom splits a Rocket.Chat room URL, https://HOST/channel/ROOM or
// https://HOST/group/ROOM (ROOM a room id or name), into the server's URL,
// whether the room is a private group, and the room.
func RocketRoom(location string) (server string, group bool, room string, err error) {
	u, err := url.Parse(location)
	if err != nil {
		return "", false, "", err
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	n := len(parts)
	if n < 2 || (parts[n-2] != "channel" && parts[n-2] != "group") || parts[n-1] == "" {
		return "", false, "", errors.New("want a room URL: https://HOST/channel/ROOM or https://HOST/group/ROOM (ROOM a room id or name)")
	}
	server = u.Scheme + "://" + u.Host
	if prefix := strings.Join(parts[:n-2], "/"); prefix != "" {
		server += "/" + prefix
	}
	return server, parts[n-2] == "group", parts[n-1], nil
}

// Env is what a connector needs besides the source: the HTTP client, the
// credentials' environment and limits.
type Env struct {
	Client    Doer
	UserAgent string
	// Getenv reads the variable a source names for its credential.
	Getenv func(string) string
	// MaxPages bounds the pages one poll reads while paging back to the
	// cursor; a new source reads that many pages of its history.
	MaxPages int
	Now      func() time.Time
}

// Time is the environment's clock.
func (e Env) Time() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

// Pages is MaxPages or its default.
func (e Env) Pages() int {
	if e.MaxPages <= 0 {
		return 5
	}
	return e.MaxPages
}

// Token returns the credential of src from the environment.
func (e Env) Token(src post.Source) (string, error) {
	name := src.Watch.TokenEnv
	if name == "" {
		return "", fmt.Errorf("%w: source %s names no --token-env", ErrNoToken, src.Location)
	}
	v := ""
	if e.Getenv != nil {
		v = e.Getenv(name)
	}
	if v == "" {
		return "", fmt.Errorf("%w: environment variable %s is empty", ErrNoToken, name)
	}
	return v, nil
}

// Batch is what one poll read.
type Batch struct {
	Posts []post.Post
	// Rejected lists records that were skipped as malformed; the others
	// are committed and the cursor moves past them all.
	Rejected []source.Rejection
	// Cursor is the source's cursor once Posts are committed.
	Cursor string
	// NotBefore, when set, is the earliest time the source may be polled
	// again (a rate limit that is exhausted but not yet refused).
	NotBefore time.Time
}

// Connector reads one kind of source.
type Connector interface {
	// Poll reads what src published after its cursor (src.Watch.Cursor).
	// It reads nothing into the store: the collector commits the batch and
	// only then stores the batch's cursor.
	Poll(ctx context.Context, env Env, src post.Source) (Batch, error)
}

// Connectors maps each polled kind to its connector.
type Connectors map[string]Connector
