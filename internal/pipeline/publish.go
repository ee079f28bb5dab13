package pipeline

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// Result is what a worker reports after committing one message's batch.
type Result struct {
	Run    string       `json:"run"`
	Seq    int          `json:"seq"`
	Posts  int          `json:"posts"`
	Counts store.Counts `json:"counts"`
	Err    string       `json:"err,omitempty"` // the batch was given up: not stored
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
	// pending are the messages JetStream has not confirmed yet; refused
	// counts those it refused (they bring no result), err is the first
	// refusal.
	pending []jetstream.PubAckFuture
	refused int
	err     error
}

// NewPublisher starts an import run with the given id; results of the run's
// batches are published under that id.
func (b *Bus) NewPublisher(run string) *Publisher { return &Publisher{b: b, run: run} }

// Publish queues ps and returns how many messages it took, one result
// coming back for each. A batch whose encoded form does not fit the
// server's message size limit is split; a single post that does not fit
// goes to the object store, the message carrying its name. On error, the
// count says how many messages were queued before it.
func (p *Publisher) Publish(ctx context.Context, ps []post.Post) (int, error) {
	if len(ps) == 0 {
		return 0, nil
	}
	data, err := EncodeBatch(ps)
	if err != nil {
		return 0, err
	}
	if len(data) <= p.b.limit {
		return 1, p.send(ctx, data, "")
	}
	if len(ps) == 1 {
		return 1, p.sendObject(ctx, data)
	}
	// Posts vary in size: split by count into the parts the size calls for
	// and split again any part that still does not fit.
	parts := min(len(ps), len(data)/p.b.limit+1)
	sent := 0
	for i := range parts {
		n, err := p.Publish(ctx, ps[i*len(ps)/parts:(i+1)*len(ps)/parts])
		sent += n
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// sendObject stores data in the object store under the next message's id
// and queues a message naming it.
func (p *Publisher) sendObject(ctx context.Context, data []byte) error {
	name := p.run + "/" + strconv.Itoa(p.seq+1)
	if _, err := p.b.objects.PutBytes(ctx, name, data); err != nil {
		return fmt.Errorf("store batch %d of %d bytes in the object store: %w", p.seq+1, len(data), err)
	}
	return p.send(ctx, nil, name)
}

func (p *Publisher) send(ctx context.Context, data []byte, object string) error {
	p.seq++
	msg := nats.NewMsg(p.b.postsSubject)
	msg.Data = data
	msg.Header.Set(headerRun, p.run)
	msg.Header.Set(headerSeq, strconv.Itoa(p.seq))
	msg.Header.Set(jetstream.MsgIDHeader, p.run+"/"+strconv.Itoa(p.seq))
	if object != "" {
		msg.Header.Set(headerObject, object)
	}
	for {
		f, err := p.b.js.PublishMsgAsync(msg)
		if err == nil {
			p.pending = append(p.pending, f)
			p.collect()
			return nil
		}
		if !errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
			return fmt.Errorf("publish batch %d: %w", p.seq, err)
		}
		// Back-pressure: let acknowledgements catch up.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.b.js.PublishAsyncComplete():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// collect forgets the messages JetStream confirmed and counts those it
// refused (a full disk, a lost server).
func (p *Publisher) collect() {
	keep := p.pending[:0]
	for _, f := range p.pending {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			p.refused++
			if p.err == nil {
				p.err = fmt.Errorf("publish batch %s: %w", f.Msg().Header.Get(headerSeq), err)
			}
		default:
			keep = append(keep, f)
		}
	}
	p.pending = keep
}

// Refused returns how many published messages JetStream refused, so that
// no result will come for them, and the first refusal's error.
func (p *Publisher) Refused() (int, error) {
	p.collect()
	return p.refused, p.err
}

// Wait blocks until JetStream confirmed or refused every published batch,
// and returns the first refusal.
func (p *Publisher) Wait(ctx context.Context) error {
	select {
	case <-p.b.js.PublishAsyncComplete():
	case <-ctx.Done():
		return ctx.Err()
	}
	_, err := p.Refused()
	return err
}

// Results subscribes to the results of one run until stop is called.
// Subscribe before publishing so that no result is missed. The run's
// consumer reads each result once, which removes it from the stream; if
// this process dies, the server drops the consumer and its results soon
// after.
func (b *Bus) Results(ctx context.Context, run string) (results <-chan Result, stop func(), err error) {
	cons, err := b.js.OrderedConsumer(ctx, b.resultsStream, jetstream.OrderedConsumerConfig{
		FilterSubjects:    []string{b.resultsPrefix + run},
		InactiveThreshold: time.Minute,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("subscribe to results: %w", err)
	}
	ch := make(chan Result, 256)
	done := make(chan struct{})
	cc, err := cons.Consume(func(m jetstream.Msg) {
		var r Result
		if err := json.Unmarshal(m.Data(), &r); err != nil {
			b.log.Warn("bad result message", "err", err)
			return
		}
		select {
		case ch <- r:
		case <-done:
		}
	})
	if err != nil {
		return nil, nil, fmt.Errorf("subscribe to results: %w", err)
	}
	return ch, func() { close(done); cc.Stop() }, nil
}
