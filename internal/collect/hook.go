package collect

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/raqib-project/raqib/internal/ingest"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
	"github.com/raqib-project/raqib/internal/store"
)

// SignatureHeader carries a webhook's signature: "sha256=" and the hex
// HMAC-SHA256 of the body under the source's secret (as GitHub signs).
const SignatureHeader = "X-Raqib-Signature"

var (
	// ErrSignature refuses a push that is unsigned, wrongly signed, or
	// for no webhook source (the same answer, so that a caller learns
	// nothing about which sources exist).
	ErrSignature = errors.New("missing or bad signature")
	// ErrPaused refuses a push to a paused webhook source.
	ErrPaused = errors.New("source is paused")
)

// Sign returns the signature header value of body under secret.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Receive takes a push to webhook source id: it checks the signature
// against the secret in the source's --token-env variable, decodes the
// body as any importer's format (Telegram, Rocket.Chat, X API, RSS,
// JSONL posts), and commits the posts like a poll's.
func (c *Collector) Receive(ctx context.Context, id string, body []byte, signature string) (Result, error) {
	now := c.cfg.Env.Time()
	src, err := c.cfg.Store.WatchedSource(ctx, id, now)
	if errors.Is(err, store.ErrNotFound) || (err == nil && src.Watch.Kind != Webhook) {
		return Result{}, fmt.Errorf("webhook %q: %w", id, ErrSignature)
	}
	if err != nil {
		return Result{}, err
	}
	secret, err := c.cfg.Env.Token(src)
	if err != nil {
		// Misconfigured: no push is accepted without a secret.
		c.cfg.Log.Warn("collect: webhook without a secret", "source", id, "err", err)
		return Result{}, fmt.Errorf("webhook %q: %w", id, ErrSignature)
	}
	sig, ok := strings.CutPrefix(signature, "sha256=")
	want := Sign([]byte(secret), body)
	if !ok || !hmac.Equal([]byte("sha256="+sig), []byte(want)) {
		return Result{}, fmt.Errorf("webhook %q: %w", id, ErrSignature)
	}
	if src.Watch.Paused {
		return Result{}, fmt.Errorf("webhook %q: %w", id, ErrPaused)
	}
	res, err := c.receive(ctx, src, body)
	rec := store.Poll{At: c.cfg.Env.Time()}
	if err != nil {
		rec.Err = err.Error()
		c.metrics.polled(src.ID, res, err, rec.At.Sub(now))
		if perr := c.cfg.Store.Polled(ctx, src.ID, rec); perr != nil {
			c.cfg.Log.Warn("collect: record failure", "source", src.ID, "err", perr)
		}
		return res, err
	}
	c.metrics.polled(src.ID, res, nil, rec.At.Sub(now))
	return res, nil
}

func (c *Collector) receive(ctx context.Context, src post.Source, body []byte) (Result, error) {
	name := "webhook " + src.Location
	d := ingest.Sniff(name+".json", body[:min(len(body), 4096)])
	if d == nil {
		return Result{}, fmt.Errorf("%s: %w: not in a format raqib imports", name, source.ErrFormat)
	}
	ps, rejected, err := source.Collect(d, source.Input{Name: name, R: bytes.NewReader(body)})
	if err != nil {
		return Result{}, fmt.Errorf("%s (%s): %w", name, d.Name(), err)
	}
	res := Result{Posts: len(ps), Rejected: len(rejected)}
	newest := Stamp(ps, src, c.cfg.Env.Time())
	if len(ps) > 0 {
		if res.Counts, err = c.cfg.Commit(ctx, ps); err != nil {
			return res, fmt.Errorf("commit %d posts: %w", len(ps), err)
		}
	}
	return res, c.cfg.Store.Polled(ctx, src.ID, store.Poll{At: c.cfg.Env.Time(), Newest: newest})
}
