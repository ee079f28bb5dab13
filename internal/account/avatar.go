package account

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/raqib-project/raqib/internal/pdq"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// Doer sends a request: the SSRF-safe *fetch.Client.
type Doer interface {
	Do(req *http.Request) (*http.Response, error)
}

// Avatars fetches the profile pictures that committed posts name and
// records their PDQ hashes in the registry, where successor linking finds
// a removed account's picture on its next incarnation. It works in the
// background: Observe never waits on the network.
type Avatars struct {
	Fetch Doer
	Store interface {
		SetAvatar(ctx context.Context, a store.AccountRef, pdqHex string) error
	}
	Log *slog.Logger

	once  sync.Once
	queue chan avatarJob
	mu    sync.Mutex
	seen  map[string]bool // URLs queued or done by this process
}

type avatarJob struct {
	account store.AccountRef
	url     string
}

const (
	avatarQueue = 1024
	// avatarSeen bounds the URLs remembered; past it the set starts
	// again, and an account seen later is fetched once more.
	avatarSeen = 200_000
	// minAvatarQuality is PDQ's own threshold: a hash of lower quality (a
	// flat colour, a default silhouette) matches too much to be evidence.
	minAvatarQuality = 50
	avatarMaxPixels  = 4 << 20
)

func (a *Avatars) init() {
	a.once.Do(func() {
		a.queue = make(chan avatarJob, avatarQueue)
		a.seen = map[string]bool{}
		if a.Log == nil {
			a.Log = slog.New(slog.DiscardHandler)
		}
	})
}

// Observe queues the avatars of ps's authors not fetched yet by this
// process. A full queue drops the rest; they are queued when next seen.
func (a *Avatars) Observe(ps []post.Post) {
	a.init()
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range ps {
		au := &ps[i].Author
		u := avatarURL(au.AvatarURL)
		if u == "" || au.ID == "" || a.seen[u] {
			continue
		}
		select {
		case a.queue <- avatarJob{account: store.AccountRef{Platform: au.Platform, ID: au.ID}, url: u}:
			if len(a.seen) >= avatarSeen {
				clear(a.seen)
			}
			a.seen[u] = true
		default:
			return
		}
	}
}

// avatarURL is the URL to fetch for a profile picture: "" for none or the
// platform's default picture; X's thumbnail asks for its 400×400 version,
// on which PDQ has pixels to work with.
func avatarURL(u string) string {
	if u == "" || strings.Contains(u, "default_profile_images") {
		return ""
	}
	if strings.Contains(u, "pbs.twimg.com/profile_images/") {
		u = strings.Replace(u, "_normal.", "_400x400.", 1)
	}
	return u
}

// Run fetches queued avatars with n goroutines until ctx ends.
func (a *Avatars) Run(ctx context.Context, n int) {
	a.init()
	var wg sync.WaitGroup
	for range max(n, 1) {
		wg.Go(func() {
			h := pdq.NewHasher()
			for {
				select {
				case <-ctx.Done():
					return
				case j := <-a.queue:
					if err := a.fetch(ctx, h, j); err != nil && ctx.Err() == nil {
						a.Log.Debug("avatar", "account", Key(j.account.Platform, j.account.ID), "err", err)
					}
				}
			}
		})
	}
	wg.Wait()
}

func (a *Avatars) fetch(ctx context.Context, h *pdq.Hasher, j avatarJob) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.url, nil)
	if err != nil {
		return err
	}
	resp, err := a.Fetch.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("get %s: %s", j.url, resp.Status)
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("get %s: %w", j.url, err)
	}
	res, err := h.HashBytes(data, avatarMaxPixels)
	if err != nil {
		return fmt.Errorf("hash %s: %w", j.url, err)
	}
	if res.Quality < minAvatarQuality {
		return nil
	}
	return a.Store.SetAvatar(ctx, j.account, res.PDQ.String())
}
