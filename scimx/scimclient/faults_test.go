package scimclient_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/tabletest"
	"github.com/groupsync/groupsync/scimx"
	"github.com/groupsync/groupsync/scimx/scimclient"
	"github.com/groupsync/groupsync/scimx/scimxtest"
	groupsync "github.com/groupsync/groupsync/sync"
)

// These tests put a fault injector between the SCIM client and the real
// scimx server: it answers some requests itself (429, 5xx, a dropped
// connection, a stall) and passes the others on. They pin R15: transient
// failures are retried with backoff honouring Retry-After up to
// MaxRetryWait, permanent ones are not, one group's failure does not stop
// the others, and a second run converges (R14).

// Client bugs these tests found. Each test they break skips with the bug's
// text; remove the skip with the fix.

// fltServer is the real scimx server (tenant a) behind a fault injector.
type fltServer struct {
	real *scimxtest.Server // for put and stored
	base string            // the SCIM base URL the client uses

	mu     sync.Mutex
	counts map[string]int
	inject fltInject
}

// fltInject sees each request with its key (see fltKey) and how many
// requests of that key have arrived, this one included (nth, from 1). It
// answers the request itself by returning true; returning false passes the
// request to the real server.
type fltInject func(w http.ResponseWriter, r *http.Request, key string, nth int) bool

func newFltServer(t *testing.T, inject fltInject) *fltServer {
	t.Helper()
	f := &fltServer{real: newServer(t), counts: map[string]int{}, inject: inject}
	ts := httptest.NewServer(f)
	t.Cleanup(ts.Close)
	f.base = ts.URL + "/scim/v2"
	return f
}

// fltKey names a request: its method and path below the base URL, and for a
// POST the displayName it creates, as in "PATCH /Groups/1" or
// "POST /Groups Eng".
func fltKey(r *http.Request) string {
	key := r.Method + " " + strings.TrimPrefix(r.URL.Path, "/scim/v2")
	if r.Method == http.MethodPost && r.Body != nil {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var g struct {
			DisplayName string `json:"displayName"`
		}
		if json.Unmarshal(body, &g) == nil {
			key += " " + g.DisplayName
		}
	}
	return key
}

func (f *fltServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := fltKey(r)
	f.mu.Lock()
	f.counts[key]++
	nth, inject := f.counts[key], f.inject
	f.mu.Unlock()
	if inject != nil && inject(w, r, key, nth) {
		return
	}
	f.real.Handler.ServeHTTP(w, r)
}

// setInject replaces the injector and forgets the counts.
func (f *fltServer) setInject(inject fltInject) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inject, f.counts = inject, map[string]int{}
}

// count returns how many requests of key arrived.
func (f *fltServer) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[key]
}

