// Package pipeline moves posts from collection to storage through NATS
// JetStream: importers publish batches of collected posts to a durable work
// queue, workers consume them, enrich and detect, commit them to the store
// and only then acknowledge. By default the NATS server runs inside the
// process; with a URL the very same code talks to an external NATS cluster,
// so any number of `raqib worker` processes can share the work. A process
// that finds the data directory's embedded server owned by a running
// `raqib serve` joins that server instead (see Config.Share).
package pipeline

import (
	"bytes"
	"context"
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
)

// Header names and limits. Collected posts go to a work-queue stream (a
// message is deleted once a worker acknowledged or terminated it); results
// go to an interest stream, kept only until the importer waiting for them
// read them.
const (
	workerConsumer = "workers"
	headerRun      = "Raqib-Run"
	headerSeq      = "Raqib-Seq"
	// headerObject names the object holding a batch too large for one
	// message.
	headerObject = "Raqib-Object"
	// maxDeliver bounds redelivery of a batch that keeps failing, so that a
	// poison batch is reported instead of looping forever.
	maxDeliver = 5
	// defaultAckWait is how long a batch may go without a sign of life from
	// its worker before it is redelivered; workers report progress while
	// they work, so only a dead worker's batches wait this long.
	defaultAckWait = 30 * time.Second
	// objectTTL bounds how long an object of a batch nobody consumed (its
	// importer died between storing it and publishing the reference) stays.
	objectTTL = 7 * 24 * time.Hour
	// embeddedMaxPayload is the embedded server's message size limit; an
	// external server's own limit (1 MiB by default) is read from it.
	embeddedMaxPayload = 8 << 20
)

// ErrDataDirInUse means another raqib process runs the embedded NATS server
// on the same data directory and does not share it.
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
	// Share lets other raqib processes on the same data directory use this
	// process's embedded server: it listens on a random port of 127.0.0.1
	// with a random token (or on Listen), written to a file only the user
	// can read. Long-running commands (serve, worker) share.
	Share bool
	// Namespace prefixes stream and subject names, so that several raqib
	// installations (or test runs) can share one NATS cluster. Default raqib.
	Namespace string
	Log       *slog.Logger
}

// Bus is a connection to the queue.
type Bus struct {
	srv     *server.Server // nil with an external or joined server
	lock    *os.File
	share   string // the share file this process wrote, removed on Close
	joined  bool   // connected to the embedded server of another process
	nc      *nats.Conn
	js      jetstream.JetStream
	objects jetstream.ObjectStore
	log     *slog.Logger
	// limit is the largest encoded batch sent as one message.
	limit   int
	ackWait time.Duration

	postsStream, resultsStream  string
	postsSubject, resultsPrefix string
	objectBucket                string
}

