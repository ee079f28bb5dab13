package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/raqib-project/raqib/internal/detect/bankmatch"
	"github.com/raqib-project/raqib/internal/hashbank"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/signaltype"
	"github.com/raqib-project/raqib/internal/store"
)

// bankMatcher keeps the hash banks loaded from the store in a matcher,
// reloaded when another process changed them.
type bankMatcher struct {
	banks store.Banks // nil when the store keeps no banks
	log   *slog.Logger
	m     *hashbank.Matcher
	stamp string
	det   *bankmatch.Detector
}

func newBankMatcher(ctx context.Context, st store.Store, log *slog.Logger) (*bankMatcher, error) {
	k := &bankMatcher{log: log, m: hashbank.NewMatcher()}
	k.det = &bankmatch.Detector{Banks: k.m}
	b, ok := st.(store.Banks)
	if !ok {
		log.Warn("this store keeps no hash banks; known-content matching of media is off")
		return k, nil
	}
	k.banks = b
	if err := k.reload(ctx); err != nil {
		return nil, err
	}
	return k, nil
}

// reload loads the banks when they changed since the last load.
func (k *bankMatcher) reload(ctx context.Context) error {
	if k.banks == nil {
		return nil
	}
	stamp, err := k.banks.BankStamp(ctx)
	if err != nil {
		return err
	}
	if stamp == k.stamp {
		return nil
	}
	banks, entries, err := k.banks.LoadBanks(ctx)
	if err != nil {
		return err
	}
	if err := k.m.Load(banks, entries); err != nil {
		// Bad entries are skipped; the rest is in force.
		k.log.Warn("some bank entries were not loaded", "err", err)
	}
	k.stamp = stamp
	k.log.Debug("hash banks loaded", "banks", len(banks), "entries", len(entries))
	return nil
}

// watch reloads the banks when another process (`raqib bank import`)
// changed them.
func (k *bankMatcher) watch(ctx context.Context, period time.Duration) {
	every(ctx, period, func() {
		if err := k.reload(ctx); err != nil {
			k.log.Warn("reload hash banks", "err", err)
		}
	})
}

// retro finds already-collected posts that entries just added to the banks
// match, and returns their keys.
func (k *bankMatcher) retro(ctx context.Context, added []hashbank.Entry) ([]string, error) {
	if k.banks == nil || len(added) == 0 {
		return nil, nil
	}
	// Only the types of the added entries can match anything new.
	var media, text []*signaltype.Type
	for _, t := range signaltype.All() {
		if !slices.ContainsFunc(added, func(e hashbank.Entry) bool { return e.Type == t.Name }) {
			continue
		}
		if t.FromText != nil {
			text = append(text, t)
		} else {
			media = append(media, t)
		}
	}
	var scanErr error
	seq := func(yield func(typ, value, key string) bool) {
		stop := errors.New("stop")
		for _, t := range media {
			err := k.banks.MediaHashes(ctx, t.Name, func(v, key string) error {
				if !yield(t.Name, v, key) {
					return stop
				}
				return nil
			})
			if err != nil {
				if !errors.Is(err, stop) {
					scanErr = err
				}
				return
			}
		}
		if len(text) == 0 {
			return
		}
		err := k.banks.PostTexts(ctx, false, func(key, norm string, _ post.Label) error {
			for _, t := range text {
				v, ok := t.FromText(norm)
				if ok && !yield(t.Name, v, key) {
					return stop
				}
			}
			return nil
		})
		if err != nil && !errors.Is(err, stop) {
			scanErr = err
		}
	}
	matches, err := k.m.Retro(added, seq)
	if scanErr != nil {
		return nil, fmt.Errorf("retroactive scan: %w", scanErr)
	}
	if err != nil {
		k.log.Warn("retroactive scan skipped some hashes", "err", err)
	}
	var keys []string
	seen := map[string]bool{}
	for _, m := range matches {
		if !seen[m.Key] {
			seen[m.Key] = true
			keys = append(keys, m.Key)
		}
	}
	return keys, nil
}
