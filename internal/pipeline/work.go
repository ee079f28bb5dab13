package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// ErrPermanent marks (wrapped) a handler error that retrying cannot cure:
// the batch is reported as failed at once instead of being redelivered.
var ErrPermanent = errors.New("permanent failure")

// Permanent reports whether err is a failure that redelivering the batch
// would only repeat: ErrPermanent, a full disk, or a store that refuses the
// data itself. The stores' driver errors are recognised by their methods,
// so that this package depends on no store.
func Permanent(err error) bool {
	if errors.Is(err, ErrPermanent) || errors.Is(err, store.ErrBadPost) || errors.Is(err, syscall.ENOSPC) {
		return true
	}
	// SQLite (modernc.org/sqlite): the primary result code is the low byte.
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		switch coded.Code() & 0xff {
		case 11, 13, 18, 26: // SQLITE_CORRUPT, SQLITE_FULL, SQLITE_TOOBIG, SQLITE_NOTADB
			return true
		}
	}
	// PostgreSQL (pgx): class 22 is bad data, 53 insufficient resources
	// (disk full, out of memory, too many connections: 53300 clears).
	var pg interface{ SQLState() string }
	if errors.As(err, &pg) {
		st := pg.SQLState()
		return strings.HasPrefix(st, "22") || st == "53100" || st == "53200"
	}
	return false
}

// Handler processes one batch; it must have committed the posts when it
// returns nil.
type Handler func(ctx context.Context, ps []post.Post) (store.Counts, error)

// Work consumes batches with handler until ctx ends, using n concurrent
// fetch loops. A batch is acknowledged (and so removed from the queue) only
// after handler returned nil; a failed batch is redelivered, and reported as
// failed after maxDeliver tries, or at once when the failure is Permanent.
func (b *Bus) Work(ctx context.Context, n int, handler Handler) error {
	err := b.work(ctx, n, handler)
	if ctx.Err() != nil {
		// Stopped while setting up: a shutdown, not a failure.
		return nil
	}
	return err
}

func (b *Bus) work(ctx context.Context, n int, handler Handler) error {
	stream, err := b.js.Stream(ctx, b.postsStream)
	if err != nil {
		return fmt.Errorf("open stream: %w", err)
	}
	if b.Embedded() {
		// Only this process uses the embedded server: batches still pending
		// were delivered to a process that died. Recreating the consumer
		// hands them out again now instead of after their ack wait, which
		// an import shorter than it would never see.
		if err := stream.DeleteConsumer(ctx, workerConsumer); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
			return fmt.Errorf("reset consumer: %w", err)
		}
	}
	cons, err := stream.CreateOrUpdateConsumer(ctx, b.consumerConfig())
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

// consumerConfig is the workers' shared durable consumer.
func (b *Bus) consumerConfig() jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:   workerConsumer,
		AckPolicy: jetstream.AckExplicitPolicy,
		AckWait:   b.ackWait,
		// No server-side limit: a message past it would stay in the work
		// queue for ever. handle counts deliveries and terminates instead.
		MaxDeliver:    -1,
		MaxAckPending: 64,
	}
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
	object := msg.Headers().Get(headerObject)
	tries := 1
	if meta, err := msg.Metadata(); err == nil {
		tries = int(meta.NumDelivered)
	}
	if tries > maxDeliver {
		// Its workers died with it every time (killed, out of memory).
		b.giveUp(ctx, msg, res, object, fmt.Errorf("%w: delivered %d times without a worker finishing it", ErrPermanent, tries-1))
		return
	}
	data := msg.Data()
	if object != "" {
		var err error
		data, err = b.objects.GetBytes(ctx, object)
		if errors.Is(err, jetstream.ErrObjectNotFound) {
			// Objects are deleted only once their batch is stored: this is
			// the redelivery of a batch whose worker died before acking.
			b.ack(ctx, msg, res)
			return
		}
		if err != nil {
			b.log.Warn("read batch from object store, will retry", "run", res.Run, "seq", res.Seq, "err", err)
			msg.NakWithDelay(time.Second)
			return
		}
	}
	ps, err := DecodeBatch(data)
	if err != nil {
		// A batch that cannot be decoded never will be.
		b.giveUp(ctx, msg, res, object, err)
		return
	}
	res.Posts = len(ps)
	stopBeat := b.heartbeat(msg)
	res.Counts, err = handler(ctx, ps)
	stopBeat()
	if err != nil {
		if Permanent(err) || tries >= maxDeliver {
			b.giveUp(ctx, msg, res, object, err)
			return
		}
		b.log.Warn("batch failed, will retry", "run", res.Run, "seq", res.Seq, "err", err)
		msg.NakWithDelay(time.Second)
		return
	}
	// Report before acknowledging: a crash in between redelivers the batch,
	// whose second save is a harmless duplicate (and its importer counts
	// each sequence number once).
	b.report(res)
	b.deleteObject(ctx, object)
	b.ack(ctx, msg, res)
}

// heartbeat tells the server, while handler runs, that the batch is being
// worked on, so that a short ack wait redelivers only a dead worker's
// batches.
func (b *Bus) heartbeat(msg jetstream.Msg) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(b.ackWait / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				msg.InProgress()
			}
		}
	}()
	return func() { close(done) }
}

// giveUp reports the batch as not stored and removes it from the queue.
func (b *Bus) giveUp(ctx context.Context, msg jetstream.Msg, res Result, object string, err error) {
	res.Err = err.Error()
	b.log.Error("giving up on batch", "run", res.Run, "seq", res.Seq, "err", err)
	b.report(res)
	b.deleteObject(ctx, object)
	if err := msg.Term(); err != nil {
		b.log.Warn("terminate batch", "run", res.Run, "seq", res.Seq, "err", err)
	}
}

// ack acknowledges a finished batch even when the worker is being stopped,
// or it would be delivered (harmlessly, but needlessly) again.
func (b *Bus) ack(ctx context.Context, msg jetstream.Msg, res Result) {
	ackCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := msg.DoubleAck(ackCtx); err != nil {
		b.log.Warn("ack batch", "run", res.Run, "seq", res.Seq, "err", err)
	}
}

func (b *Bus) deleteObject(ctx context.Context, name string) {
	if name == "" {
		return
	}
	delCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := b.objects.Delete(delCtx, name); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		b.log.Warn("delete stored batch from the object store", "object", name, "err", err)
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
