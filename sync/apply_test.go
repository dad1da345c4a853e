package sync_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	gosync "sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/sync"
	"github.com/groupsync/groupsync/sync/targettest"
)

// recorder is a target that records every write it forwards.
type recorder struct {
	*targettest.Target
	mu     gosync.Mutex
	writes []string
	values []int // member values per write request
}

func (r *recorder) note(write string, values int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, write)
	r.values = append(r.values, values)
}

func (r *recorder) Create(ctx context.Context, c sync.Change) (sync.TargetGroup, error) {
	r.note("create "+c.Name, len(c.Add)+len(c.Remove))
	return r.Target.Create(ctx, c)
}

func (r *recorder) Update(ctx context.Context, id string, c sync.Change) error {
	r.note("update "+id, len(c.Add)+len(c.Remove))
	return r.Target.Update(ctx, id, c)
}

func (r *recorder) Delete(ctx context.Context, id string) error {
	r.note("delete "+id, 0)
	return r.Target.Delete(ctx, id)
}

// clock is a fake clock that advances a minute per reading.
type clock struct {
	mu gosync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Minute)
	return c.t
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)} }

type fixture struct {
	tgt   *targettest.Target
	rec   *recorder
	store *sync.MemStore
	clock *clock
	a     *sync.Applier
}

func newFixture(p sync.Policy) *fixture {
	f := &fixture{tgt: &targettest.Target{}, store: &sync.MemStore{}, clock: newClock()}
	f.rec = &recorder{Target: f.tgt}
	f.a = &sync.Applier{Policy: p, Target: f.rec, Store: f.store, Now: f.clock.Now}
	return f
}

func (f *fixture) sync(t *testing.T, in sync.Input) (sync.Plan, []sync.Status) {
	t.Helper()
	p, st, err := f.a.Sync(context.Background(), in)
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	return p, st
}

// find returns the target groups named name.
func (f *fixture) find(name string) []group.Group {
	var out []group.Group
	for _, g := range f.tgt.Groups() {
		if g.Name == name {
			out = append(out, g)
		}
	}
	return out
}

func (f *fixture) one(t *testing.T, name string) group.Group {
	t.Helper()
	gs := f.find(name)
	if len(gs) != 1 {
		t.Fatalf("target has %d groups named %q, want 1: %v", len(gs), name, f.tgt.Groups())
	}
	return gs[0]
}

func members(g group.Group) []string { return g.Members.Slice() }

func TestR3PushNewGroupLandsInDefaultType(t *testing.T) {
	f := newFixture(sync.Policy{})
	f.sync(t, sync.Input{Desired: []sync.SourceGroup{src("00g1", "Engineering", "u1", "u2")}})
	got := f.one(t, "Engineering")
	want := group.Group{ID: got.ID, ExternalID: "00g1", Name: "Engineering", Members: group.NewMembers("u1", "u2"),
		Origin: origin.Source, Type: targettest.DefaultType}
	if d := cmp.Diff(want, got, planOpts); d != "" {
		t.Errorf("pushed group (-want +got):\n%s", d)
	}
}

func TestR4LocalAttributesSurviveEverySync(t *testing.T) {
	f := newFixture(sync.Policy{})
	in := sync.Input{Desired: []sync.SourceGroup{src("00g1", "Engineering", "u1")}}
	f.sync(t, in)
	g := f.one(t, "Engineering")
	g.Type, g.Attributes = "Teams", map[string]string{"color": "blue"}
	f.tgt.Put(g)

	in.Desired = []sync.SourceGroup{src("00g1", "Platform", "u1", "u2")}
	f.sync(t, in)
	in.Force = true
	in.Desired = []sync.SourceGroup{src("00g1", "Platform", "u2")}
	f.sync(t, in)

	got, _ := f.tgt.Group(g.ID)
	want := group.Group{ID: g.ID, ExternalID: "00g1", Name: "Platform", Members: group.NewMembers("u2"),
		Origin: origin.Source, Type: "Teams", Attributes: map[string]string{"color": "blue"}}
	if d := cmp.Diff(want, got, planOpts); d != "" {
		t.Errorf("group after normal and force syncs (-want +got):\n%s", d)
	}
}

