// Package conformance runs the module's conformance suites, storetest's and
// scimxtest's: named checks, each on a new subject, each reporting as it
// would to a *testing.T, collected into one error the way
// testing/fstest.TestFS reports.
package conformance

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
)

// T is what a check reports to: the part of [testing.TB] the checks use,
// plus the caller's context. *testing.T satisfies it.
type T interface {
	// Context returns the caller's context, for the subject's calls.
	Context() context.Context
	// Helper marks the calling function as a helper, as testing does.
	Helper()
	// Errorf records a failure; the check goes on.
	Errorf(format string, args ...any)
	// Fatalf records a failure and ends the check.
	Fatalf(format string, args ...any)
}

// Check is one named check of a suite on a subject of type S.
type Check[S any] struct {
	// Name names the check in the error that reports it.
	Name string
	// Run runs the check on a new subject.
	Run func(T, S)
}

// Run runs each check on a new subject from newSubject, one check after
// another, and returns nil or an error that joins an [*Error] per failed
// check, named after suite. An error from newSubject (or a nil subject)
// ends the run: Run reports it as the failure of the check the subject was
// for, wrapped, and runs no other check. So does a cancelled ctx, which
// each check gets from [T.Context].
//
// Run calls newSubject on its own goroutine, never concurrently, so a
// function that closes over a *testing.T may call its TempDir, Cleanup,
// Fatal and Skip. Each check runs in a goroutine of its own, so that
// Fatalf can end it; a panic is a failure of the check.
func Run[S any](ctx context.Context, suite string, checks []Check[S], newSubject func() (S, error)) error {
	var errs []error
	for _, c := range checks {
		if err := ctx.Err(); err != nil {
			errs = append(errs, &Error{Suite: suite, Check: c.Name, Errs: []error{fmt.Errorf("not run: %w", err)}})
			break
		}
		s, err := newSubject()
		if err == nil && isNil(s) {
			err = errors.New("it returned nil")
		}
		if err != nil {
			errs = append(errs, &Error{Suite: suite, Check: c.Name, Errs: []error{fmt.Errorf("new subject: %w", err)}})
			break
		}
		if err := run(ctx, suite, c, s); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// isNil reports whether s is a nil interface, pointer, map, slice, channel
// or function.
func isNil[S any](s S) bool {
	v := reflect.ValueOf(&s).Elem()
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer, reflect.Map, reflect.Slice, reflect.Chan, reflect.Func:
		return v.IsNil()
	}
	return false
}

// run runs c on s and returns its failures, if any, as an *Error.
func run[S any](ctx context.Context, suite string, c Check[S], s S) error {
	r := &recorder{ctx: ctx}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if p := recover(); p != nil {
				r.Errorf("panic: %v\n%s", p, debug.Stack())
			}
		}()
		c.Run(r, s)
	}()
	<-done
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.errs) == 0 {
		return nil
	}
	return &Error{Suite: suite, Check: c.Name, Errs: r.errs}
}

// recorder records the failures of one check. It is safe for concurrent
// use; as with a *testing.T, Fatalf ends the check only when called from
// the check's own goroutine.
type recorder struct {
	ctx  context.Context
	mu   sync.Mutex
	errs []error
}

func (r *recorder) Context() context.Context { return r.ctx }

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	err := fmt.Errorf(format, args...)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, err)
}

// Fatalf records the failure and ends the goroutine, whose deferred calls
// run.
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

// Error is the failures of one check.
type Error struct {
	// Suite names the suite and Check the check.
	Suite, Check string
	// Errs holds the failures, in the order they were reported.
	Errs []error
}

// Error names the suite and the check, then each failure on a line of its
// own.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Suite + ": " + e.Check + ":")
	for _, err := range e.Errs {
		b.WriteString("\n\t")
		b.WriteString(strings.ReplaceAll(err.Error(), "\n", "\n\t"))
	}
	return b.String()
}

// Unwrap returns the failures.
func (e *Error) Unwrap() []error { return e.Errs }

// Failed returns the names of the checks that err, an error of [Run],
// reports as failed, in order.
func Failed(err error) []string {
	var names []string
	var walk func(error)
	walk = func(err error) {
		if ce, ok := err.(*Error); ok {
			names = append(names, ce.Check)
			return
		}
		if u, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range u.Unwrap() {
				walk(e)
			}
		}
	}
	walk(err)
	return names
}

// TB is the part of [testing.TB] that [Caught] reports to.
type TB interface {
	// Helper, Fatalf and Logf are testing.TB's.
	Helper()
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
}

// Caught fails t unless err, an error of [Run] over a deliberately broken
// subject, names check among the failed checks: a suite is proven by the
// faults it catches, each by the check made for it.
func Caught(t TB, err error, check string) {
	t.Helper()
	if err == nil {
		t.Fatalf("the suite passed a broken subject; want check %s to fail", check)
	}
	got := Failed(err)
	if !slices.Contains(got, check) {
		t.Fatalf("the suite failed checks %q, want %s among them; error:\n%v", got, check, err)
	}
	t.Logf("failed checks %q", got)
}
