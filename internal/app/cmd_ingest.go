package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/raqib-project/raqib/internal/ingest"
	"github.com/raqib-project/raqib/internal/pipeline"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
	"github.com/raqib-project/raqib/internal/store"
)

// maxShownRejections bounds how many skipped records are printed one by
// one; the summary always has the full count.
const maxShownRejections = 50

// maxInFlight is how many batches an import keeps queued ahead of the
// workers: enough to keep every worker busy, few enough to bound memory.
const maxInFlight = 32

func runIngest(ctx context.Context, c *Config) error {
	if len(c.Args) == 0 {
		return fmt.Errorf("%w: ingest needs at least one FILE or DIR (or - for stdin)", ErrUsage)
	}
	s, err := openSystem(ctx, c)
	if err != nil {
		return err
	}
	defer s.close()
	rep, err := s.importFiles(ctx, c.Args, c.Stdin)
	if err != nil {
		return err
	}
	rep.print(c.Stdout)
	return nil
}

// report is the outcome of one import run.
type report struct {
	ingest.Summary
	store.Counts
	Failed   int           // batches workers gave up on
	Duration time.Duration // from the first byte read to the last batch committed
}

func (r report) print(w io.Writer) {
	fmt.Fprintf(w, "read %d records from %d files in %s: %d imported, %d duplicates, %d edited, %d rejected; %d cases opened (%.0f posts/s)\n",
		r.Posts+r.Rejected, r.Files, r.Duration.Round(time.Millisecond), r.Inserted, r.Duplicates, r.Edited, r.Rejected, r.Cases,
		float64(r.Posts)/max(r.Duration.Seconds(), 1e-9))
	if r.Images > 0 || r.Videos > 0 || r.Warnings > 0 {
		fmt.Fprintf(w, "%d images perceptually hashed, %d videos; %d warnings\n", r.Images, r.Videos, r.Warnings)
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(w, "skipped %d files of no known format (media files of an export are expected here)\n", len(r.Skipped))
	}
	if r.Failed > 0 {
		fmt.Fprintf(w, "%d batches failed and were not stored: see the log; re-run the import to retry them\n", r.Failed)
	}
}

// importFiles publishes everything in paths to the queue and waits until the
// workers committed it. With the embedded queue the workers run here; with an
// external one they are `raqib worker` or `raqib serve` processes.
func (s *system) importFiles(ctx context.Context, paths []string, stdin io.Reader) (report, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if s.bus.Embedded() {
		go s.work(ctx)
	} else {
		s.log.Info("publishing to external NATS; waiting for `raqib worker` or `raqib serve` processes to store the posts")
	}
	run := newRunID()
	results, stop, err := s.bus.Results(run)
	if err != nil {
		return report{}, err
	}
	defer stop()

	start := time.Now()
	pub := s.bus.NewPublisher(run)
	var (
		rep       report
		published int
		shown     int
		// inFlight bounds the batches published but not yet stored, so that
		// a fast reader cannot pile the whole import up in the queue.
		inFlight = make(chan struct{}, maxInFlight)
	)
	// receive counts a stored batch's result, read while the import still
	// publishes, and frees its in-flight slot.
	received := 0
	receive := func(r pipeline.Result) {
		rep.Counts.Add(r.Counts)
		if r.Err != "" {
			rep.Failed++
		}
		received++
		<-inFlight
	}
	opts := ingest.Options{
		Format:    s.cfg.Format,
		Batch:     s.cfg.Batch,
		MediaDir:  s.mediaDir(),
		MaxPixels: s.cfg.MaxPixels,
		Publish: func(ctx context.Context, ps []post.Post) error {
			for {
				select {
				case inFlight <- struct{}{}:
					if _, err := pub.Publish(ctx, ps); err != nil {
						return err
					}
					published++
					return nil
				case r := <-results:
					receive(r)
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		},
		Reject: func(r source.Rejection) {
			shown++
			if shown <= maxShownRejections {
				fmt.Fprintf(s.cfg.Stderr, "rejected %s\n", r.Error())
			}
		},
		Warn: func(w source.Rejection) {
			fmt.Fprintf(s.cfg.Stderr, "warning %s\n", w.Error())
		},
		Progress: s.progressWriter(),
		Source:   s.store.SaveSource,
	}
	sum, err := ingest.Run(ctx, opts, paths, stdin)
	if shown > maxShownRejections {
		fmt.Fprintf(s.cfg.Stderr, "(%d more rejected records not shown)\n", shown-maxShownRejections)
	}
	// Whatever was published before an error is stored all the same: wait
	// for it, then report the error.
	if werr := pub.Wait(ctx); werr != nil && err == nil {
		err = fmt.Errorf("queue: %w", werr)
	}
	for received < published {
		select {
		case r := <-results:
			receive(r)
		case <-ctx.Done():
			return rep, fmt.Errorf("waiting for workers: %d of %d batches stored: %w", received, published, ctx.Err())
		}
	}
	rep.Summary = sum
	rep.Duration = time.Since(start)
	if err != nil {
		return rep, err
	}
	if rep.Failed > 0 {
		return rep, fmt.Errorf("%d of %d batches failed", rep.Failed, published)
	}
	return rep, nil
}

func (s *system) progressWriter() io.Writer {
	switch s.cfg.Progress {
	case "always":
		return s.cfg.Stderr
	case "auto":
		if f, ok := s.cfg.Stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			return f
		}
	}
	return nil
}

func runWorker(ctx context.Context, c *Config) error {
	s, err := openSystem(ctx, c)
	if err != nil {
		return err
	}
	defer s.close()
	if s.bus.Embedded() && c.NATSListen == "" {
		s.log.Warn("worker runs on its own embedded queue: nothing can publish to it; use --nats to join a server")
	}
	s.log.Info("worker started", "workers", c.Workers)
	err = s.work(ctx)
	if errors.Is(ctx.Err(), context.Canceled) {
		return nil
	}
	return errors.Join(err, ctx.Err())
}
