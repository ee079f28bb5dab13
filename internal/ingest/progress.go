package ingest

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// bar draws a one-line progress bar (bytes read of all input, posts, rate)
// from a ticker, so that decoding never waits for the terminal.
type bar struct {
	w     io.Writer
	total int64
	start time.Time
	done  atomic.Int64
	posts atomic.Int64
	stop  chan struct{}
	wg    sync.WaitGroup
}

func newBar(w io.Writer, total int64) *bar {
	b := &bar{w: w, total: total, start: time.Now(), stop: make(chan struct{})}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				b.draw()
			case <-b.stop:
				return
			}
		}
	}()
	return b
}

func (b *bar) draw() {
	done, posts := b.done.Load(), b.posts.Load()
	frac := 1.0
	if b.total > 0 {
		frac = min(float64(done)/float64(b.total), 1)
	}
	const width = 30
	filled := int(frac * width)
	rate := float64(posts) / max(time.Since(b.start).Seconds(), 1e-3)
	fmt.Fprintf(b.w, "\r[%s%s] %3.0f%% %s/%s %d posts %.0f/s ",
		strings.Repeat("#", filled), strings.Repeat(" ", width-filled), frac*100,
		size(done), size(b.total), posts, rate)
}

func (b *bar) finish() {
	close(b.stop)
	b.wg.Wait()
	b.draw()
	fmt.Fprintln(b.w)
}

func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1fGB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1fMB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1fKB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}
