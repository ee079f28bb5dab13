// Package pipeline moves posts from collection to storage through NATS
// JetStream: importers publish batches of collected posts to a durable work
// queue, workers consume them, enrich and detect, commit them to the store
// and only then acknowledge. By default the NATS server runs inside the
// process (no network port); with a URL the very same code talks to an
// external NATS cluster, so any number of `raqib worker` processes can share
// the work.
package pipeline

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// Header names and limits. Collected posts go to a work-queue stream (a
// message is deleted once a worker acknowledged it); results are kept for a
// week so that dashboards and late importers can read them.
const (
	workerConsumer = "workers"
	headerRun      = "Raqib-Run"
	headerSeq      = "Raqib-Seq"
	// maxDeliver bounds redelivery of a batch that keeps failing, so that a
	// poison batch is reported instead of looping forever.
	maxDeliver = 5
)

// ErrDataDirInUse means another raqib process runs the embedded NATS server
// on the same data directory.
var ErrDataDirInUse = errors.New("data directory is in use by another raqib process")

// Config says where the queue lives.
type Config struct {
	// URL of an external NATS server; empty runs one inside this process.
	URL string
	// Dir is the data directory; the embedded server keeps its streams in
	// Dir/nats.
	Dir string
	// Listen, when not empty, also exposes the embedded server on this
	// host:port (never the default 4222 unless the user asks for it).
	Listen string
	// Namespace prefixes stream and subject names, so that several raqib
	// installations (or test runs) can share one NATS cluster. Default raqib.
	Namespace string
	Log       *slog.Logger
}

// Bus is a connection to the queue.
type Bus struct {
	srv  *server.Server // nil with an external server
	lock *os.File
	nc   *nats.Conn
	js   jetstream.JetStream
	log  *slog.Logger

	postsStream, resultsStream  string
	postsSubject, resultsPrefix string
}

// Open connects to the queue, starting the embedded server when cfg.URL is
// empty, and makes sure the streams exist.
func Open(ctx context.Context, cfg Config) (*Bus, error) {
	ns := cfg.Namespace
	if ns == "" {
		ns = "raqib"
	}
	b := &Bus{
		log:           cfg.Log,
		postsStream:   strings.ToUpper(ns) + "_POSTS",
		resultsStream: strings.ToUpper(ns) + "_RESULTS",
		postsSubject:  ns + ".posts.collected",
		resultsPrefix: ns + ".results.",
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if cfg.URL == "" {
		if err := b.startEmbedded(cfg); err != nil {
			return nil, err
		}
		b.nc, err = nats.Connect(b.srv.ClientURL(), nats.InProcessServer(b.srv), nats.Name("raqib"))
	} else {
		b.nc, err = nats.Connect(cfg.URL, nats.Name("raqib"), nats.MaxReconnects(-1))
	}
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("connect to nats: %w", err)
	}
	if b.js, err = jetstream.New(b.nc); err != nil {
		b.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	if err := b.ensureStreams(ctx); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

func (b *Bus) startEmbedded(cfg Config) error {
	dir := filepath.Join(cfg.Dir, "nats")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create queue directory: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return err
	}
	b.lock = lock
	opts := &server.Options{
		ServerName: "raqib-embedded",
		JetStream:  true,
		StoreDir:   dir,
		DontListen: true,
		NoSigs:     true,
		NoLog:      true,
		// Batches are up to a few MB of posts with their raw payloads.
		MaxPayload: 8 << 20,
	}
	if cfg.Listen != "" {
		host, port, err := splitHostPort(cfg.Listen)
		if err != nil {
			return fmt.Errorf("nats listen address %q: %w", cfg.Listen, err)
		}
		opts.DontListen, opts.Host, opts.Port = false, host, port
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("embedded nats: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return errors.New("embedded nats did not start within 30s")
	}
	b.srv = srv
	return nil
}

func splitHostPort(s string) (string, int, error) {
	i := bytes.LastIndexByte([]byte(s), ':')
	if i < 0 {
		return "", 0, errors.New("want host:port")
	}
	port, err := strconv.Atoi(s[i+1:])
	if err != nil || port <= 0 || port > 65535 {
		return "", 0, errors.New("bad port")
	}
	host := s[:i]
	if host == "" {
		host = "127.0.0.1"
	}
	return host, port, nil
}

func (b *Bus) ensureStreams(ctx context.Context) error {
	if _, err := b.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:      b.postsStream,
		Subjects:  []string{b.postsSubject},
		Retention: jetstream.WorkQueuePolicy,
		Storage:   jetstream.FileStorage,
		// Dedupe re-published batches of a resumed import within the window;
		// the store's idempotent save covers anything older.
		Duplicates: 10 * time.Minute,
	}); err != nil {
		return fmt.Errorf("create stream %s: %w", b.postsStream, err)
	}
	if _, err := b.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:     b.resultsStream,
		Subjects: []string{b.resultsPrefix + ">"},
		Storage:  jetstream.FileStorage,
		MaxAge:   7 * 24 * time.Hour,
	}); err != nil {
		return fmt.Errorf("create stream %s: %w", b.resultsStream, err)
	}
	return nil
}

