package conformance

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/tabletest"
)

// subject stands in for a store: each new one is a new pointer.
type subject struct{ N int }

// probes are three checks that pass and note the subjects they got.
func probes(got *[]*subject) []Check[*subject] {
	var out []Check[*subject]
	for _, name := range []string{"First", "Second", "Third"} {
		out = append(out, Check[*subject]{Name: name, Run: func(_ T, s *subject) { *got = append(*got, s) }})
	}
	return out
}

func TestRunGivesEachCheckANewSubject(t *testing.T) {
	var got []*subject
	n := 0
	err := Run(t.Context(), "suite", probes(&got), func() (*subject, error) { n++; return &subject{n}, nil })
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]*subject{{1}, {2}, {3}}, got); d != "" {
		t.Errorf("subjects the checks got (-want +got):\n%s", d)
	}
}

func TestRunStopsAtTheFirstNewSubjectError(t *testing.T) {
	boom := errors.New("boom")
	var got []*subject
	calls := 0
	err := Run(t.Context(), "suite", probes(&got), func() (*subject, error) {
		calls++
		if calls == 2 {
			return nil, boom
		}
		return &subject{calls}, nil
	})
	if !errors.Is(err, boom) {
		t.Errorf("Run = %v, want an error wrapping newSubject's", err)
	}
	if d := cmp.Diff([]string{"Second"}, Failed(err)); d != "" {
		t.Errorf("failed checks (-want +got):\n%s", d)
	}
	if calls != 2 || len(got) != 1 {
		t.Errorf("newSubject called %d times, %d checks ran; want 2 and 1: no check runs after it fails", calls, len(got))
	}
}

func TestRunRefusesANilSubject(t *testing.T) {
	var got []*subject
	err := Run(t.Context(), "suite", probes(&got), func() (*subject, error) { return nil, nil })
	if d := cmp.Diff([]string{"First"}, Failed(err)); d != "" || len(got) != 0 {
		t.Errorf("Run with a nil subject = %v, %d checks ran; want First failed and none run (%s)", err, len(got), d)
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var got []*subject
	calls := 0
	err := Run(ctx, "suite", probes(&got), func() (*subject, error) { calls++; return &subject{}, nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want an error wrapping context.Canceled", err)
	}
	if calls != 0 {
		t.Errorf("newSubject called %d times, want none", calls)
	}
}

type ctxKey struct{}

func TestRunRecords(t *testing.T) {
	tests := []struct {
		name     string
		reason   string
		run      func(t T, reached *bool)
		failures int
		reached  bool
	}{
		{
			name:    "a passing check",
			reason:  "a check that reports nothing passed",
			run:     func(_ T, reached *bool) { *reached = true },
			reached: true,
		},
		{
			name:   "Errorf goes on",
			reason: "Errorf records a failure and the check goes on, as with a *testing.T",
			run: func(t T, reached *bool) {
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
			run: func(t T, reached *bool) {
				t.Fatalf("stop")
				*reached = true
			},
			failures: 1,
		},
		{
			name:   "Errorf from many goroutines",
			reason: "a check of concurrent use may report from several goroutines at once; none is lost",
			run: func(t T, reached *bool) {
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
			reason:   "a subject that panics fails the check it panicked in; the other checks still run",
			run:      func(T, *bool) { panic("boom") },
			failures: 1,
		},
		{
			name:   "Context is the caller's",
			reason: "every check passes the caller's context to the subject",
			run: func(t T, reached *bool) {
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
			checks := []Check[*subject]{
				{Name: "Probe", Run: func(r T, _ *subject) { tt.run(r, &reached) }},
				{Name: "After", Run: func(T, *subject) {}},
			}
			err := Run(ctx, "suite", checks, func() (*subject, error) { return &subject{}, nil })
			var failures int
			var ce *Error
			if errors.As(err, &ce) {
				failures = len(ce.Errs)
				if ce.Suite != "suite" || ce.Check != "Probe" {
					t.Errorf("error names %s: %s, want suite: Probe", ce.Suite, ce.Check)
				}
				if !strings.HasPrefix(err.Error(), "suite: Probe:\n\t") {
					t.Errorf("error reads %q, want it to start with the suite and the check", err)
				}
			} else if err != nil {
				t.Errorf("Run = %T %v, want an *Error or nil", err, err)
			}
			if failures != tt.failures || reached != tt.reached {
				t.Errorf("Run recorded %d failures, reached the end: %v; want %d and %v (error: %v)",
					failures, reached, tt.failures, tt.reached, err)
			}
		})
	}
}

// fakeTB records a Fatalf instead of stopping.
type fakeTB struct{ fatal string }

func (f *fakeTB) Helper()                        {}
func (f *fakeTB) Logf(string, ...any)            {}
func (f *fakeTB) Fatalf(format string, a ...any) { f.fatal = format }

func TestCaught(t *testing.T) {
	failing := []Check[*subject]{
		{Name: "Good", Run: func(T, *subject) {}},
		{Name: "Bad", Run: func(t T, _ *subject) { t.Errorf("broken") }},
	}
	err := Run(t.Context(), "suite", failing, func() (*subject, error) { return &subject{}, nil })
	tests := []struct {
		name, check string
		err         error
		fails       bool
		reason      string
	}{
		{name: "caught by its check", check: "Bad", err: err,
			reason: "the broken subject failed the check made for its fault"},
		{name: "caught by another check", check: "Good", err: err, fails: true,
			reason: "a fault caught only by chance, by another check, does not prove the check made for it"},
		{name: "not caught", check: "Bad", fails: true,
			reason: "a suite that passes a broken subject does not catch its fault"},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTB{}
			Caught(f, tt.err, tt.check)
			if got := f.fatal != ""; got != tt.fails {
				t.Errorf("Caught failed: %v, want %v (%s)", got, tt.fails, tt.reason)
			}
		})
	}
}
