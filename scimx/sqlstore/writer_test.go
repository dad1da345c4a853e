package sqlstore

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestWritersTakeTurnsInOrder: the queue lets one writer in at a time, in
// the order they asked.
func TestWritersTakeTurnsInOrder(t *testing.T) {
	var q writers
	ctx := context.Background()
	if err := q.lock(ctx); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	inside := 0
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := q.lock(ctx); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			inside++
			if inside != 1 {
				t.Errorf("%d writers hold the turn at once", inside)
			}
			order = append(order, i)
			inside--
			mu.Unlock()
			q.unlock()
		}()
		waitQueued(t, &q, i+1) // writer i asks before writer i+1
	}
	q.unlock()
	wg.Wait()
	for i, got := range order {
		if got != i {
			t.Fatalf("writers went in the order %v, want 0 to 4", order)
		}
	}
	if q.held || q.waiting.Len() != 0 {
		t.Errorf("after every writer: held %v, %d waiting, want free and empty", q.held, q.waiting.Len())
	}
}

// TestWritersLeaveOnCancel: a writer whose context ends stops waiting at
// once, with the context's error, and the turn passes over it.
func TestWritersLeaveOnCancel(t *testing.T) {
	var q writers
	if err := q.lock(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- q.lock(ctx) }()
	waitQueued(t, &q, 1)
	next := make(chan error)
	go func() { next <- q.lock(context.Background()) }()
	waitQueued(t, &q, 2)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled writer got %v, want context.Canceled", err)
	}
	if n := q.waiting.Len(); n != 1 {
		t.Fatalf("%d writers wait after one left, want 1", n)
	}
	q.unlock()
	select {
	case err := <-next:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the turn did not pass to the writer behind the cancelled one")
	}
	q.unlock()
	if err := q.lock(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("a writer with an ended context got %v, want context.Canceled", err)
	}
}

// waitQueued waits until n writers wait.
func waitQueued(t *testing.T, q *writers, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		q.mu.Lock()
		got := q.waiting.Len()
		q.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d writers wait, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}