// client returns a client of tenant a with opts; a zero Timeout becomes 5 s.
func (f *fltServer) client(t *testing.T, opts scimclient.Options) *scimclient.Client {
	t.Helper()
	opts.Auth = scimclient.Bearer(tokenA)
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	c, err := scimclient.New(f.base, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fltFail answers a SCIM error with status and the given header pairs.
func fltFail(w http.ResponseWriter, status int, header ...string) {
	for i := 0; i+1 < len(header); i += 2 {
		w.Header().Set(header[i], header[i+1])
	}
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"%d","detail":"injected"}`, status)
}

// fltDrop closes the connection without answering.
func fltDrop(t *testing.T, w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	conn.Close()
}

// fltStall holds the request until the client gives up on it (or 5 s).
func fltStall(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(5 * time.Second):
	}
}

// fltApply lets the real server apply the request, throwing its answer away.
func (f *fltServer) fltApply(r *http.Request) {
	f.real.Handler.ServeHTTP(httptest.NewRecorder(), r)
}

// R15: a 429 is waited out for as long as its Retry-After says, in seconds
// or as an HTTP date, and the request then succeeds.
func TestR15FaultRetryAfter(t *testing.T) {
	tests := []struct {
		name, reason string
		retryAfter   func() string
	}{
		{"R15 seconds", "Retry-After: 1 asks for one second",
			func() string { return "1" }},
		{"R15 HTTP date", "a date two seconds ahead, whole seconds, is at least one second away",
			func() string { return time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat) }},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFltServer(t, func(w http.ResponseWriter, r *http.Request, key string, nth int) bool {
				if key == "GET /Groups" && nth == 1 {
					fltFail(w, http.StatusTooManyRequests, "Retry-After", tt.retryAfter())
					return true
				}
				return false
			})
			c := f.client(t, scimclient.Options{})
			start := time.Now()
			err := c.Check(context.Background())
			elapsed := time.Since(start)
			if err != nil {
				t.Fatalf("Check: %v, want success after the wait", err)
			}
			if elapsed < 950*time.Millisecond || elapsed > 4*time.Second {
				t.Errorf("Check took %v, want about the Retry-After (%s)", elapsed, tt.reason)
			}
			if got := f.count("GET /Groups"); got != 2 {
				t.Errorf("got %d requests, want 2: the 429 and its retry", got)
			}
		})
	}
}

// R15: 500, 502, 503 and 504 are transient: retried with growing waits
// until the server answers. The retried PATCH carries its body again.
func TestR15FaultTransientStatusesRetried(t *testing.T) {
	for _, status := range []int{500, 502, 503, 504} {
		t.Run(fmt.Sprintf("R15 %d", status), func(t *testing.T) {
			t.Parallel()
			var (
				mu    sync.Mutex
				times []time.Time
			)
			f := newFltServer(t, nil)
			id := f.real.Put("a", appGroup("Eng", "u1"))
			f.setInject(func(w http.ResponseWriter, r *http.Request, key string, nth int) bool {
				if key != "PATCH /Groups/"+id {
					return false
				}
				mu.Lock()
				times = append(times, time.Now())
				mu.Unlock()
				if nth <= 2 {
					fltFail(w, status)
					return true
				}
				return false
			})
			c := f.client(t, scimclient.Options{})
			if err := c.Update(context.Background(), id, groupsync.Change{Add: []string{"u2"}}); err != nil {
				t.Fatalf("Update: %v, want success on the third attempt", err)
			}
			if got := f.count("PATCH /Groups/" + id); got != 3 {
				t.Errorf("got %d attempts, want 3", got)
			}
			if d := cmp.Diff([]string{"u1", "u2"}, f.real.Group("a", id).Members.Slice()); d != "" {
				t.Errorf("members (-want +got):\n%s", d)
			}
			mu.Lock()
			defer mu.Unlock()
			for i := 1; i < len(times); i++ {
				if gap := times[i].Sub(times[i-1]); gap < 100*time.Millisecond {
					t.Errorf("attempt %d came %v after the one before, want a backoff wait", i+1, gap)
				}
			}
		})
	}
}

// R15: 400, 401, 403, 404 and 409 are permanent: one attempt, even with a
// Retry-After, and the error keeps the status and its sentinel.
func TestR15FaultPermanentStatusesNotRetried(t *testing.T) {
	tests := []struct {
		name   string
		status int
		want   error // the sentinel the answer maps to, if any
		reason string
	}{
		{"R15 400", 400, nil, "a bad request does not get better"},
		{"R15 401", 401, groupsync.ErrNotConnected, "wrong credentials stay wrong"},
		{"R15 403", 403, groupsync.ErrNotConnected, "a forbidden request stays forbidden"},
		{"R15 404", 404, groupsync.ErrNotFound, "a missing group stays missing"},
		{"R15 409", 409, groupsync.ErrConflict, "a conflict needs another request"},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFltServer(t, nil)
			id := f.real.Put("a", appGroup("Eng", "u1"))
			f.setInject(func(w http.ResponseWriter, r *http.Request, key string, nth int) bool {
				if key == "PATCH /Groups/"+id {
					fltFail(w, tt.status, "Retry-After", "1")
					return true
				}
				return false
			})
			c := f.client(t, scimclient.Options{})
			start := time.Now()
			err := c.Update(context.Background(), id, groupsync.Change{Name: "Engineering"})
			if elapsed := time.Since(start); elapsed > 900*time.Millisecond {
				t.Errorf("Update took %v, want no wait (%s)", elapsed, tt.reason)
			}
			var he *scimclient.HTTPError
			if !errors.As(err, &he) || he.Status != tt.status {
				t.Fatalf("Update = %v, want an *HTTPError with status %d", err, tt.status)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Update = %v, want it to wrap %v", err, tt.want)
			}
			if got := f.count("PATCH /Groups/" + id); got != 1 {
				t.Errorf("got %d attempts, want exactly 1 (%s)", got, tt.reason)
			}
		})
	}
}

// R15, R14: a connection dropped without an answer is retried. When the
// server had applied the request before the connection dropped, the retry
// is a repeat that counts as done: an add of a present member, or a create
// of the same name and externalId, which the server answers with the same
// group (no duplicate).
func TestR15FaultDroppedConnection(t *testing.T) {
	tests := []struct {
		name, reason string
		applied      bool // the server applies the request before dropping
	}{
		{"R15 dropped before the server saw it", "nothing was applied, the retry applies it", false},
		{"R14 dropped after the server applied it", "the retry repeats what took effect", true},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFltServer(t, nil)
			id := f.real.Put("a", appGroup("Eng", "u1"))
			drop := func(w http.ResponseWriter, r *http.Request, key string, nth int) bool {
				if nth != 1 || (key != "PATCH /Groups/"+id && key != "POST /Groups Ops") {
					return false
				}
				if tt.applied {
					f.fltApply(r)
				}
				fltDrop(t, w, r)
				return true
			}
			f.setInject(drop)
			c := f.client(t, scimclient.Options{})
			ctx := context.Background()

			if err := c.Update(ctx, id, groupsync.Change{Add: []string{"u2"}}); err != nil {
				t.Fatalf("Update: %v, want success after a retry (%s)", err, tt.reason)
			}
			if got := f.count("PATCH /Groups/" + id); got != 2 {
				t.Errorf("got %d PATCH attempts, want 2", got)
			}
			if d := cmp.Diff([]string{"u1", "u2"}, f.real.Group("a", id).Members.Slice()); d != "" {
				t.Errorf("members (-want +got):\n%s", d)
			}

			g, err := c.Create(ctx, groupsync.Change{ExternalID: "00g9", Name: "Ops", Add: []string{"u3"}})
			if err != nil {
				t.Fatalf("Create: %v, want success after a retry (%s)", err, tt.reason)
			}
			if got := f.count("POST /Groups Ops"); got != 2 {
				t.Errorf("got %d POST attempts, want 2", got)
			}
			var found []scimx.Record
			for _, rec := range f.real.Groups("a") {
				if rec.Name == "Ops" {
					found = append(found, rec)
				}
			}
			if len(found) != 1 || found[0].ID != g.ID || found[0].ExternalID != "00g9" {
				t.Errorf("groups named Ops: %+v, want exactly the created one, %s", found, g.ID)
			}
		})
	}
}

// R15: an attempt that stalls past ClientOptions.Timeout is abandoned and
// retried; when every attempt stalls, the request fails within about
// MaxRetryWait plus the attempts' timeouts.
func TestR15FaultStallPastTimeout(t *testing.T) {
	t.Run("R15 one stall", func(t *testing.T) {
		t.Parallel()
		f := newFltServer(t, nil)
		id := f.real.Put("a", appGroup("Eng", "u1"))
		f.setInject(func(w http.ResponseWriter, r *http.Request, key string, nth int) bool {
			if key == "GET /Groups/"+id && nth == 1 {
				fltStall(r)
				return true
			}
			return false
		})
		c := f.client(t, scimclient.Options{Timeout: 200 * time.Millisecond})
		start := time.Now()
		g, err := c.Get(context.Background(), id)
		if err != nil {
			t.Fatalf("Get: %v, want success on the second attempt", err)
		}
		if elapsed := time.Since(start); elapsed > 3*time.Second {
			t.Errorf("Get took %v, want about one timeout and one backoff", elapsed)
		}
		if got := f.count("GET /Groups/" + id); got != 2 {
			t.Errorf("got %d attempts, want 2", got)
		}
		if d := cmp.Diff([]string{"u1"}, g.Members.Slice()); d != "" {
			t.Errorf("members (-want +got):\n%s", d)
		}
	})
	t.Run("R15 every attempt stalls", func(t *testing.T) {
		t.Parallel()
		f := newFltServer(t, nil)
		id := f.real.Put("a", appGroup("Eng", "u1"))
		f.setInject(func(w http.ResponseWriter, r *http.Request, key string, nth int) bool {
			if key == "GET /Groups/"+id {
				fltStall(r)
				return true
			}
			return false
		})
		const timeout, maxWait = 200 * time.Millisecond, time.Second
		c := f.client(t, scimclient.Options{Timeout: timeout, MaxRetryWait: maxWait})
		start := time.Now()
		_, err := c.Get(context.Background(), id)
		elapsed := time.Since(start)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Get = %v, want an error wrapping the attempts' deadline", err)
		}
		attempts := f.count("GET /Groups/" + id)
		if attempts < 2 {
			t.Errorf("got %d attempts, want the stall retried", attempts)
		}
		if bound := maxWait + time.Duration(attempts)*timeout + time.Second; elapsed > bound {
			t.Errorf("Get took %v over %d attempts, want at most %v", elapsed, attempts, bound)
		}
	})
}

// R15: a Retry-After longer than MaxRetryWait is not waited for: the request
// fails at once with the 429 and says it gave up.
func TestR15FaultRetryAfterBeyondMaxRetryWait(t *testing.T) {
	f := newFltServer(t, func(w http.ResponseWriter, r *http.Request, key string, nth int) bool {
		if key == "GET /Groups" {
			fltFail(w, http.StatusTooManyRequests, "Retry-After", "10")
			return true
		}
		return false
	})
	c := f.client(t, scimclient.Options{MaxRetryWait: 2 * time.Second})
	start := time.Now()
	err := c.Check(context.Background())
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("Check took %v, want it to give up at once", elapsed)
	}
	var he *scimclient.HTTPError
	if !errors.As(err, &he) || he.Status != http.StatusTooManyRequests {
		t.Fatalf("Check = %v, want it to wrap the 429", err)
	}
	// No sentinel says "gave up"; the message, for people, must.
	if !strings.Contains(err.Error(), "gave up") {
		t.Errorf("Check = %q, want it to say it gave up", err)
	}
	if got := f.count("GET /Groups"); got != 1 {
		t.Errorf("got %d requests, want 1", got)
	}
}

// R15: cancelling the context, or its deadline, ends a backoff wait at once
// with the context's error.
func TestR15FaultContextEndsBackoffWait(t *testing.T) {
	tests := []struct {
		name   string
		ctx    func() (context.Context, context.CancelFunc)
		want   error
		reason string
	}{
		{"R15 cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(200*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled,
			"a caller that cancels has given up on the call: waiting out the 5-second Retry-After would ignore it"},
		{"R15 deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 200*time.Millisecond)
		}, context.DeadlineExceeded,
			"a deadline bounds the whole call, backoff waits included, so it ends the wait with DeadlineExceeded"},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFltServer(t, func(w http.ResponseWriter, r *http.Request, key string, nth int) bool {
				fltFail(w, http.StatusServiceUnavailable, "Retry-After", "5")
				return true
			})
			c := f.client(t, scimclient.Options{})
			ctx, cancel := tt.ctx()
			defer cancel()
			start := time.Now()
			err := c.Check(ctx)
			if elapsed := time.Since(start); elapsed > time.Second {
				t.Errorf("Check took %v, want it to return when the context ends (%s)", elapsed, tt.reason)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("Check = %v, want %v (%s)", err, tt.want, tt.reason)
			}
		})
	}
}

// R1, R15: a TLS certificate the client does not trust is not a transient
// failure: the check fails on the first attempt instead of retrying for
// MaxRetryWait.
func TestR15FaultUntrustedCertificateNotRetried(t *testing.T) {
	var (
		mu    sync.Mutex
		conns int
	)
	ts := httptest.NewUnstartedServer(http.NotFoundHandler())
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.StartTLS()
	t.Cleanup(ts.Close)
	// The default client trusts no test certificate.
	c, err := scimclient.New(ts.URL, scimclient.Options{Auth: scimclient.Bearer(tokenA), MaxRetryWait: 3 * time.Second,
		HTTPClient: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{}}}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = c.Check(context.Background())
	elapsed := time.Since(start)
	if !errors.Is(err, groupsync.ErrNotConnected) {
		t.Errorf("Check = %v, want ErrNotConnected", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if conns != 1 || elapsed > time.Second {
		t.Errorf("got %d connections in %v, want 1 and no wait: a bad certificate does not get better", conns, elapsed)
	}
}

// R15, R14: a whole sync run against a server that fails some groups'
// requests transiently (503 twice, a 429, a dropped connection after the
// write applied, a 500 on create, a 502 after a create applied) and one
// group's permanently (403) completes: every other group is done, the
// failure is reported with its group, and a second run against the healed
// server converges, so that planning again gives no operations.
func TestR15FaultSyncRunIsolatesFailuresAndConverges(t *testing.T) {
	f := newFltServer(t, nil)
	c := f.client(t, scimclient.Options{MaxRetryWait: 5 * time.Second})
	store := &groupsync.MemStore{}
	a := &groupsync.Applier{Target: c, Store: store, Concurrency: 4}
	ctx := context.Background()

	desired := func(members []string, extra ...string) groupsync.Input {
		var in groupsync.Input
		for i := 1; i <= 8; i++ {
			in.Desired = append(in.Desired, groupsync.SourceGroup{
				ID: fmt.Sprintf("00g%d", i), Name: fmt.Sprintf("G%d", i), Members: members})
		}
		for i, name := range extra {
			in.Desired = append(in.Desired, groupsync.SourceGroup{
				ID: fmt.Sprintf("00n%d", i+1), Name: name, Members: []string{"u4", "u5"}})
		}
		return in
	}

	// Run 1, healthy: creates G1…G8.
	if _, _, err := a.Sync(ctx, desired([]string{"u1", "u2"})); err != nil {
		t.Fatalf("first run: %v", err)
	}
	state, err := store.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{} // source id -> target id
	for _, l := range state.Links {
		ids[l.SourceID] = l.TargetID
	}
	if len(ids) != 8 {
		t.Fatalf("got %d links after the first run, want 8", len(ids))
	}

	// Run 2, faulty: every G changes its members (one PATCH each), three new
	// groups are created.
	patch := func(src string) string { return "PATCH /Groups/" + ids[src] }
	f.setInject(func(w http.ResponseWriter, r *http.Request, key string, nth int) bool {
		switch {
		case key == patch("00g2") && nth <= 2:
			fltFail(w, http.StatusServiceUnavailable)
		case key == patch("00g3") && nth == 1:
			f.fltApply(r)
			fltDrop(t, w, r)
		case key == patch("00g4") && nth == 1:
			fltFail(w, http.StatusTooManyRequests, "Retry-After", "1")
		case key == patch("00g5"):
			fltFail(w, http.StatusForbidden)
		case key == "POST /Groups N1" && nth == 1:
			fltFail(w, http.StatusInternalServerError)
		case key == "POST /Groups N2" && nth == 1:
			f.fltApply(r)
			fltFail(w, http.StatusBadGateway)
		default:
			return false
		}
		return true
	})
	in := desired([]string{"u2", "u3"}, "N1", "N2", "N3")
	start := time.Now()
	_, statuses, err := a.Sync(ctx, in)
	t.Logf("faulty run with concurrency 4: %v", time.Since(start))

	var failed []string
	for _, ge := range fltGroupErrors(err) {
		failed = append(failed, ge.SourceID+" "+ge.Op)
		var he *scimclient.HTTPError
		if !errors.As(ge, &he) || he.Status != http.StatusForbidden {
			t.Errorf("group error %v, want it to wrap the 403", ge)
		}
	}
	if d := cmp.Diff([]string{"00g5 update"}, failed); d != "" {
		t.Errorf("failed groups (-want +got):\n%s\nerror: %v", d, err)
	}
	if got := f.count(patch("00g5")); got != 1 {
		t.Errorf("the 403 was tried %d times, want 1", got)
	}
	wantOutcomes := map[string]groupsync.Outcome{"00n1": groupsync.Created, "00n2": groupsync.Created, "00n3": groupsync.Created}
	for i := 1; i <= 8; i++ {
		wantOutcomes[fmt.Sprintf("00g%d", i)] = groupsync.Updated
	}
	wantOutcomes["00g5"] = groupsync.Failed
	if d := cmp.Diff(wantOutcomes, fltOutcomes(statuses)); d != "" {
		t.Errorf("outcomes of the faulty run (-want +got):\n%s", d)
	}
	wantMembers := map[string][]string{"N1": {"u4", "u5"}, "N2": {"u4", "u5"}, "N3": {"u4", "u5"}}
	for i := 1; i <= 8; i++ {
		wantMembers[fmt.Sprintf("G%d", i)] = []string{"u2", "u3"}
	}
	wantMembers["G5"] = []string{"u1", "u2"} // the 403 applied nothing
	if d := cmp.Diff(wantMembers, fltServerMembers(t, f)); d != "" {
		t.Errorf("server after the faulty run (-want +got):\n%s", d)
	}

	// Run 3, healed.
	f.setInject(nil)
	a.Concurrency = 1
	_, statuses, err = a.Sync(ctx, in)
	if err != nil {
		t.Fatalf("healed run: %v", err)
	}
	for src, o := range fltOutcomes(statuses) {
		want := groupsync.Unchanged
		if src == "00g5" {
			want = groupsync.Updated
		}
		if o != want {
			t.Errorf("healed run: group %s was %v, want %v", src, o, want)
		}
	}
	wantMembers["G5"] = []string{"u2", "u3"}
	if d := cmp.Diff(wantMembers, fltServerMembers(t, f)); d != "" {
		t.Errorf("server after the healed run (-want +got):\n%s", d)
	}
	for _, force := range []bool{false, true} {
		in.Force = force
		p, err := a.Plan(ctx, in)
		if err != nil || p.Len() != 0 {
			t.Errorf("plan after the healed run (force %v): %v, %d operations, want none:\n%s", force, err, p.Len(), p)
		}
	}
}

// fltGroupErrors returns the *GroupError of each failure joined in err.
func fltGroupErrors(err error) []*groupsync.GroupError {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	var out []*groupsync.GroupError
	for _, e := range errs {
		var ge *groupsync.GroupError
		if errors.As(e, &ge) {
			out = append(out, ge)
		}
	}
	return out
}

func fltOutcomes(statuses []groupsync.Status) map[string]groupsync.Outcome {
	out := map[string]groupsync.Outcome{}
	for _, s := range statuses {
		out[s.SourceID] = s.Outcome
	}
	return out
}

// fltServerMembers reads every group of tenant a from the real server,
// failing on two groups of one name.
func fltServerMembers(t *testing.T, f *fltServer) map[string][]string {
	t.Helper()
	ctx := context.Background()
	c := client(t, f.real, tokenA)
	list, err := c.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, g := range list {
		if _, dup := out[g.Name]; dup {
			t.Errorf("two groups named %q on the server", g.Name)
		}
		out[g.Name] = f.real.Group("a", g.ID).Members.Slice()
	}
	return out
}

// RequestsPerSecond spaces requests: at 20 per second, 10 requests take at
// least 9 intervals of 50 ms, whether sent one after another or at once.
func TestFaultRequestsPerSecond(t *testing.T) {
	for _, concurrent := range []bool{false, true} {
		t.Run(fmt.Sprintf("concurrent %v", concurrent), func(t *testing.T) {
			t.Parallel()
			f := newFltServer(t, nil)
			c := f.client(t, scimclient.Options{RequestsPerSecond: 20})
			ctx := context.Background()
			start := time.Now()
			var wg sync.WaitGroup
			for range 10 {
				check := func() {
					if err := c.Check(ctx); err != nil {
						t.Error(err)
					}
				}
				if !concurrent {
					check()
					continue
				}
				wg.Add(1)
				go func() { defer wg.Done(); check() }()
			}
			wg.Wait()
			elapsed := time.Since(start)
			if elapsed < 450*time.Millisecond || elapsed > 3*time.Second {
				t.Errorf("10 requests took %v, want at least 450ms", elapsed)
			}
			if got := f.count("GET /Groups"); got != 10 {
				t.Errorf("got %d requests, want 10", got)
			}
		})
	}
}
