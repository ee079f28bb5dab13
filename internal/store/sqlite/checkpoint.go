package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// checkpointer copies the WAL back into the database file on a connection
// of its own, so that the writer never does it inline: in a million-post
// import the inline checkpoints took 8% of the writer's time, time during
// which no batch could commit, while the other CPU was often idle.
//
// A checkpoint that runs beside the writer cannot let the WAL start over
// (new frames keep arriving), so after copying the bulk it takes the
// writer's lock for the few frames committed meanwhile; the next write then
// reuses the WAL from its start instead of growing the file.
type checkpointer struct {
	db    *sql.DB
	mu    *sync.Mutex // the store's writer lock
	kick  chan struct{}
	done  chan struct{}
	every time.Duration
	wg    sync.WaitGroup
}

// checkpointEvery is how often the WAL is folded back while writes go on:
// at 25,000 posts/s that is about 100 MB of WAL, the same order as the
// 16384-page autocheckpoint it replaces, so pages that many commits rewrite
// (index leaves, accounts) are copied once per interval, not per commit.
const checkpointEvery = 2 * time.Second

func startCheckpointer(db *sql.DB, mu *sync.Mutex, every time.Duration) *checkpointer {
	c := &checkpointer{db: db, mu: mu, kick: make(chan struct{}, 1), done: make(chan struct{}), every: every}
	if every > 0 {
		c.wg.Add(1)
		go c.run()
	}
	return c
}

// committed tells the checkpointer that the WAL grew.
func (c *checkpointer) committed() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer c.wg.Done()
	for {
		select {
		case <-c.done:
			return
		case <-c.kick:
		}
		c.checkpoint()
		// Wait out the interval; commits during it leave one kick behind.
		select {
		case <-c.done:
			return
		case <-time.After(c.every):
		}
	}
}

// checkpoint copies committed frames without blocking the writer, then the
// rest with it blocked. Errors are left for the next round: a failed
// checkpoint loses nothing, the frames stay in the WAL.
func (c *checkpointer) checkpoint() {
	ctx := context.Background()
	c.db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
	c.mu.Lock()
	c.db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
	c.mu.Unlock()
}

// stop ends the loop and checkpoints what is left.
func (c *checkpointer) stop() {
	close(c.done)
	c.wg.Wait()
	c.mu.Lock()
	c.db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)")
	c.mu.Unlock()
}
