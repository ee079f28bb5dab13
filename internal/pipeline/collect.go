package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// Commit publishes one batch of a run (a poll of a live source, a webhook
// push) and waits until the workers committed every message of it: the
// collector stores its cursor only then. The batch goes through the same
// queue, workers and detection as an import.
func (b *Bus) Commit(ctx context.Context, run string, ps []post.Post) (store.Counts, error) {
	var total store.Counts
	results, stop, err := b.Results(ctx, run)
	if err != nil {
		return total, err
	}
	defer stop()
	pub := b.NewPublisher(run)
	n, err := pub.Publish(ctx, ps)
	if werr := pub.Wait(ctx); err == nil {
		err = werr
	}
	if err != nil {
		return total, fmt.Errorf("publish %d posts: %w", len(ps), err)
	}
	seen := map[int]bool{}
	var failed []error
	for len(seen) < n {
		select {
		case r := <-results:
			if seen[r.Seq] {
				continue // redelivered after its worker died
			}
			seen[r.Seq] = true
			total.Add(r.Counts)
			if r.Err != "" {
				failed = append(failed, fmt.Errorf("batch %d (%d posts) was not stored: %s", r.Seq, r.Posts, r.Err))
			}
		case <-ctx.Done():
			return total, fmt.Errorf("waiting for workers: %d of %d batches stored: %w", len(seen), n, ctx.Err())
		}
	}
	return total, errors.Join(failed...)
}

// Leases are per-key leases in a JetStream key-value bucket: a key's value
// is its owner, and an entry not renewed within the bucket's TTL expires,
// so that the leases of a process that died pass to the others.
type Leases struct {
	kv jetstream.KeyValue
}

// Leases opens (creating) the lease bucket of this namespace with the
// given time to live.
func (b *Bus) Leases(ctx context.Context, ttl time.Duration) (*Leases, error) {
	name := strings.TrimSuffix(b.postsStream, "_POSTS") + "_LEASES"
	kv, err := b.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: name, Description: "raqib collection leases: one owner per source", TTL: ttl, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("lease bucket %s: %w", name, err)
	}
	return &Leases{kv: kv}, nil
}

// Hold takes key for owner when nobody holds it, renews it when owner
// does, and reports false when another owner does.
func (l *Leases) Hold(ctx context.Context, key, owner string) (bool, error) {
	e, err := l.kv.Get(ctx, key)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		if _, err := l.kv.Create(ctx, key, []byte(owner)); err != nil {
			if errors.Is(err, jetstream.ErrKeyExists) {
				return false, nil // another took it first
			}
			return false, fmt.Errorf("take lease %s: %w", key, err)
		}
		return true, nil
	case err != nil:
		return false, fmt.Errorf("read lease %s: %w", key, err)
	case string(e.Value()) != owner:
		return false, nil
	}
	if _, err := l.kv.Update(ctx, key, []byte(owner), e.Revision()); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return false, nil // lost it between read and renewal
		}
		return false, fmt.Errorf("renew lease %s: %w", key, err)
	}
	return true, nil
}

// Release gives up key if owner holds it.
func (l *Leases) Release(ctx context.Context, key, owner string) error {
	e, err := l.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read lease %s: %w", key, err)
	}
	if string(e.Value()) != owner {
		return nil
	}
	if err := l.kv.Delete(ctx, key, jetstream.LastRevision(e.Revision())); err != nil {
		return fmt.Errorf("release lease %s: %w", key, err)
	}
	return nil
}
