package scimx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// Consumer delivers the change feed of a [Store] (R17) to the app's
// function: every event at least once, in order per tenant, from a cursor
// the store keeps under Name, so that a restarted Consumer resumes where
// the last one stopped. An event whose Handle fails is retried, with
// exponential backoff and jitter, until Handle succeeds; the tenant's
// later events wait for it, and the other tenants go on. An event may be
// delivered again when the process stops between Handle's success and the
// cursor's write: Handle deduplicates by [FeedEvent.ID] or is idempotent.
//
// Run one Consumer of a Name at a time: two would deliver each event twice
// and out of order. Several Consumers of different names (a webhook and a
// search index) each get every event. A Consumer records its cursor in
// each tenant as it first sees the tenant, before delivering anything, so
// that no Consumer's Retention prunes an event that another has not yet
// passed; a cursor no Consumer runs under any more holds pruning back until
// it is moved past the newest event ([Tx.SetCursor]).
//
// A Consumer whose cursor is older than what was pruned, which happens
// only to a cursor new to a tenant whose feed another Consumer's
// Retention has pruned (or one set back by hand), cannot deliver the
// pruned events: it logs the gap at level Error ("scimx: consumer:
// events were pruned before this consumer's cursor", with the first and
// last Seq it cannot deliver; see [ErrPruned]) and delivers from the
// oldest kept event. An app that adds a Consumer to a pruned feed
// reconciles from the groups' current state ([Directory.Groups]) first,
// and gives the Consumer a Logger.
type Consumer struct {
	// Store holds the feed and the cursor.
	Store Store
	// Name names the cursor; required.
	Name string
	// Tenants returns the tenants whose feeds to deliver; it is called on
	// every round, so tenants may come and go. Required.
	Tenants func(ctx context.Context) ([]string, error)
	// Handle is called with each event, one at a time; an error (or a
	// panic) means "not delivered": the event is retried. Its context
	// ends 5 seconds after Run's, so that an event being handled when Run
	// stops can finish and have its cursor recorded rather than be
	// delivered again. Required.
	Handle func(ctx context.Context, e FeedEvent) error
	// Batch is how many events one read takes; zero means 100.
	Batch int
	// Poll is how long Run waits for new events once it has delivered
	// every event; zero means one second. [Consumer.Wake] ends a wait.
	Poll time.Duration
	// MinBackoff and MaxBackoff bound the wait before a failed event is
	// retried, doubling from MinBackoff up to MaxBackoff; zero means one
	// second and one minute.
	MinBackoff, MaxBackoff time.Duration
	// Retention, when positive, deletes the events older than that which
	// every cursor of the tenant has passed (see [Tx.PruneEvents]), at
	// most once a minute per tenant. Zero keeps every event.
	Retention time.Duration
	// Logger receives failed deliveries, failed reads and a gap of pruned
	// events; nil discards them.
	Logger *slog.Logger

	wakeOnce sync.Once
	wake     chan struct{}
}

// errConsumer is wrapped by the errors of a Consumer set up wrong.
var errConsumer = errors.New("scimx: Consumer needs a Store, a Name, Tenants and Handle")

// Wake makes a Run that waits for new events look now, for instance from
// an OnChange callback, so that events are delivered without waiting for
// Poll. It never blocks, and is safe to call from any goroutine at any
// time.
func (c *Consumer) Wake() {
	select {
	case c.wakeup() <- struct{}{}:
	default:
	}
}

func (c *Consumer) wakeup() chan struct{} {
	c.wakeOnce.Do(func() { c.wake = make(chan struct{}, 1) })
	return c.wake
}

// tenantState is what Run remembers of one tenant between rounds.
type tenantState struct {
	registered bool // the cursor is recorded in the tenant
	backoff    time.Duration
	retryAt    time.Time
	pruned     time.Time
	gapAt      int64 // the first missed seq of the pruned gap last logged
}