func TestR5AssociationOverwritesMembershipWithoutDuplicate(t *testing.T) {
	f := newFixture(sync.Policy{})
	id := f.tgt.Put(group.Group{Name: "Leadership", Origin: origin.Target, Type: "Teams", Members: group.NewMembers("u7", "u8")})
	f.sync(t, sync.Input{Desired: []sync.SourceGroup{src("00g2", "Leadership", "u1", "u8")}})
	got := f.one(t, "Leadership")
	want := group.Group{ID: id, ExternalID: "00g2", Name: "Leadership", Members: group.NewMembers("u1", "u8"),
		Origin: origin.Target, Type: "Teams"}
	if d := cmp.Diff(want, got, planOpts); d != "" {
		t.Errorf("associated group (-want +got):\n%s", d)
	}
	st, _ := f.store.Load(context.Background())
	if d := cmp.Diff([]sync.Link{{SourceID: "00g2", TargetID: id, Pushed: snap("Leadership", "u1", "u8")}}, st.Links, planOpts); d != "" {
		t.Errorf("stored link (-want +got):\n%s", d)
	}
}

func TestR5CreateThatAssociatesIsNotTakenForACreation(t *testing.T) {
	// The app group appears between the listing and the create: the target
	// associates (R5), and the link must not claim the push created it.
	f := newFixture(sync.Policy{Unlink: sync.Delete, MaxDeletes: -1})
	var id string
	f.tgt.Fail = func(method, name string) error {
		if method == "Create" && id == "" {
			id = f.tgt.Put(group.Group{Name: name, Origin: origin.Target})
		}
		return nil
	}
	f.sync(t, sync.Input{Desired: []sync.SourceGroup{src("00g2", "Leadership", "u1")}})
	f.sync(t, sync.Input{}) // the group leaves the push with the Delete action
	if _, ok := f.tgt.Group(id); !ok {
		t.Errorf("app group %s was deleted; an app-created group is only unlinked (R10)", id)
	}
}

func TestR8RequestsCarryAtMostMaxValues(t *testing.T) {
	f := newFixture(sync.Policy{MaxMembersPerRequest: 10})
	var m1, m2 []string
	for i := range 35 {
		m1 = append(m1, fmt.Sprintf("a%02d", i))
		m2 = append(m2, fmt.Sprintf("b%02d", i))
	}
	f.sync(t, sync.Input{Desired: []sync.SourceGroup{src("00g1", "Big", m1...)}})
	f.sync(t, sync.Input{Desired: []sync.SourceGroup{src("00g1", "Big", append(m1[:20:20], m2[:5]...)...)}})

	// 35 values: create + 3 updates; then 15 removes + 5 adds: 2 updates.
	if d := cmp.Diff([]int{10, 10, 10, 5, 10, 10}, f.rec.values); d != "" {
		t.Errorf("member values per request (-want +got):\n%s", d)
	}
	if d := cmp.Diff(append(m1[:20:20], m2[:5]...), members(f.one(t, "Big"))); d != "" {
		t.Errorf("members (-want +got):\n%s", d)
	}
}

