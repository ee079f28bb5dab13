// Package store keeps posts, their detector results, accounts, channels and
// review cases. Store is the one interface the rest of raqib uses; the
// embedded default is store/sqlite, and the scale-out implementation drops in
// behind the same interface.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/raqib-project/raqib/internal/hashbank"
	"github.com/raqib-project/raqib/internal/post"
)

var (
	// ErrNotFound is returned when a post, case or account does not exist.
	ErrNotFound = errors.New("not found")
	// ErrBadSource is returned (wrapped, saying why) for a source that
	// cannot be stored.
	ErrBadSource = errors.New("bad source")
	// ErrBadPost is returned (wrapped, saying why) for a post that cannot
	// be stored; the whole batch is then rejected.
	ErrBadPost = errors.New("bad post")
)

// Counts says what a SavePosts call did with each post.
type Counts struct {
	Inserted   int `json:"inserted"`   // new posts
	Duplicates int `json:"duplicates"` // already stored with the same content
	Edited     int `json:"edited"`     // stored before with other content: a new version was kept
	// Cases counts the review cases opened. SavePosts leaves it 0: cases
	// are opened by CaseProposer.ProposeCases once the batch is committed.
	Cases int `json:"cases"`
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	c.Inserted += o.Inserted
	c.Duplicates += o.Duplicates
	c.Edited += o.Edited
	c.Cases += o.Cases
}

// Query selects posts for listing. Zero fields do not filter.
type Query struct {
	Text      string // full-text search; normalized by the store like post text
	Platform  post.Platform
	Label     post.Label
	Tier      post.Tier
	Entity    string
	Violating bool // only posts the rules found violating
	Author    string
	Channel   string
	Source    string // post.Source ID
	Limit     int    // default 50, at most 1000
	Offset    int
}

// Version is an earlier state of an edited post.
type Version struct {
	Version     int       `json:"version"`
	Text        string    `json:"text"`
	Title       string    `json:"title,omitempty"`
	EditedAt    time.Time `json:"edited_at,omitzero"`
	CollectedAt time.Time `json:"collected_at,omitzero"`
	Raw         []byte    `json:"raw,omitempty"`
}

// Stats summarizes the store for dashboards and metrics.
type Stats struct {
	Posts      int64            `json:"posts"`
	Violating  int64            `json:"violating"`
	OpenCases  int64            `json:"open_cases"`
	Accounts   int64            `json:"accounts"`
	ByPlatform map[string]int64 `json:"by_platform"`
	ByLabel    map[string]int64 `json:"by_label"`
}

// Store is raqib's storage. Implementations must be safe for concurrent use.
type Store interface {
	Counters
	TextIndex
	CaseProposer
	Auditor
	// SavePosts stores a batch atomically: either every post of it is
	// committed or none. Re-saving a post with the same key and content is a
	// no-op that refreshes its detection results; other content makes a new
	// version and keeps the old one.
	SavePosts(ctx context.Context, ps []post.Post) (Counts, error)
	// Post returns the post with key and its earlier versions, oldest first.
	Post(ctx context.Context, key string) (post.Post, []Version, error)
	// Posts lists posts matching q, newest first.
	Posts(ctx context.Context, q Query) ([]post.Post, error)
	// Cases lists up to ListLimit(limit) review cases with the given status
	// ("" for all), newest first.
	Cases(ctx context.Context, status post.CaseStatus, limit int) ([]post.Case, error)
	// CasePosts lists the keys of up to ListLimit(limit) posts of a case,
	// the earliest added first; ErrNotFound when there is no such case.
	CasePosts(ctx context.Context, caseID int64, limit int) ([]string, error)
	// Stats counts what is stored.
	Stats(ctx context.Context) (Stats, error)
	// SaveSource records one import run of a source: the first creates it,
	// later ones widen its collection times and add their Read and Rejected
	// counts. Posts is not taken from src: SavePosts counts the posts first
	// stored from each source.
	SaveSource(ctx context.Context, src post.Source) error
	// Sources lists up to ListLimit(limit) sources, the most
	// recently collected first.
	Sources(ctx context.Context, limit int) ([]post.Source, error)
	Close() error
}

// Banks persists hash banks for known-content matching. It is a separate
// interface so that a store can be used before it supports banks.
type Banks interface {
	// PutBank creates a bank or updates its settings.
	PutBank(ctx context.Context, b hashbank.Bank) error
	// AddEntries stores entries and returns those that were new, with
	// their ids; an entry whose bank, type and hash are stored already is
	// skipped.
	AddEntries(ctx context.Context, es []hashbank.Entry) ([]hashbank.Entry, error)
	// LoadBanks returns every bank and entry, for hashbank.Matcher.Load.
	LoadBanks(ctx context.Context) ([]hashbank.Bank, []hashbank.Entry, error)
	SetBankEnabled(ctx context.Context, name string, on bool) error
	SetEntryEnabled(ctx context.Context, id int64, on bool) error
	// Entries returns the entries with the given ids, in id order; ids
	// that are not stored are left out.
	Entries(ctx context.Context, ids []int64) ([]hashbank.Entry, error)
	// Bank returns the bank of that name, or ErrNotFound.
	Bank(ctx context.Context, name string) (hashbank.Bank, error)
	// MediaHashes calls fn with every stored media hash of signal type typ
	// and the key of its post: what a retroactive scan reads.
	MediaHashes(ctx context.Context, typ string, fn func(value, postKey string) error) error
	// HashPosts returns the keys of up to limit posts with a media hash of
	// type typ and that value, through an index.
	HashPosts(ctx context.Context, typ, value string, limit int) ([]string, error)
	// PostTexts calls fn with the key, normalized text and decided label of
	// every stored post; violatingOnly restricts it to violating posts.
	PostTexts(ctx context.Context, violatingOnly bool, fn func(key, norm string, label post.Label) error) error
	// BankStamp changes whenever a bank or entry is added or switched, so
	// that long-running processes know when to reload.
	BankStamp(ctx context.Context) (string, error)
}