// Run delivers events until ctx ends, and then returns ctx's error. A
// failing Tenants is logged and retried after Poll; a failing read of the
// tenant's feed or cursor is logged and retried with the tenant's backoff,
// as a failing Handle is. It
// returns an error at once, before delivering anything, when c lacks a
// Store, a Name, Tenants or Handle.
func (c *Consumer) Run(ctx context.Context) error {
	if c.Store == nil || c.Name == "" || c.Tenants == nil || c.Handle == nil {
		return errConsumer
	}
	wake := c.wakeup()
	poll := orDefault(c.Poll, time.Second)
	states := map[string]*tenantState{}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		wait := poll
		tenants, err := c.Tenants(ctx)
		if err != nil {
			c.log(ctx, "scimx: consumer: list tenants", slog.Any("error", err))
		}
		for _, t := range tenants {
			st := states[t]
			if st == nil {
				st = &tenantState{}
				states[t] = st
			}
			now := time.Now()
			if now.Before(st.retryAt) {
				wait = min(wait, st.retryAt.Sub(now))
				continue
			}
			more, err := c.deliver(ctx, t, st)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				st.backoff = min(max(2*st.backoff, orDefault(c.MinBackoff, time.Second)), orDefault(c.MaxBackoff, time.Minute))
				d := st.backoff/2 + rand.N(st.backoff/2+1) // jitter: half to all of it
				st.retryAt = time.Now().Add(d)
				wait = min(wait, d)
				c.log(ctx, "scimx: consumer: delivery failed; retrying", slog.String("consumer", c.Name),
					slog.String("tenant", t), slog.Duration("in", d), slog.Any("error", err))
				continue
			}
			st.backoff = 0
			if more {
				wait = 0
			}
			if c.Retention > 0 && time.Since(st.pruned) >= time.Minute {
				st.pruned = time.Now()
				if err := c.prune(ctx, t); err != nil {
					c.log(ctx, "scimx: consumer: prune", slog.String("tenant", t), slog.Any("error", err))
				}
			}
		}
		if wait <= 0 {
			continue
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-wake:
			timer.Stop()
		case <-timer.C:
		}
	}
}

// deliver hands one batch of tenant's events to Handle, recording the
// cursor after each, and reports whether a full batch was read (more may
// wait).
func (c *Consumer) deliver(ctx context.Context, tenant string, st *tenantState) (more bool, err error) {
	batch := c.Batch
	if batch <= 0 {
		batch = 100
	}
	if !st.registered {
		// Record the cursor where it stands (0 for a new one), so that
		// pruning waits for this Consumer from now on.
		err := c.Store.Update(ctx, tenant, func(tx Tx) error {
			cur, err := tx.Cursor(c.Name)
			if err != nil {
				return err
			}
			return tx.SetCursor(c.Name, cur)
		})
		if err != nil {
			return false, fmt.Errorf("record the cursor: %w", err)
		}
		st.registered = true
	}
	var evs []FeedEvent
	var cur int64
	err = c.Store.View(ctx, tenant, func(tx Tx) (err error) {
		if cur, err = tx.Cursor(c.Name); err != nil {
			return err
		}
		evs, err = tx.Events(cur, batch)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("read the feed: %w", err)
	}
	if err := gap(cur, evs); err != nil && st.gapAt != cur+1 {
		st.gapAt = cur + 1 // logged once, not on every retry of its first event
		if c.Logger != nil {
			c.Logger.ErrorContext(ctx, "scimx: consumer: events were pruned before this consumer's cursor; delivering from the oldest kept event",
				slog.String("consumer", c.Name), slog.String("tenant", tenant), slog.Int64("cursor", cur),
				slog.Int64("first_missed", cur+1), slog.Int64("last_missed", evs[0].Seq-1), slog.Any("error", err))
		}
	}
	for _, e := range evs {
		if err := ctx.Err(); err != nil {
			return false, err // stopped: no new event is begun
		}
		if err := c.handle(ctx, e); err != nil {
			return false, fmt.Errorf("event %d (%s): %w", e.Seq, e.ID, err)
		}
		if err := c.record(ctx, tenant, e.Seq); err != nil {
			return false, fmt.Errorf("record the cursor at %d: %w", e.Seq, err)
		}
	}
	return len(evs) == batch, nil
}

// cursorGrace is how long recording the cursor of a delivered event may
// take once Run's context has ended.
const cursorGrace = 5 * time.Second

// record moves the cursor to seq. It does so even when ctx has just ended
// (within cursorGrace), so that a Run stopped right after a delivery does
// not deliver that event again.
func (c *Consumer) record(ctx context.Context, tenant string, seq int64) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cursorGrace)
	defer cancel()
	return c.Store.Update(ctx, tenant, func(tx Tx) error { return tx.SetCursor(c.Name, seq) })
}

// handle calls Handle, turning a panic into an error. Handle's context
// ends cursorGrace after ctx does.
func (c *Consumer) handle(ctx context.Context, e FeedEvent) (err error) {
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(cursorGrace, cancel) })
	defer stop()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	return c.Handle(hctx, e)
}

func (c *Consumer) prune(ctx context.Context, tenant string) error {
	return c.Store.Update(ctx, tenant, func(tx Tx) error {
		_, err := tx.PruneEvents(time.Now().Add(-c.Retention))
		return err
	})
}

func (c *Consumer) log(ctx context.Context, msg string, attrs ...any) {
	if c.Logger != nil {
		c.Logger.WarnContext(ctx, msg, attrs...)
	}
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
