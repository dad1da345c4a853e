package scimx_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/scimx"
)

// deliveries records what a Consumer's Handle was called with.
type deliveries struct {
	mu       sync.Mutex
	attempts []attempt
}

type attempt struct {
	tenant string
	seq    int64
	at     time.Time
	ok     bool
}

func (d *deliveries) add(tenant string, seq int64, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.attempts = append(d.attempts, attempt{tenant, seq, time.Now(), ok})
}

// delivered returns the seqs of tenant's successful deliveries, in order.
func (d *deliveries) delivered(tenant string) []int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []int64
	for _, a := range d.attempts {
		if a.ok && a.tenant == tenant {
			out = append(out, a.seq)
		}
	}
	return out
}

// waitFor polls cond until it holds, or fails the test after 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// start runs c until the test ends or the returned stop is called, which
// waits for Run to return.
func start(t *testing.T, c *scimx.Consumer) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("Run returned %v, want context.Canceled", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// writeGroups appends n events to tenant's feed, one created group each.
func writeGroups(t *testing.T, store scimx.Store, tenant string, from, n int) {
	t.Helper()
	d := &scimx.Directory{Store: store}
	for i := from; i < from+n; i++ {
		if _, err := d.Create(t.Context(), tenant, group.Group{Name: fmt.Sprintf("G%03d", i)}); err != nil {
			t.Fatal(err)
		}
	}
}

func seqRange(from, to int64) []int64 {
	var out []int64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

// R17: a failing Handle is retried with exponential backoff, capped at
// MaxBackoff, and the tenant's later events wait for it: delivery is in
// order.
func TestR17ConsumerRetriesWithBackoff(t *testing.T) {
	store := &scimx.MemStore{}
	writeGroups(t, store, "a", 1, 3)
	const failures = 7
	var log deliveries
	fails := 0
	c := &scimx.Consumer{
		Store: store, Name: "hook",
		Tenants:    func(context.Context) ([]string, error) { return []string{"a"}, nil },
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, Poll: time.Millisecond,
		Handle: func(_ context.Context, e scimx.FeedEvent) error {
			if e.Seq == 2 && fails < failures {
				fails++
				log.add("a", e.Seq, false)
				if fails == 3 {
					panic("a panic is a failure too")
				}
				return errors.New("receiver down")
			}
			log.add("a", e.Seq, true)
			return nil
		},
	}
	start(t, c)
	waitFor(t, "every event is delivered", func() bool { return len(log.delivered("a")) == 3 })
	log.mu.Lock()
	defer log.mu.Unlock()
	var tries []time.Time
	var order []int64
	for _, a := range log.attempts {
		order = append(order, a.seq)
		if a.seq == 2 {
			tries = append(tries, a.at)
		}
	}
	want := []int64{1}
	for range failures + 1 {
		want = append(want, 2)
	}
	want = append(want, 3)
	if !slices.Equal(order, want) {
		t.Errorf("attempts in order %v, want %v: event 3 waits until event 2 is delivered", order, want)
	}
	backoff := 5 * time.Millisecond
	for i := 1; i < len(tries); i++ {
		gap := tries[i].Sub(tries[i-1])
		if gap < backoff/2-time.Millisecond {
			t.Errorf("retry %d came %v after the failure before it, want at least half the backoff of %v", i, gap, backoff)
		}
		backoff = min(2*backoff, 20*time.Millisecond)
	}
	// Uncapped, the last wait would be 5ms·2⁶ = 320ms, at least 160ms of it.
	if last := tries[len(tries)-1].Sub(tries[len(tries)-2]); last > 150*time.Millisecond {
		t.Errorf("the last retry waited %v: MaxBackoff (20ms) caps the doubling", last)
	}
}

// R17: a Consumer stopped half-way (a crash, a deploy) resumes from its
// durable cursor: a new Consumer of the same name on the same store
// delivers what the first had not, and what was written while none ran,
// at least once and in order, without starting over.
func TestR17ConsumerResumesFromItsCursorAfterARestart(t *testing.T) {
	eachStore(t, func(t *testing.T, store scimx.Store) {
		writeGroups(t, store, "a", 1, 6)
		var log deliveries
		stopAt := make(chan struct{})
		var once sync.Once
		newConsumer := func(fail func(scimx.FeedEvent) bool) *scimx.Consumer {
			return &scimx.Consumer{
				Store: store, Name: "hook", Batch: 2, Poll: time.Millisecond, MinBackoff: time.Millisecond,
				Tenants: func(context.Context) ([]string, error) { return []string{"a"}, nil },
				Handle: func(_ context.Context, e scimx.FeedEvent) error {
					if fail(e) {
						log.add("a", e.Seq, false)
						return errors.New("receiver down")
					}
					log.add("a", e.Seq, true)
					return nil
				},
			}
		}
		// The first run delivers 1 to 3, then its receiver goes down
		// for event 4 and the process is stopped.
		first := newConsumer(func(e scimx.FeedEvent) bool {
			if e.Seq >= 4 {
				once.Do(func() { close(stopAt) })
				return true
			}
			return false
		})
		stop := start(t, first)
		<-stopAt
		stop()
		var cursor int64
		if err := store.View(t.Context(), "a", func(tx scimx.Tx) (err error) {
			cursor, err = tx.Cursor("hook")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if got := log.delivered("a"); !slices.Equal(got, seqRange(1, 3)) || cursor != 3 {
			t.Fatalf("before the restart: delivered %v, cursor %d; want 1 to 3 and 3", got, cursor)
		}
		writeGroups(t, store, "a", 7, 3) // while no Consumer runs
		second := newConsumer(func(scimx.FeedEvent) bool { return false })
		start(t, second)
		waitFor(t, "the restarted Consumer delivers every event", func() bool { return len(log.delivered("a")) >= 9 })
		if got := log.delivered("a"); !slices.Equal(got, seqRange(1, 9)) {
			t.Errorf("delivered %v over both runs, want 1 to 9 once each, in order: the second run resumed at its cursor", got)
		}
	})
}

// R17: a tenant whose deliveries fail waits alone: the other tenants'
// events go on, each tenant's in order.
func TestR17ConsumerIsolatesAFailingTenant(t *testing.T) {
	store := &scimx.MemStore{}
	writeGroups(t, store, "a", 1, 2)
	writeGroups(t, store, "b", 1, 3)
	var log deliveries
	c := &scimx.Consumer{
		Store: store, Name: "hook", Poll: time.Millisecond, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
		Tenants: func(context.Context) ([]string, error) { return []string{"a", "b"}, nil },
		Handle: func(_ context.Context, e scimx.FeedEvent) error {
			if e.Tenant == "a" && e.Seq == 2 {
				log.add(e.Tenant, e.Seq, false)
				return errors.New("tenant a's receiver is down")
			}
			log.add(e.Tenant, e.Seq, true)
			return nil
		},
	}
	stop := start(t, c)
	waitFor(t, "tenant b's events are delivered", func() bool { return len(log.delivered("b")) == 3 })
	writeGroups(t, store, "b", 4, 1)
	c.Wake()
	waitFor(t, "tenant b's new event is delivered", func() bool { return len(log.delivered("b")) == 4 })
	stop()
	if a, b := log.delivered("a"), log.delivered("b"); !slices.Equal(a, []int64{1}) || !slices.Equal(b, seqRange(1, 4)) {
		t.Errorf("delivered a %v and b %v; want a [1] (its event 2 keeps failing) and b 1 to 4", a, b)
	}
}

// pruneWatch is a store whose PruneEvents calls are reported on pruned,
// with how many events each deleted.
type pruneWatch struct {
	scimx.Store
	pruned chan int
}

func (s pruneWatch) Update(ctx context.Context, tenant string, f func(scimx.Tx) error) error {
	return s.Store.Update(ctx, tenant, func(tx scimx.Tx) error { return f(pruneTx{tx, s.pruned}) })
}

type pruneTx struct {
	scimx.Tx
	pruned chan int
}

func (tx pruneTx) PruneEvents(before time.Time) (int, error) {
	n, err := tx.Tx.PruneEvents(before)
	if err == nil {
		tx.pruned <- n
	}
	return n, err
}

// R17: a Consumer's Retention deletes only events that every cursor of the
// tenant has passed, the cursor of a Consumer that has delivered nothing
// yet included.
func TestR17RetentionPrunesOnlyWhatEveryCursorPassed(t *testing.T) {
	eachStore(t, func(t *testing.T, base scimx.Store) {
		store := pruneWatch{base, make(chan int, 100)}
		writeGroups(t, store, "a", 1, 5)
		tenants := func(context.Context) ([]string, error) { return []string{"a"}, nil }
		var log deliveries
		// The search index takes events 1 and 2, then fails.
		index := &scimx.Consumer{Store: store, Name: "index", Tenants: tenants, Poll: time.Millisecond, MinBackoff: time.Hour,
			Handle: func(_ context.Context, e scimx.FeedEvent) error {
				if e.Seq > 2 {
					return errors.New("index full")
				}
				log.add("index", e.Seq, true)
				return nil
			}}
		// The audit log has delivered nothing yet: its first event fails.
		var audited sync.WaitGroup
		audited.Add(1)
		var auditOnce sync.Once
		audit := &scimx.Consumer{Store: store, Name: "audit", Tenants: tenants, Poll: time.Millisecond, MinBackoff: time.Hour,
			Handle: func(context.Context, scimx.FeedEvent) error {
				auditOnce.Do(audited.Done)
				return errors.New("audit log unreachable")
			}}
		stopAudit := start(t, audit)
		audited.Wait()
		stopIndex := start(t, index)
		waitFor(t, "the index takes events 1 and 2", func() bool { return len(log.delivered("index")) == 2 })
		hook := &scimx.Consumer{Store: store, Name: "hook", Tenants: tenants, Poll: time.Millisecond, Retention: time.Nanosecond,
			Handle: func(_ context.Context, e scimx.FeedEvent) error { log.add("hook", e.Seq, true); return nil }}
		stopHook := start(t, hook)
		waitFor(t, "the hook delivers every event", func() bool { return len(log.delivered("hook")) == 5 })
		if n := <-store.pruned; n != 0 {
			t.Errorf("the hook's Retention pruned %d events while the audit log's cursor is at 0, want none", n)
		}
		stopHook()
		if got := feedOf(t, base, "a"); len(got) != 5 {
			t.Errorf("the feed holds %d events, want all 5", len(got))
		}
		// With the audit log retired (its cursor moved past the end), the
		// events the index has passed may go, and no other.
		stopAudit()
		if err := store.Update(t.Context(), "a", func(tx scimx.Tx) error { return tx.SetCursor("audit", 5) }); err != nil {
			t.Fatal(err)
		}
		stopHook = start(t, &scimx.Consumer{Store: store, Name: "hook", Tenants: tenants, Poll: time.Millisecond, Retention: time.Nanosecond,
			Handle: func(context.Context, scimx.FeedEvent) error { return nil }})
		if n := <-store.pruned; n != 2 {
			t.Errorf("Retention pruned %d events, want 2: the index has passed events 1 and 2 only", n)
		}
		// The prune commits after PruneEvents returns: wait for it.
		waitFor(t, "the prune commits", func() bool { return len(feedOf(t, base, "a")) < 5 })
		stopHook()
		stopIndex()
		if got := seqsOf(feedOf(t, base, "a")); !slices.Equal(got, seqRange(3, 5)) {
			t.Errorf("after pruning the feed holds %v, want 3 to 5", got)
		}
	})
}

// R17: Run refuses a Consumer set up without what it needs, at once.
func TestR17ConsumerNeedsItsParts(t *testing.T) {
	store := &scimx.MemStore{}
	tenants := func(context.Context) ([]string, error) { return nil, nil }
	handle := func(context.Context, scimx.FeedEvent) error { return nil }
	for _, c := range []*scimx.Consumer{
		{Name: "hook", Tenants: tenants, Handle: handle},
		{Store: store, Tenants: tenants, Handle: handle},
		{Store: store, Name: "hook", Handle: handle},
		{Store: store, Name: "hook", Tenants: tenants},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := c.Run(ctx)
		cancel()
		if err == nil || errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Run of %+v = %v, want an error at once", c, err)
		}
	}
}

func seqsOf(evs []scimx.FeedEvent) []int64 {
	out := make([]int64, len(evs))
	for i, e := range evs {
		out[i] = e.Seq
	}
	return out
}

// R17: a Consumer new to a feed that another Consumer's Retention pruned
// cannot deliver the pruned events: it logs the gap at level Error, naming
// the first and last it missed, and delivers from the oldest kept event;
// a Consumer whose cursor is in the kept events logs nothing.
func TestR17ConsumerLogsAPrunedGap(t *testing.T) {
	eachStore(t, func(t *testing.T, store scimx.Store) {
		writeGroups(t, store, "acme", 0, 5)
		prune(t, store, "acme", 3)
		var logs logBuffer
		var d deliveries
		c := &scimx.Consumer{Store: store, Name: "search", Poll: 5 * time.Millisecond,
			Tenants: func(context.Context) ([]string, error) { return []string{"acme"}, nil },
			Handle:  func(_ context.Context, e scimx.FeedEvent) error { d.add(e.Tenant, e.Seq, true); return nil },
			Logger:  slog.New(slog.NewJSONHandler(&logs, nil))}
		stop := start(t, c)
		waitFor(t, "the kept events are delivered", func() bool { return len(d.delivered("acme")) >= 2 })
		stop()
		if got := d.delivered("acme"); !slices.Equal(got, []int64{4, 5}) {
			t.Errorf("delivered %v, want the kept events 4 and 5", got)
		}
		var gaps []map[string]any
		for _, line := range logs.lines() {
			if line == "" {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("log line %q: %v", line, err)
			}
			if strings.Contains(fmt.Sprint(m["msg"]), "pruned") {
				gaps = append(gaps, m)
			}
		}
		if len(gaps) != 1 || gaps[0]["level"] != "ERROR" || gaps[0]["first_missed"] != float64(1) || gaps[0]["last_missed"] != float64(3) ||
			gaps[0]["consumer"] != "search" || gaps[0]["tenant"] != "acme" {
			t.Errorf("the gap was logged as %v, want one Error naming 1 to 3, the consumer and the tenant", gaps)
		}

		// A Consumer whose cursor is among the kept events sees no gap.
		logs.reset()
		writeGroups(t, store, "acme", 5, 1)
		stop = start(t, c)
		waitFor(t, "event 6 is delivered", func() bool { return len(d.delivered("acme")) >= 3 })
		stop()
		for _, line := range logs.lines() {
			if strings.Contains(line, "pruned") {
				t.Errorf("a Consumer with a kept cursor logged %s", line)
			}
		}
	})
}

// logBuffer collects log lines from any goroutine.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Split(strings.TrimSpace(l.b.String()), "\n")
}

func (l *logBuffer) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Reset()
}