func TestR8UnprovisionedMembersAreSkippedAndTheGroupGoesOn(t *testing.T) {
	f := newFixture(sync.Policy{})
	p, st := f.sync(t, sync.Input{
		Desired: []sync.SourceGroup{src("00g1", "Engineering", "alice", "bob")},
		Users:   map[string]string{"alice": "u-alice"},
	})
	if d := cmp.Diff([]string{"u-alice"}, members(f.one(t, "Engineering"))); d != "" {
		t.Errorf("members (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]sync.FindingKind{sync.MemberNotProvisioned}, kinds(p.Findings)); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
	if st[0].Outcome != sync.Created {
		t.Errorf("outcome %v, want created", st[0].Outcome)
	}
}

func TestR9RenameKeepsTheID(t *testing.T) {
	f := newFixture(sync.Policy{})
	f.sync(t, sync.Input{Desired: []sync.SourceGroup{src("00g1", "Engineering", "u1")}})
	id := f.one(t, "Engineering").ID
	f.sync(t, sync.Input{Desired: []sync.SourceGroup{src("00g1", "Platform", "u1")}})
	if got := f.one(t, "Platform").ID; got != id {
		t.Errorf("renamed group has id %s, want %s", got, id)
	}
	if d := cmp.Diff([]string{"create Engineering", "update " + id}, f.rec.writes); d != "" {
		t.Errorf("writes (-want +got):\n%s", d)
	}
}

func TestR10TooManyDeletesAppliesNothing(t *testing.T) {
	f := newFixture(sync.Policy{MaxDeletes: 1, Unlink: sync.Delete})
	f.sync(t, sync.Input{Desired: []sync.SourceGroup{src("a", "A"), src("b", "B")}})
	before, _ := f.store.Load(context.Background())
	writes := len(f.rec.writes)

	p, st, err := f.a.Sync(context.Background(), sync.Input{})
	if !errors.Is(err, sync.ErrTooManyDeletes) {
		t.Fatalf("Sync = %v, want ErrTooManyDeletes", err)
	}
	after, _ := f.store.Load(context.Background())
	if d := cmp.Diff(before.Links, after.Links, planOpts); d != "" {
		t.Errorf("links changed (-before +after):\n%s", d)
	}
	if len(f.rec.writes) != writes || len(f.tgt.Groups()) != 2 {
		t.Errorf("target changed: writes %v, groups %v", f.rec.writes[writes:], f.tgt.Groups())
	}
	// The attempt is recorded (R12): the plan, and the groups it would
	// have deleted as blocked.
	if after.LastPlan == nil || after.LastPlan.Len() != p.Len() {
		t.Errorf("refused plan not saved: %v", after.LastPlan)
	}
	for _, s := range st {
		if s.Outcome != sync.Blocked || s.Error == "" {
			t.Errorf("status of %s = %v %q, want blocked with the reason", s.Name, s.Outcome, s.Error)
		}
	}
	if len(st) != 2 {
		t.Errorf("%d statuses, want 2", len(st))
	}
}

func TestR10ReadOnlyDeleteIsOnlyUnlinked(t *testing.T) {
	// The link says the push created the group, but the target reports
	// it app-created and refuses the delete: the group is only unlinked.
	f := newFixture(sync.Policy{Unlink: sync.Delete})
	f.sync(t, sync.Input{Desired: []sync.SourceGroup{src("a", "A")}})
	g := f.one(t, "A")
	g.Origin = origin.Target
	f.tgt.Put(g)
	ctx := context.Background()
	st, _ := f.store.Load(ctx)
	p := sync.Plan{MaxMembersPerRequest: 100, Groups: []sync.GroupPlan{{SourceID: "a", TargetID: g.ID, Name: "A",
		Ops: []sync.Op{{Kind: sync.OpDelete}}}}}
	if !st.Links[0].Created {
		t.Fatal("setup: link does not record the creation")
	}
	statuses, err := f.a.Apply(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if statuses[0].Outcome != sync.Unlinked {
		t.Errorf("outcome %v, want unlinked", statuses[0].Outcome)
	}
	if _, ok := f.tgt.Group(g.ID); !ok {
		t.Error("the app's group was deleted")
	}
	if st, _ := f.store.Load(ctx); len(st.Links) != 0 {
		t.Errorf("link kept: %v", st.Links)
	}
}

func TestStalePlanDoesNotResurrectALink(t *testing.T) {
	f := newFixture(sync.Policy{})
	ctx := context.Background()
	in := sync.Input{Desired: []sync.SourceGroup{src("s1", "Eng", "u1")}}
	f.sync(t, in)
	in.Desired[0].Members = []string{"u2"}
	in.Force = true
	p, err := f.a.Plan(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.Unlink(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	writes := len(f.rec.writes)
	if _, err := f.a.Apply(ctx, p); !errors.Is(err, sync.ErrNotLinked) {
		t.Errorf("Apply of a plan whose link is gone = %v, want ErrNotLinked", err)
	}
	if st, _ := f.store.Load(ctx); len(st.Links) != 0 {
		t.Errorf("links after Apply: %+v, want none", st.Links)
	}
	if len(f.rec.writes) != writes {
		t.Errorf("target written: %v", f.rec.writes[writes:])
	}
}

func TestR11UnreadableMembersKeepPendingRemovals(t *testing.T) {
	f := newFixture(sync.Policy{})
	f.tgt.HideMembers = true
	in := sync.Input{Desired: []sync.SourceGroup{src("s1", "Eng", "u1", "u2", "u3")}}
	f.sync(t, in)
	in.Desired[0].Members = []string{"u1", "u2"}
	in.Force = true
	f.sync(t, in) // re-adds, removes nothing (R11)
	in.Force = false
	f.sync(t, in) // the snapshot still knows u3 is there
	if d := cmp.Diff([]string{"u1", "u2"}, members(f.one(t, "Eng"))); d != "" {
		t.Errorf("members (-want +got):\n%s", d)
	}
}

func TestDuplicateSourceIDDoesNotBlockTheValidGroup(t *testing.T) {
	f := newFixture(sync.Policy{})
	f.sync(t, sync.Input{Desired: []sync.SourceGroup{src("s1", "Eng")}})
	_, st := f.sync(t, sync.Input{Desired: []sync.SourceGroup{src("s1", "Eng"), src("s1", "Eng copy")}})
	if len(st) != 1 || st[0].Outcome != sync.Unchanged {
		t.Errorf("statuses %+v, want Eng left unchanged", st)
	}
}

func TestR11ForceSyncRemovesAHandAddedMember(t *testing.T) {
	f := newFixture(sync.Policy{})
	in := sync.Input{Desired: []sync.SourceGroup{src("00g1", "Engineering", "u1")}}
	f.sync(t, in)
	g := f.one(t, "Engineering")
	g.Members = g.Members.With("hand")
	f.tgt.Put(g)

	if p, _ := f.sync(t, in); p.Len() != 0 {
		t.Errorf("normal sync planned %d operations; it must not see hand changes:\n%s", p.Len(), p)
	}
	if d := cmp.Diff([]string{"hand", "u1"}, members(f.one(t, "Engineering"))); d != "" {
		t.Errorf("after normal sync (-want +got):\n%s", d)
	}
	in.Force = true
	f.sync(t, in)
	if d := cmp.Diff([]string{"u1"}, members(f.one(t, "Engineering"))); d != "" {
		t.Errorf("after force sync (-want +got):\n%s", d)
	}
	in.Force = false
	if p, _ := f.sync(t, in); p.Len() != 0 {
		t.Errorf("sync after force planned %d operations, want 0:\n%s", p.Len(), p)
	}
}

func TestR11MembershipUnreadableIsNotFatal(t *testing.T) {
	f := newFixture(sync.Policy{})
	f.tgt.HideMembers = true
	in := sync.Input{Desired: []sync.SourceGroup{src("00g1", "Engineering", "u1", "u2")}, Force: true}
	f.sync(t, sync.Input{Desired: in.Desired})
	p, st := f.sync(t, in)
	if d := cmp.Diff([]sync.FindingKind{sync.MembershipUnreadable}, kinds(p.Findings)); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
	if st[0].Outcome != sync.Updated {
		t.Errorf("outcome %v, want updated (members re-sent)", st[0].Outcome)
	}
	if d := cmp.Diff([]string{"u1", "u2"}, members(f.one(t, "Engineering"))); d != "" {
		t.Errorf("members (-want +got):\n%s", d)
	}
}

func TestR12StatusRecordsEveryAttempt(t *testing.T) {
	f := newFixture(sync.Policy{})
	fail := errors.New("boom")
	f.tgt.Fail = func(method, id string) error {
		if method == "Update" {
			return fail
		}
		return nil
	}
	ctx := context.Background()
	in := sync.Input{Desired: []sync.SourceGroup{src("00g1", "Engineering", "u1")}}
	f.sync(t, in) // 09:01 created
	in.Desired[0].Members = []string{"u2"}
	f.a.Sync(ctx, in) // 09:02 failed, pending since 09:02
	in.Force = true
	f.a.Sync(ctx, in) // 09:03 forced, failed, still pending since 09:02

	at := func(m int) time.Time { return time.Date(2026, 11, 2, 9, m, 0, 0, time.UTC) }
	st, _ := f.store.Load(ctx)
	id := f.one(t, "Engineering").ID
	want := []sync.Status{{SourceID: "00g1", TargetID: id, Name: "Engineering", LastAttempt: at(3), Forced: true,
		Outcome: sync.Failed, Cause: sync.CauseInternal, LastSuccess: at(1), PendingSince: at(2)}}
	if d := cmp.Diff(want, st.Statuses, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Error" }, cmp.Ignore())); d != "" {
		t.Errorf("statuses (-want +got):\n%s", d)
	}
	if st.Statuses[0].Error == "" {
		t.Error("failed status has no error")
	}

	f.tgt.Fail = nil
	in.Force = false
	f.sync(t, in) // 09:04 success
	st, _ = f.store.Load(ctx)
	want[0].LastAttempt, want[0].Forced, want[0].Outcome, want[0].LastSuccess, want[0].PendingSince = at(4), false, sync.Updated, at(4), time.Time{}
	want[0].Cause = 0 // a success has no cause of failure
	if d := cmp.Diff(want, st.Statuses); d != "" {
		t.Errorf("statuses after success (-want +got):\n%s", d)
	}
}

func TestR14ApplyingTwiceChangesNothing(t *testing.T) {
	f := newFixture(sync.Policy{})
	ctx := context.Background()
	f.tgt.Put(group.Group{Name: "Leadership", Origin: origin.Target, Members: group.NewMembers("x")})
	in := sync.Input{Desired: []sync.SourceGroup{src("00g1", "Engineering", "u1"), src("00g2", "Leadership", "u2")}}
	p, err := f.a.Plan(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.a.Apply(ctx, p); err != nil {
		t.Fatal(err)
	}
	groups := f.tgt.Groups()
	// The same plan again: the create is done already (the target answers
	// with the same group) and every member change is a no-op.
	if _, err := f.a.Apply(ctx, p); err != nil {
		t.Fatalf("second Apply: %v", err)
	}
	if d := cmp.Diff(groups, f.tgt.Groups(), planOpts); d != "" {
		t.Errorf("second Apply changed the target (-first +second):\n%s", d)
	}
	if p, _ := f.sync(t, in); p.Len() != 0 {
		t.Errorf("plan after applying has %d operations:\n%s", p.Len(), p)
	}
}

func TestR15FailuresAreIsolated(t *testing.T) {
	f := newFixture(sync.Policy{})
	f.tgt.Fail = func(method, name string) error {
		if method == "Create" && name == "Bad" {
			return errors.New("refused")
		}
		return nil
	}
	in := sync.Input{Desired: []sync.SourceGroup{src("a", "Alpha", "u1"), src("b", "Bad", "u1"), src("c", "Gamma", "u1")}}
	_, st, err := f.a.Sync(context.Background(), in)
	var ge *sync.GroupError
	if !errors.As(err, &ge) || ge.SourceID != "b" || ge.Op != "create" {
		t.Fatalf("Sync error = %v, want a GroupError for source group b", err)
	}
	got := map[string]sync.Outcome{}
	for _, s := range st {
		got[s.Name] = s.Outcome
	}
	if d := cmp.Diff(map[string]sync.Outcome{"Alpha": sync.Created, "Bad": sync.Failed, "Gamma": sync.Created}, got); d != "" {
		t.Errorf("outcomes (-want +got):\n%s", d)
	}
}

func TestR1NotConnectedWritesNothing(t *testing.T) {
	f := newFixture(sync.Policy{})
	f.tgt.Fail = func(string, string) error { return fmt.Errorf("401 Unauthorized: %w", sync.ErrNotConnected) }
	_, _, err := f.a.Sync(context.Background(), sync.Input{Desired: []sync.SourceGroup{src("a", "A")}})
	if !errors.Is(err, sync.ErrNotConnected) {
		t.Fatalf("Sync = %v, want ErrNotConnected", err)
	}
	st, _ := f.store.Load(context.Background())
	if d := cmp.Diff(sync.State{}, st, planOpts); d != "" {
		t.Errorf("store written (-want +got):\n%s", d)
	}
}

func TestR8RefusedMembersAreRetriedOneByOneAndSkipped(t *testing.T) {
	f := newFixture(sync.Policy{})
	f.tgt.Accept = func(m string) bool { return m != "ghost" && m != "gone" }
	// No user mapping: the target decides.
	_, st := f.sync(t, sync.Input{Desired: []sync.SourceGroup{src("00g1", "Engineering", "u1", "ghost", "u2")}})
	if d := cmp.Diff([]string{"u1", "u2"}, members(f.one(t, "Engineering"))); d != "" {
		t.Errorf("members (-want +got):\n%s", d)
	}
	if st[0].Outcome != sync.Created || !slices.Equal(st[0].Refused, []string{"ghost"}) {
		t.Errorf("status %+v, want created with ghost refused", st[0])
	}
	// The refused member is not recorded as pushed, so the next sync tries
	// it again, beside a rename and real changes.
	_, st = f.sync(t, sync.Input{Desired: []sync.SourceGroup{src("00g1", "Platform", "u1", "ghost", "gone", "u3")}})
	if d := cmp.Diff([]string{"u1", "u3"}, members(f.one(t, "Platform"))); d != "" {
		t.Errorf("members after update (-want +got):\n%s", d)
	}
	if st[0].Outcome != sync.Updated || !slices.Equal(st[0].Refused, []string{"ghost", "gone"}) {
		t.Errorf("status %+v, want updated with ghost and gone refused", st[0])
	}
	state, _ := f.store.Load(context.Background())
	if got := state.Links[0].Pushed; got.Name != "Platform" || !slices.Equal(got.Members.Slice(), []string{"u1", "u3"}) {
		t.Errorf("snapshot %q %v, want what the target holds", got.Name, got.Members.Slice())
	}
}

func TestApplyConcurrentlyMatchesSequential(t *testing.T) {
	var desired []sync.SourceGroup
	for i := range 40 {
		desired = append(desired, src(fmt.Sprintf("s%02d", i), fmt.Sprintf("Group %02d", i), "u1", fmt.Sprintf("u%d", i)))
	}
	results := map[int][]sync.Status{}
	for _, n := range []int{1, 8} {
		f := newFixture(sync.Policy{})
		f.a.Concurrency = n
		var calls, last int
		f.a.Progress = func(done, total int, s sync.Status) {
			calls++
			if done != last+1 || total != 40 {
				t.Errorf("progress %d/%d after %d", done, total, last)
			}
			last = done
		}
		_, st := f.sync(t, sync.Input{Desired: desired})
		if calls != 40 {
			t.Errorf("concurrency %d: %d progress calls, want 40", n, calls)
		}
		for i := range st {
			st[i].TargetID, st[i].LastAttempt, st[i].LastSuccess = "", time.Time{}, time.Time{}
		}
		results[n] = st
		if len(f.tgt.Groups()) != 40 {
			t.Errorf("concurrency %d: %d groups on the target, want 40", n, len(f.tgt.Groups()))
		}
	}
	if d := cmp.Diff(results[1], results[8]); d != "" {
		t.Errorf("statuses differ between 1 and 8 workers (-1 +8):\n%s", d)
	}
}

func TestSyncRunsNeverInterleave(t *testing.T) {
	f := newFixture(sync.Policy{})
	ctx := context.Background()
	release, err := f.store.Lease(ctx, "another run", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	in := sync.Input{Desired: []sync.SourceGroup{src("s1", "Eng")}}
	_, _, err = f.a.Sync(ctx, in)
	var le *sync.LeaseError
	if !errors.As(err, &le) || le.Owner != "another run" || !errors.Is(err, sync.ErrLeaseHeld) {
		t.Fatalf("Sync while another run holds the lease = %v, want a LeaseError naming it", err)
	}
	if len(f.tgt.Groups()) != 0 {
		t.Fatal("Sync pushed without the lease")
	}
	// With a wait, the run goes on once the lease is given back.
	f.a.LeaseWait = 5 * time.Second
	go func() {
		time.Sleep(100 * time.Millisecond)
		_ = release(ctx)
	}()
	if _, _, err := f.a.Sync(ctx, in); err != nil {
		t.Fatalf("Sync after waiting: %v", err)
	}
	// And gives its own lease back.
	if _, err := f.store.Lease(ctx, "next run", time.Hour); err != nil {
		t.Errorf("lease after a run: %v", err)
	}
}

// A run longer than the lease's TTL keeps renewing it: no second run can
// start meanwhile.
func TestLeaseIsRenewedDuringALongRun(t *testing.T) {
	f := newFixture(sync.Policy{})
	f.a.LeaseTTL = 150 * time.Millisecond
	f.tgt.Fail = func(method, _ string) error {
		if method == "Create" {
			time.Sleep(80 * time.Millisecond)
		}
		return nil
	}
	var desired []sync.SourceGroup
	for i := range 6 {
		desired = append(desired, src(fmt.Sprintf("s%d", i), fmt.Sprintf("G%d", i)))
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := f.a.Sync(context.Background(), sync.Input{Desired: desired})
		done <- err
	}()
	time.Sleep(300 * time.Millisecond) // twice the TTL into the run
	other := &sync.Applier{Target: f.tgt, Store: f.store}
	if _, unlock, err := other.Lock(context.Background()); !errors.Is(err, sync.ErrLeaseHeld) {
		if err == nil {
			unlock()
		}
		t.Errorf("a second run could take the lease %s into a run: %v", 300*time.Millisecond, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// A request the target has applied is recorded even when the run is
// cancelled meanwhile (R12), and no further group starts.
func TestCancelledRunKeepsWhatWasApplied(t *testing.T) {
	f := newFixture(sync.Policy{})
	f.sync(t, sync.Input{Desired: []sync.SourceGroup{src("s1", "A", "u1"), src("s2", "B", "u1")}})
	ctx, cancel := context.WithCancel(context.Background())
	f.a.Target = cancelling{f.rec, cancel}
	_, _, err := f.a.Sync(ctx, sync.Input{Desired: []sync.SourceGroup{src("s1", "A", "u1", "u2"), src("s2", "B", "u1", "u2")}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Sync of a cancelled run = %v, want an error wrapping context.Canceled", err)
	}
	st, _ := f.store.Load(context.Background())
	if !st.Links[0].Pushed.Members.Contains("u2") {
		t.Errorf("the applied update of A is not recorded: %v", st.Links[0].Pushed.Members.Slice())
	}
	if st.Links[1].Pushed.Members.Contains("u2") || f.one(t, "B").Members.Contains("u2") {
		t.Error("group B was pushed after the run was cancelled")
	}
}

// cancelling cancels the run once the target has applied an update.
type cancelling struct {
	*recorder
	cancel context.CancelFunc
}

func (c cancelling) Update(ctx context.Context, id string, ch sync.Change) error {
	err := c.recorder.Update(ctx, id, ch)
	c.cancel()
	return err
}