// Close drains the connection and stops the embedded server.
func (b *Bus) Close() {
	if b.nc != nil {
		b.nc.Drain()
		for b.nc.IsDraining() {
			time.Sleep(5 * time.Millisecond)
		}
		b.nc.Close()
	}
	if b.srv != nil {
		b.srv.Shutdown()
		b.srv.WaitForShutdown()
	}
	if b.lock != nil {
		unlockDir(b.lock)
	}
}

// Embedded reports whether the server runs inside this process.
func (b *Bus) Embedded() bool { return b.srv != nil }

// Result is what a worker reports after committing one batch.
type Result struct {
	Run    string       `json:"run"`
	Seq    int          `json:"seq"`
	Posts  int          `json:"posts"`
	Counts store.Counts `json:"counts"`
	Err    string       `json:"err,omitempty"` // the batch was given up after repeated failures
}

// EncodeBatch is the wire form of a batch of posts on the work queue.
func EncodeBatch(ps []post.Post) ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(ps); err != nil {
		return nil, fmt.Errorf("encode batch: %w", err)
	}
	return buf.Bytes(), nil
}

// DecodeBatch reverses EncodeBatch.
func DecodeBatch(data []byte) ([]post.Post, error) {
	var ps []post.Post
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&ps); err != nil {
		return nil, fmt.Errorf("decode batch: %w", err)
	}
	return ps, nil
}

// Publisher sends batches of one import run. Publishing is asynchronous; Wait
// returns once JetStream has stored every batch (from then on nothing is lost
// even if this process dies).
type Publisher struct {
	b   *Bus
	run string
	seq int
}

// NewPublisher starts an import run with the given id; results of the run's
// batches are published under that id.
func (b *Bus) NewPublisher(run string) *Publisher { return &Publisher{b: b, run: run} }

// Publish queues one batch and returns its sequence number within the run.
func (p *Publisher) Publish(ctx context.Context, ps []post.Post) (int, error) {
	data, err := EncodeBatch(ps)
	if err != nil {
		return 0, err
	}
	p.seq++
	msg := nats.NewMsg(p.b.postsSubject)
	msg.Data = data
	msg.Header.Set(headerRun, p.run)
	msg.Header.Set(headerSeq, strconv.Itoa(p.seq))
	msg.Header.Set(jetstream.MsgIDHeader, p.run+"/"+strconv.Itoa(p.seq))
	for {
		_, err = p.b.js.PublishMsgAsync(msg)
		if !errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
			break
		}
		// Back-pressure: let acknowledgements catch up.
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-p.b.js.PublishAsyncComplete():
		case <-time.After(50 * time.Millisecond):
		}
	}
	if err != nil {
		return 0, fmt.Errorf("publish batch %d: %w", p.seq, err)
	}
	return p.seq, nil
}

// Wait blocks until every published batch was stored by JetStream.
func (p *Publisher) Wait(ctx context.Context) error {
	select {
	case <-p.b.js.PublishAsyncComplete():
	case <-ctx.Done():
		return ctx.Err()
	}
	if n := p.b.js.PublishAsyncPending(); n > 0 {
		return fmt.Errorf("%d batches not acknowledged by nats", n)
	}
	return nil
}

