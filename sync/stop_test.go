package sync_test

import (
	"context"
	"errors"
	"fmt"
	gosync "sync"
	"testing"
	"time"

	"github.com/groupsync/groupsync/sync"
)

// desiredN returns n source groups G000… with one member each.
func desiredN(n int) []sync.SourceGroup {
	out := make([]sync.SourceGroup, n)
	for i := range out {
		out[i] = src(fmt.Sprintf("00g%03d", i), fmt.Sprintf("G%03d", i), "u1")
	}
	return out
}

// outcomes counts statuses by outcome.
func outcomes(sts []sync.Status) map[sync.Outcome]int {
	m := map[sync.Outcome]int{}
	for _, s := range sts {
		m[s.Outcome]++
	}
	return m
}

// R19: once MaxUnavailable groups in a row fail with the target
// unavailable, the run starts no more groups: everything applied so far is
// recorded, every group not attempted has a status that says so and keeps
// its changes pending, the error wraps ErrUnavailable, and the next run
// resumes and converges.
func TestR19UnavailableTargetStopsTheRun(t *testing.T) {
	f := newFixture(sync.Policy{})
	var mu gosync.Mutex
	creates, down := 0, false
	f.tgt.Fail = func(method, id string) error {
		mu.Lock()
		defer mu.Unlock()
		if method == "Create" {
			creates++
			if creates > 7 {
				down = true
			}
		}
		if down {
			return fmt.Errorf("POST /Groups: connection refused: %w", sync.ErrUnavailable)
		}
		return nil
	}
	f.a.MaxUnavailable = 3
	in := sync.Input{Desired: desiredN(40)}
	_, sts, err := f.a.Sync(context.Background(), in)
	if !errors.Is(err, sync.ErrUnavailable) {
		t.Fatalf("Sync against a target that went down = %v, want an error wrapping ErrUnavailable", err)
	}
	got := outcomes(sts)
	if got[sync.Created] != 7 || got[sync.Failed] != 3 || got[sync.NotAttempted] != 30 || len(sts) != 40 {
		t.Fatalf("outcomes %v of %d statuses, want 7 created, 3 failed (the limit), 30 not attempted", got, len(sts))
	}
	if f.rec.writes == nil || len(f.tgt.Groups()) != 7 {
		t.Errorf("target holds %d groups, want the 7 created before it went down", len(f.tgt.Groups()))
	}
	st, _ := f.store.Load(context.Background())
	if len(st.Links) != 7 {
		t.Errorf("store holds %d links, want the 7 created", len(st.Links))
	}
	for _, s := range st.Statuses {
		switch s.Outcome {
		case sync.NotAttempted:
			if s.Cause != sync.CauseUnavailable || s.PendingSince.IsZero() || s.Error == "" || !s.LastAttempt.IsZero() {
				t.Errorf("status of a group not attempted = %+v, want cause unavailable, changes pending, the reason, and no attempt", s)
			}
		case sync.Failed:
			if s.Cause != sync.CauseUnavailable || s.PendingSince.IsZero() {
				t.Errorf("status of a group that failed = %+v, want cause unavailable and changes pending", s)
			}
		}
	}

	// The target is back: the next run resumes with the 33 groups left.
	mu.Lock()
	down, creates = false, -1000
	mu.Unlock()
	_, sts, err = f.a.Sync(context.Background(), in)
	if err != nil {
		t.Fatalf("run after the target came back: %v", err)
	}
	if got := outcomes(sts); got[sync.Created] != 33 || got[sync.Unchanged] != 7 {
		t.Errorf("outcomes after the target came back %v, want 33 created and 7 unchanged", got)
	}
	if p, err := f.a.Plan(context.Background(), in); err != nil || p.Len() != 0 {
		t.Errorf("plan after resuming: %v, %d operations, want none", err, p.Len())
	}
}

// R19: a success or a permanent refusal between unavailable failures
// resets the count: the target answers, so the run goes on.
func TestR19OnlyFailuresInARowStopTheRun(t *testing.T) {
	f := newFixture(sync.Policy{})
	f.tgt.Fail = func(method, id string) error {
		if method != "Create" {
			return nil
		}
		var n int
		fmt.Sscanf(id, "G%d", &n)
		switch n % 3 {
		case 0:
			return fmt.Errorf("503: %w", sync.ErrUnavailable)
		case 1:
			return fmt.Errorf("400: %w", sync.ErrMemberRefused)
		}
		return nil
	}
	f.a.MaxUnavailable = 2
	_, sts, err := f.a.Sync(context.Background(), sync.Input{Desired: desiredN(30)})
	if err == nil {
		t.Fatal("Sync with failing groups returned no error")
	}
	if got := outcomes(sts); got[sync.NotAttempted] != 0 || got[sync.Failed]+got[sync.Created] != 30 {
		t.Errorf("outcomes %v, want every group attempted: no two unavailable failures were in a row", got)
	}
}

