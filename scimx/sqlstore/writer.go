package sqlstore

import (
	"container/list"
	"context"
	"sync"
)

// writers lets the writing transactions of one Store into a SQLite
// database in one at a time, in the order they asked (first in, first
// out), before they take a connection. SQLite runs one writer at a time;
// without the queue, concurrent writers each hold a pooled connection and
// spin on SQLite's write lock, sleeping in its busy handler for up to 100
// ms a turn and waking in no order, so that under load a few requests
// waited seconds while others went through (issue 12: p99 at 80× p50).
// In the queue a writer waits on a channel, holding no connection, and a
// writer whose context ends leaves the queue at once.
//
// The queue serialises the writers of one Store. Writers of other
// processes, or of another Store on the same file, still meet at SQLite's
// lock, which the busy timeout makes them wait for (see the package doc).
// The zero value is an empty queue.
type writers struct {
	mu      sync.Mutex
	held    bool
	waiting list.List // of chan struct{}, closed when its writer's turn comes
}

// lock waits for the writer's turn, or until ctx ends, and returns
// ctx.Err() then; a nil error means the caller holds the turn and must
// call unlock.
func (q *writers) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	q.mu.Lock()
	if !q.held && q.waiting.Len() == 0 {
		q.held = true
		q.mu.Unlock()
		return nil
	}
	turn := make(chan struct{})
	e := q.waiting.PushBack(turn)
	q.mu.Unlock()
	select {
	case <-turn:
		return nil
	case <-ctx.Done():
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	select {
	case <-turn: // the turn came as the context ended: pass it on
		q.next()
	default:
		q.waiting.Remove(e)
	}
	return ctx.Err()
}

// unlock ends the caller's turn and gives it to the writer that has waited
// longest.
func (q *writers) unlock() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.next()
}

// next hands the turn on, with q.mu held.
func (q *writers) next() {
	e := q.waiting.Front()
	if e == nil {
		q.held = false
		return
	}
	q.waiting.Remove(e)
	close(e.Value.(chan struct{}))
}
