package scimclient_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/groupsync/groupsync/scimx/scimclient"
	groupsync "github.com/groupsync/groupsync/sync"
)

// These tests pin R19 over real HTTP: a target that goes down in the middle
// of a push (killed, answering 503 forever, or no longer answering at all)
// stops the run soon, with everything applied so far recorded, the rest not
// attempted and pending, an error wrapping ErrUnavailable, and a next run
// that resumes.

// downServer is the real scimx server behind a switch: after `after`
// creates, it goes down the way `mode` says.
type downServer struct {
	ts      *httptest.Server
	creates atomic.Int64
	after   int64
	mode    atomic.Int32 // 0 up, else the way it is down
	once    sync.Once
	killed  chan time.Time
}

const (
	up = iota
	killed
	answer503
	stalled
)

func newDownServer(t *testing.T, after int64, mode int32) *downServer {
	t.Helper()
	real := newServer(t)
	d := &downServer{after: after, killed: make(chan time.Time, 1)}
	quit := make(chan struct{})
	d.ts = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The server goes down as the request after the last create
		// arrives, so that the answers to the creates it applied are all
		// delivered: a kill in the middle of an answer would lose it, and
		// the client rightly count that group as failed.
		if d.creates.Load() >= d.after {
			d.once.Do(func() { d.goDown(mode) })
		}
		switch d.mode.Load() {
		case answer503:
			fltFail(w, http.StatusServiceUnavailable)
			return
		case stalled:
			select { // until the client gives up, or the test ends
			case <-r.Context().Done():
			case <-quit:
			}
			return
		}
		if d.mode.Load() == killed {
			return // its connection is closed
		}
		real.Handler.ServeHTTP(w, r)
		if r.Method == http.MethodPost {
			d.creates.Add(1)
		}
	}))
	d.ts.Start()
	t.Cleanup(d.ts.Close)
	t.Cleanup(func() { close(quit) }) // before Close, which waits for the handlers
	return d
}

// goDown takes the server down and records when.
func (d *downServer) goDown(mode int32) {
	d.mode.Store(mode)
	if mode == killed {
		d.ts.Listener.Close() // new connections are refused
		d.ts.CloseClientConnections()
	}
	d.killed <- time.Now()
}

func (d *downServer) client(t *testing.T, opts scimclient.Options) *scimclient.Client {
	t.Helper()
	opts.Auth = scimclient.Bearer(tokenA)
	c, err := scimclient.New(d.ts.URL+"/scim/v2", opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func manyGroups(n int) groupsync.Input {
	var in groupsync.Input
	for i := range n {
		in.Desired = append(in.Desired, groupsync.SourceGroup{
			ID: fmt.Sprintf("00g%04d", i), Name: fmt.Sprintf("Group %04d", i), Members: []string{"u1"}})
	}
	return in
}

// checkStopped checks the statuses and the store after a run that stopped.
func checkStopped(t *testing.T, err error, sts []groupsync.Status, store *groupsync.MemStore, total, minCreated int) {
	t.Helper()
	if !errors.Is(err, groupsync.ErrUnavailable) {
		t.Errorf("run against a target that went down = %v, want an error wrapping ErrUnavailable", err)
	}
	counts := map[groupsync.Outcome]int{}
	for _, s := range sts {
		counts[s.Outcome]++
		if s.Outcome == groupsync.NotAttempted && (s.PendingSince.IsZero() || s.Cause != groupsync.CauseUnavailable) {
			t.Errorf("group %s not attempted: status %+v, want changes pending and cause unavailable", s.Name, s)
		}
	}
	if len(sts) != total || counts[groupsync.Created] < minCreated || counts[groupsync.NotAttempted] == 0 ||
		counts[groupsync.Created]+counts[groupsync.Failed]+counts[groupsync.NotAttempted] != total {
		t.Errorf("outcomes %v of %d statuses, want all %d recorded: at least %d created, the rest failed or not attempted",
			counts, len(sts), total, minCreated)
	}
	st, lerr := store.Load(context.Background())
	if lerr != nil || len(st.Links) != counts[groupsync.Created] || len(st.Statuses) != total {
		t.Errorf("store: %v, %d links, %d statuses; want a link per created group and a status per group",
			lerr, len(st.Links), len(st.Statuses))
	}
}

// R19: killed in the middle of a 2,000-group push, with default settings,
// the target ends the run in under 60 s.
func TestR19KilledTargetStopsTheRunWithDefaults(t *testing.T) {
	d := newDownServer(t, 177, killed)
	store := &groupsync.MemStore{}
	a := &groupsync.Applier{Target: d.client(t, scimclient.Options{}), Store: store}
	_, sts, err := a.Sync(context.Background(), manyGroups(2000))
	end := time.Now()
	var at time.Time
	select {
	case at = <-d.killed:
	default:
		t.Fatalf("the target was never killed: %v", err)
	}
	took := end.Sub(at)
	t.Logf("the run ended %v after the target was killed", took.Round(time.Millisecond))
	if took > 60*time.Second {
		t.Errorf("the run ended %v after the target was killed, want under 60 s", took)
	}
	checkStopped(t, err, sts, store, 2000, 177)
}

// R19: a target that answers 503 to everything stops the run within about
// UnavailableAfter; once it answers again, the next run resumes and
// converges.
func TestR19Answering503ForeverStopsTheRun(t *testing.T) {
	d := newDownServer(t, 20, answer503)
	store := &groupsync.MemStore{}
	a := &groupsync.Applier{Target: d.client(t, scimclient.Options{UnavailableAfter: time.Second}), Store: store, Concurrency: 4}
	in := manyGroups(200)
	start := time.Now()
	_, sts, err := a.Sync(context.Background(), in)
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("the run took %v against a target answering 503, want about a second past the outage", took)
	}
	checkStopped(t, err, sts, store, 200, 20)
	saw503 := false
	for _, s := range sts {
		if s.Outcome == groupsync.Failed && s.Cause != groupsync.CauseUnavailable {
			t.Errorf("failed group %s: cause %v, want unavailable", s.Name, s.Cause)
		}
		saw503 = saw503 || s.TargetStatus == http.StatusServiceUnavailable
	}
	if !saw503 {
		t.Errorf("no status recorded the target's 503")
	}

	d.mode.Store(up)
	_, sts, err = a.Sync(context.Background(), in)
	if err != nil {
		t.Fatalf("run after the target came back: %v", err)
	}
	for _, s := range sts {
		if s.Outcome != groupsync.Created && s.Outcome != groupsync.Unchanged {
			t.Errorf("group %s was %v after the target came back, want created or unchanged", s.Name, s.Outcome)
		}
	}
	if p, err := a.Plan(context.Background(), in); err != nil || p.Len() != 0 {
		t.Errorf("plan after resuming: %v, %d operations, want none", err, p.Len())
	}
}

// R19: a target that stops answering (requests hang) stops the run once
// the attempts' timeouts and UnavailableAfter have passed.
func TestR19StalledTargetStopsTheRun(t *testing.T) {
	d := newDownServer(t, 20, stalled)
	store := &groupsync.MemStore{}
	c := d.client(t, scimclient.Options{Timeout: 500 * time.Millisecond, UnavailableAfter: time.Second})
	a := &groupsync.Applier{Target: c, Store: store, Concurrency: 4}
	start := time.Now()
	_, sts, err := a.Sync(context.Background(), manyGroups(200))
	t.Logf("the run took %v", time.Since(start))
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("the run took %v against a stalled target, want a few seconds", took)
	}
	checkStopped(t, err, sts, store, 200, 20)
}