// deadlineTarget is slow: every write takes a while, unless ctx ends first.
type deadlineTarget struct {
	sync.Target
	delay time.Duration
}

func (d deadlineTarget) Create(ctx context.Context, c sync.Change) (sync.TargetGroup, error) {
	select {
	case <-time.After(d.delay):
	case <-ctx.Done():
		return sync.TargetGroup{}, ctx.Err()
	}
	return d.Target.Create(ctx, c)
}

// R19: when the run's deadline passes, the groups not attempted say so and
// the error wraps ErrUnavailable and context.DeadlineExceeded.
func TestR19DeadlineStopsTheRun(t *testing.T) {
	f := newFixture(sync.Policy{})
	f.a.Target = deadlineTarget{Target: f.tgt, delay: 20 * time.Millisecond}
	in := sync.Input{Desired: desiredN(200)}
	p, err := f.a.Plan(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	sts, err := f.a.Apply(ctx, p)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Apply took %v past a deadline of 150ms", took)
	}
	if !errors.Is(err, sync.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Apply past its deadline = %v, want an error wrapping ErrUnavailable and DeadlineExceeded", err)
	}
	got := outcomes(sts)
	if got[sync.Created] == 0 || got[sync.NotAttempted] == 0 || len(sts) != 200 {
		t.Errorf("outcomes %v of %d statuses, want some created, the rest not attempted, all 200 recorded", got, len(sts))
	}
	f.a.Target = f.tgt // fast again
	_, sts, err = f.a.Sync(context.Background(), in)
	if err != nil || outcomes(sts)[sync.Unchanged] != got[sync.Created] {
		t.Errorf("next run: %v, outcomes %v; want it to resume", err, outcomes(sts))
	}
}

// R21: Only plans and applies just the named groups: no unlink or delete
// of any other, and the delete limit counts what is planned.
func TestR21PushOnDemand(t *testing.T) {
	f := newFixture(sync.Policy{Unlink: sync.Delete, MaxDeletes: 1})
	all := desiredN(5)
	f.sync(t, sync.Input{Desired: all})

	// Push G001 now, with a new member; the source passes only that group.
	g1 := src("00g001", "G001", "u1", "u2")
	p, sts := f.sync(t, sync.Input{Desired: []sync.SourceGroup{g1}, Only: []string{"00g001"}})
	if len(p.Groups) != 1 || p.Groups[0].SourceID != "00g001" || len(sts) != 1 || sts[0].Outcome != sync.Updated {
		t.Fatalf("push now of G001: plan\n%s\nstatuses %+v; want G001 alone, updated", p, sts)
	}
	if got := len(f.tgt.Groups()); got != 5 {
		t.Errorf("after a push now, the target holds %d groups, want all 5: no other group is unlinked or deleted", got)
	}
	st, _ := f.store.Load(context.Background())
	if len(st.Links) != 5 || len(st.Statuses) != 5 || st.LastPlan == nil || len(st.LastPlan.Groups) != 5 {
		t.Errorf("after a push now: %d links, %d statuses, last plan %v; want every group's kept", len(st.Links), len(st.Statuses), st.LastPlan)
	}

	// Two named groups left the source: two deletes, over the limit of 1,
	// although three other linked groups are absent too.
	p, err := f.a.Plan(context.Background(), sync.Input{Only: []string{"00g002", "00g003"}})
	if err != nil {
		t.Fatal(err)
	}
	var tmd []sync.Finding
	for _, fd := range p.Findings {
		if fd.Kind == sync.TooManyDeletes {
			tmd = append(tmd, fd)
		}
	}
	if len(tmd) != 1 || tmd[0].Count != 2 {
		t.Errorf("findings %v, want one too-many-deletes counting the 2 named groups", p.Findings)
	}

	// One named leaver is within the limit and deleted; an unknown id is
	// reported.
	p, sts = f.sync(t, sync.Input{Only: []string{"00g004", "nope"}})
	if len(sts) != 1 || sts[0].Outcome != sync.Deleted || len(f.tgt.Groups()) != 4 {
		t.Errorf("push now of a group that left: statuses %+v, %d groups; want it deleted, 4 left", sts, len(f.tgt.Groups()))
	}
	if k := kinds(p.Findings); len(k) != 1 || k[0] != sync.Invalid {
		t.Errorf("findings %v, want one invalid finding for the unknown id", p.Findings)
	}
	// An empty Only plans nothing.
	if p, err := f.a.Plan(context.Background(), sync.Input{Only: []string{}}); err != nil || len(p.Groups) != 0 {
		t.Errorf("plan of an empty Only: %v, %d groups, want none", err, len(p.Groups))
	}
}