// Results subscribes to the results of one run. Subscribe before publishing
// so that no result is missed.
func (b *Bus) Results(run string) (<-chan Result, func(), error) {
	ch := make(chan Result, 256)
	sub, err := b.nc.Subscribe(b.resultsPrefix+run, func(m *nats.Msg) {
		var r Result
		if err := json.Unmarshal(m.Data, &r); err != nil {
			b.log.Warn("bad result message", "err", err)
			return
		}
		ch <- r
	})
	if err != nil {
		return nil, nil, fmt.Errorf("subscribe to results: %w", err)
	}
	return ch, func() { sub.Unsubscribe() }, nil
}

// Handler processes one batch; it must have committed the posts when it
// returns nil.
type Handler func(ctx context.Context, ps []post.Post) (store.Counts, error)

// Work consumes batches with handler until ctx ends, using n concurrent
// fetch loops. A batch is acknowledged only after handler returned nil; a
// failed batch is redelivered, and reported as failed after maxDeliver tries.
func (b *Bus) Work(ctx context.Context, n int, handler Handler) error {
	stream, err := b.js.Stream(ctx, b.postsStream)
	if err != nil {
		return fmt.Errorf("open stream: %w", err)
	}
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       workerConsumer,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       2 * time.Minute,
		MaxDeliver:    maxDeliver,
		MaxAckPending: 64,
	})
	if err != nil {
		return fmt.Errorf("create consumer: %w", err)
	}
	errc := make(chan error, n)
	for range max(n, 1) {
		go func() { errc <- b.workLoop(ctx, cons, handler) }()
	}
	var first error
	for range max(n, 1) {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (b *Bus) workLoop(ctx context.Context, cons jetstream.Consumer, handler Handler) error {
	for ctx.Err() == nil {
		batch, err := cons.Fetch(4, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			b.log.Warn("fetch from queue", "err", err)
			time.Sleep(time.Second)
			continue
		}
		for msg := range batch.Messages() {
			b.handle(ctx, msg, handler)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && ctx.Err() == nil {
			b.log.Warn("fetch from queue", "err", err)
		}
	}
	return nil
}

func (b *Bus) handle(ctx context.Context, msg jetstream.Msg, handler Handler) {
	res := Result{Run: msg.Headers().Get(headerRun)}
	res.Seq, _ = strconv.Atoi(msg.Headers().Get(headerSeq))
	ps, err := DecodeBatch(msg.Data())
	if err != nil {
		// A batch that cannot be decoded never will be: report and drop it.
		res.Err = err.Error()
		b.log.Error("dropping undecodable batch", "run", res.Run, "seq", res.Seq, "err", err)
		b.report(res)
		msg.Term()
		return
	}
	res.Posts = len(ps)
	res.Counts, err = handler(ctx, ps)
	if err != nil {
		meta, merr := msg.Metadata()
		if merr == nil && meta.NumDelivered >= maxDeliver {
			res.Err = err.Error()
			b.log.Error("giving up on batch", "run", res.Run, "seq", res.Seq, "tries", meta.NumDelivered, "err", err)
			b.report(res)
			msg.Term()
			return
		}
		b.log.Warn("batch failed, will retry", "run", res.Run, "seq", res.Seq, "err", err)
		msg.NakWithDelay(time.Second)
		return
	}
	// Report before acknowledging: a crash in between redelivers the batch,
	// whose second save is a harmless duplicate.
	b.report(res)
	// The batch is stored: acknowledge it even when the worker is being
	// stopped, or it would be delivered (harmlessly, but needlessly) again.
	ackCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := msg.DoubleAck(ackCtx); err != nil {
		b.log.Warn("ack batch", "run", res.Run, "seq", res.Seq, "err", err)
	}
}

func (b *Bus) report(r Result) {
	if r.Run == "" {
		r.Run = "unknown"
	}
	data, err := json.Marshal(r)
	if err != nil {
		return
	}
	if _, err := b.js.PublishAsync(b.resultsPrefix+r.Run, data); err != nil {
		b.log.Warn("publish result", "run", r.Run, "err", err)
	}
}
