package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
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
	// Files that failed do not stop the others: what was imported is
	// reported, then the error.
	if err == nil || errors.Is(err, ingest.ErrFilesFailed) {
		rep.print(c.Stdout)
	}
	return err
}

// maxShownFiles bounds how many skipped or failed files the report names.
const maxShownFiles = 5

// someFiles names the first few of files and counts the rest.
func someFiles(files []string) string {
	shown := files[:min(len(files), maxShownFiles)]
	s := strings.Join(shown, ", ")
	if n := len(files) - len(shown); n > 0 {
		s += fmt.Sprintf(" and %d more", n)
	}
	return s
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
		fmt.Fprintf(w, "skipped %d files of no known format (media files of an export are expected here; --format reads them as one): %s\n",
			len(r.Skipped), someFiles(r.Skipped))
	}
	for i, f := range r.FailedFiles {
		if i == maxShownFiles {
			fmt.Fprintf(w, "and %d more failed files\n", len(r.FailedFiles)-i)
			break
		}
		fmt.Fprintf(w, "failed: %s\n", f)
	}
	if r.Failed > 0 {
		fmt.Fprintf(w, "%d batches failed and were not stored: see the log; re-run the import to retry them\n", r.Failed)
	}
}

// importFiles publishes everything in paths to the queue and waits until the
// workers committed it. With the embedded queue the workers run here; with an
// external one (or the queue of a `raqib serve` on the same data directory)
// they run in those processes. The first batch the workers give up on stops
// the import: the rest would most likely fail the same way (a full disk).
func (s *system) importFiles(ctx context.Context, paths []string, stdin io.Reader) (report, error) {
	workCtx, stopWork := context.WithCancel(ctx)
	defer stopWork()
	switch {
	case s.bus.Embedded():
		go s.work(workCtx)
	case s.bus.Joined():
		s.log.Info("handing the batches to the raqib process running on the data directory")
	default:
		s.log.Info("publishing to external NATS; waiting for `raqib worker` or `raqib serve` processes to store the posts")
	}
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	run := newRunID()
	results, stop, err := s.bus.Results(ctx, run)
	if err != nil {
		return report{}, err
	}
	defer stop()

	start := time.Now()
	pub := s.bus.NewPublisher(run)
	aud := newCLIAuditor(s.store)
	var (
		rep       report
		published int // queue messages; each brings back one result
		shown     int
		failure   error
		// seen holds the sequence numbers of the results received: a batch
		// redelivered after its worker died may report twice.
		seen = map[int]bool{}
	)
	receive := func(r pipeline.Result) {
		if seen[r.Seq] {
			return
		}
		seen[r.Seq] = true
		rep.Counts.Add(r.Counts)
		if r.Err != "" {
			rep.Failed++
			if failure == nil {
				failure = fmt.Errorf("batch %d (%d posts) was not stored: %s", r.Seq, r.Posts, r.Err)
				stopReading()
			}
		}
	}
	opts := ingest.Options{
		Format:      s.cfg.Format,
		Batch:       s.cfg.Batch,
		MaxRecord:   s.cfg.MaxRecord,
		MaxUnpacked: s.cfg.MaxUnpacked,
		MediaDir:    s.mediaDir(),
		MaxPixels:   s.cfg.MaxPixels,
		Publish: func(ctx context.Context, ps []post.Post) error {
			// Bound the batches published but not yet stored, so that a
			// fast reader cannot pile the whole import up in the queue; and
			// read the results that came in, to stop at the first failure.
			for drained := false; !drained; {
				select {
				case r := <-results:
					receive(r)
				default:
					drained = true
				}
			}
			for failure == nil {
				refused, err := pub.Refused()
				if err != nil {
					failure = err
					break
				}
				if published-refused-len(seen) < maxInFlight {
					break
				}
				select {
				case r := <-results:
					receive(r)
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(100 * time.Millisecond): // a refusal brings no result
				}
			}
			if failure != nil {
				return failure
			}
			n, err := pub.Publish(ctx, ps)
			published += n
			return err
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
		Source: func(ctx context.Context, src post.Source) error {
			if err := s.store.SaveSource(ctx, src); err != nil {
				return err
			}
			return aud.record(ctx, "ingest.run", src.ID, nil, map[string]any{
				"format": src.Format, "location": src.Location, "read": src.Read, "rejected": src.Rejected,
			})
		},
	}
	sum, err := ingest.Run(readCtx, opts, paths, stdin)
	if shown > maxShownRejections {
		fmt.Fprintf(s.cfg.Stderr, "(%d more rejected records not shown)\n", shown-maxShownRejections)
	}
	// Whatever was published before an error is stored all the same: wait
	// for it, then report the error.
	if werr := pub.Wait(ctx); werr != nil && failure == nil {
		failure = fmt.Errorf("queue: %w", werr)
	}
	for refused, _ := pub.Refused(); len(seen) < published-refused; refused, _ = pub.Refused() {
		select {
		case r := <-results:
			receive(r)
		case <-ctx.Done():
			return rep, fmt.Errorf("waiting for workers: %d of %d batches stored: %w", len(seen), published, ctx.Err())
		}
	}
	refused, _ := pub.Refused()
	rep.Failed += refused
	rep.Summary = sum
	rep.Duration = time.Since(start)
	if failure != nil {
		return rep, fmt.Errorf("%w; import stopped: %d of %d batches failed (posts of the others are stored; re-run the import once the cause is fixed)", failure, rep.Failed, published)
	}
	if err != nil {
		return rep, err
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
	c.shareQueue = true
	s, err := openSystem(ctx, c)
	if err != nil {
		return err
	}
	defer s.close()
	if s.bus.Embedded() {
		s.log.Info("worker runs the embedded queue of its data directory: `raqib ingest` there hands its batches to it")
	}
	// Before the workers start: they hand it every committed batch.
	if err := s.fetchAvatars(ctx); err != nil {
		return err
	}
	if _, err := s.startCollector(ctx); err != nil {
		return err
	}
	s.log.Info("worker started", "workers", c.Workers, "collect", c.Collect)
	go s.checkLiveness(ctx)
	sctx, stop := context.WithCancel(ctx)
	sending := make(chan struct{})
	go func() { s.sendReferrals(sctx); close(sending) }()
	err = s.work(ctx)
	stop()
	<-sending // a send in flight is recorded before the store closes
	if errors.Is(ctx.Err(), context.Canceled) {
		return nil
	}
	return errors.Join(err, ctx.Err())
}