// Open connects to the queue, starting the embedded server when cfg.URL is
// empty (or joining the one another process shares on cfg.Dir), and makes
// sure the streams exist.
func Open(ctx context.Context, cfg Config) (*Bus, error) {
	ns := cfg.Namespace
	if ns == "" {
		ns = "raqib"
	}
	up := strings.ToUpper(ns)
	b := &Bus{
		log:           cfg.Log,
		ackWait:       defaultAckWait,
		postsStream:   up + "_POSTS",
		resultsStream: up + "_RESULTS",
		objectBucket:  up + "_BATCHES",
		postsSubject:  ns + ".posts.collected",
		resultsPrefix: ns + ".results.",
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	var err error
	switch {
	case cfg.URL != "":
		b.nc, err = nats.Connect(cfg.URL, nats.Name("raqib"), nats.MaxReconnects(-1))
	default:
		b.nc, err = b.openEmbedded(cfg)
	}
	if err != nil {
		b.Close()
		return nil, err
	}
	// Leave room for headers and for the server's own framing.
	b.limit = int(b.nc.MaxPayload() - b.nc.MaxPayload()/16)
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

// openEmbedded starts the embedded server, or joins the one another
// process shares on the same data directory.
func (b *Bus) openEmbedded(cfg Config) (*nats.Conn, error) {
	dir := filepath.Join(cfg.Dir, "nats")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create queue directory: %w", err)
	}
	lock, err := lockDir(dir)
	if errors.Is(err, ErrDataDirInUse) {
		nc, jerr := joinShared(dir)
		if jerr != nil {
			return nil, fmt.Errorf("%w (stop it, share it by running `raqib serve` there, or point both at one NATS server with --nats): %w", err, jerr)
		}
		b.joined = true
		b.log.Info("joined the queue of the raqib process running on the data directory", "dir", cfg.Dir)
		return nc, nil
	}
	if err != nil {
		return nil, err
	}
	b.lock = lock
	// A share file left by a killed owner points nowhere.
	os.Remove(filepath.Join(dir, shareFile))
	token := ""
	if cfg.Share && cfg.Listen == "" {
		if token, err = newToken(); err != nil {
			return nil, err
		}
	}
	if err := b.startEmbedded(cfg, dir, token); err != nil {
		return nil, err
	}
	opts := []nats.Option{nats.InProcessServer(b.srv), nats.Name("raqib")}
	if token != "" {
		opts = append(opts, nats.Token(token))
	}
	nc, err := nats.Connect(b.srv.ClientURL(), opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to nats: %w", err)
	}
	if cfg.Share {
		if b.share, err = writeShare(dir, b.srv, token); err != nil {
			nc.Close()
			return nil, err
		}
	}
	return nc, nil
}

func (b *Bus) startEmbedded(cfg Config, dir, token string) error {
	opts := &server.Options{
		ServerName:    "raqib-embedded",
		JetStream:     true,
		StoreDir:      dir,
		DontListen:    true,
		NoSigs:        true,
		NoLog:         true,
		MaxPayload:    embeddedMaxPayload,
		Authorization: token,
	}
	switch {
	case cfg.Listen != "":
		host, port, err := splitHostPort(cfg.Listen)
		if err != nil {
			return fmt.Errorf("nats listen address %q: %w", cfg.Listen, err)
		}
		opts.DontListen, opts.Host, opts.Port = false, host, port
	case cfg.Share:
		// Only this machine's processes, on a port the kernel picks (never
		// 4222), and only with the token.
		opts.DontListen, opts.Host, opts.Port = false, "127.0.0.1", server.RANDOM_PORT
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
	// A result is for the importer of its run alone, which reads it through
	// its own consumer: with interest retention it is removed once read, and
	// a result nobody waits for (its importer died) is not kept at all.
	// Results streams of earlier versions kept everything for a week; the
	// retention of a stream cannot change, and results matter only to
	// running imports: replace them.
	if st, err := b.js.Stream(ctx, b.resultsStream); err == nil && st.CachedInfo().Config.Retention != jetstream.InterestPolicy {
		b.log.Info("replacing the results stream of an earlier version", "stream", b.resultsStream)
		if err := b.js.DeleteStream(ctx, b.resultsStream); err != nil {
			return fmt.Errorf("replace stream %s: %w", b.resultsStream, err)
		}
	}
	if _, err := b.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:      b.resultsStream,
		Subjects:  []string{b.resultsPrefix + ">"},
		Retention: jetstream.InterestPolicy,
		Storage:   jetstream.FileStorage,
		MaxAge:    7 * 24 * time.Hour,
	}); err != nil {
		return fmt.Errorf("create stream %s: %w", b.resultsStream, err)
	}
	var err error
	if b.objects, err = b.js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      b.objectBucket,
		Description: "raqib batches too large for one message",
		Storage:     jetstream.FileStorage,
		TTL:         objectTTL,
	}); err != nil {
		return fmt.Errorf("create object store %s: %w", b.objectBucket, err)
	}
	return nil
}

// Close drains the connection and stops the embedded server.
func (b *Bus) Close() {
	if b.share != "" {
		os.Remove(b.share)
	}
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

// Embedded reports whether the server runs inside this process, so that
// this process must run the workers of what it publishes.
func (b *Bus) Embedded() bool { return b.srv != nil }

// Joined reports whether this process uses the embedded server of another
// raqib process on the same data directory.
func (b *Bus) Joined() bool { return b.joined }
