package scimxtest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/tabletest"
	"github.com/groupsync/groupsync/scimx"
)

func TestStoreGivesEachCheckANewStore(t *testing.T) {
	seen := map[*scimx.MemStore]bool{}
	err := TestStore(t.Context(), func() (scimx.Store, error) {
		m := &scimx.MemStore{}
		seen[m] = true
		return m, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(checks) {
		t.Errorf("TestStore made %d stores for %d checks, want one each", len(seen), len(checks))
	}
}

func TestStoreStopsAtTheFirstNewStoreError(t *testing.T) {
	boom := errors.New("boom")
	calls := 0
	err := TestStore(t.Context(), func() (scimx.Store, error) {
		calls++
		if calls == 3 {
			return nil, boom
		}
		return &scimx.MemStore{}, nil
	})
	if !errors.Is(err, boom) {
		t.Errorf("TestStore = %v, want an error wrapping newStore's", err)
	}
	if diff := cmp.Diff([]string{checks[2].name}, failedChecks(err)); diff != "" {
		t.Errorf("failed checks (-want +got):\n%s", diff)
	}
	if calls != 3 {
		t.Errorf("newStore called %d times, want 3: no check runs after it fails", calls)
	}
}

func TestStoreStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	calls := 0
	err := TestStore(ctx, func() (scimx.Store, error) {
		calls++
		return &scimx.MemStore{}, nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("TestStore = %v, want an error wrapping context.Canceled", err)
	}
	if calls != 0 {
		t.Errorf("newStore called %d times, want none", calls)
	}
}

type ctxKey struct{}

func TestRunCheckRecords(t *testing.T) {
	tests := []struct {
		name     string
		reason   string
		run      func(t recorder, reached *bool)
		failures int
		reached  bool
	}{
		{
			name:    "a passing check",
			reason:  "a check that reports nothing passed",
			run:     func(_ recorder, reached *bool) { *reached = true },
			reached: true,
		},
		{
			name:   "Errorf goes on",
			reason: "Errorf records a failure and the check goes on, as with a *testing.T",
			run: func(t recorder, reached *bool) {
				t.Errorf("first")
				t.Errorf("second")
				*reached = true
			},
			failures: 2,
			reached:  true,
		},
		{
			name:   "Fatalf ends the check",
			reason: "a check calls Fatalf when what follows cannot run, as with a *testing.T",
			run: func(t recorder, reached *bool) {
				t.Fatalf("stop")
				*reached = true
			},
			failures: 1,
		},
		{
			name:   "Errorf from many goroutines",
			reason: "a check of concurrent use may report from several goroutines at once; none is lost",
			run: func(t recorder, reached *bool) {
				var wg sync.WaitGroup
				for i := range 16 {
					wg.Go(func() { t.Errorf("goroutine %d", i) })
				}
				wg.Wait()
				*reached = true
			},
			failures: 16,
			reached:  true,
		},
		{
			name:     "a panic is a failure",
			reason:   "a store that panics fails the check it panicked in; the other checks still run",
			run:      func(recorder, *bool) { panic("boom") },
			failures: 1,
		},
		{
			name:   "Context is TestStore's",
			reason: "every check passes the caller's context to the store",
			run: func(t recorder, reached *bool) {
				if got := t.Context().Value(ctxKey{}); got != "caller" {
					t.Errorf("Context().Value = %v, want the caller's", got)
				}
				*reached = true
			},
			reached: true,
		},
	}
	tabletest.Check(t, tests)
	ctx := context.WithValue(t.Context(), ctxKey{}, "caller")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reached := false
			c := check{name: "Probe", run: func(r recorder, _ scimx.Store) { tt.run(r, &reached) }}
			err := runCheck(ctx, c, &scimx.MemStore{})
			var failures int
			if ce, ok := err.(*checkError); ok {
				failures = len(ce.errs)
				if ce.check != "Probe" {
					t.Errorf("error names check %q, want Probe", ce.check)
				}
			} else if err != nil {
				t.Errorf("runCheck = %T %v, want a *checkError or nil", err, err)
			}
			if failures != tt.failures || reached != tt.reached {
				t.Errorf("runCheck recorded %d failures, reached the end: %v; want %d and %v (error: %v)",
					failures, reached, tt.failures, tt.reached, err)
			}
		})
	}
}
