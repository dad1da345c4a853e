// Package storetest checks implementations of [groupsync.Store], the way
// testing/fstest checks file systems: [TestStore] runs the behaviour every
// store must have, for [groupsync.MemStore] and the durable stores alike,
// and returns nil or an error that names every check the store failed.
//
// A test of a store calls it with a function that returns a new, empty
// store; a store that needs a database of its own for each check opens one
// there, say in a t.TempDir():
//
//	func TestStore(t *testing.T) {
//		err := storetest.TestStore(t.Context(), func() (groupsync.Store, error) {
//			db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "sync.db")+"?_pragma=busy_timeout(10000)")
//			if err != nil {
//				return nil, err
//			}
//			t.Cleanup(func() { db.Close() })
//			s := sqlstore.New(db, sqldialect.SQLite)
//			return s, s.Migrate(t.Context())
//		})
//		if err != nil {
//			t.Fatal(err)
//		}
//	}
//
// This package imports the standard library's sync as well, so it imports
// github.com/groupsync/groupsync/sync as groupsync.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/internal/conformance"
	groupsync "github.com/groupsync/groupsync/sync"
)

// TestStore checks that stores that newStore returns keep the
// [groupsync.Store] contract, the way testing/fstest.TestFS checks a file
// system. It runs each check on a new store, one check after another, and
// returns nil or an error that lists every failed check by name with its
// failures. An error from newStore ends the run: TestStore reports it as
// the failure of the check the store was for, wrapped, and runs no other
// check. So does a cancelled ctx, which every check passes to the store.
//
// newStore must return a new, empty store each time. TestStore calls it
// on the goroutine that called TestStore, never concurrently, so a
// function that closes over a *testing.T may call its TempDir, Cleanup,
// Fatal and Skip.
//
// Stores must keep what they are given exactly, with two allowances: times
// need only be [time.Time.Equal] to the ones stored (a store may return
// them in another location, such as UTC), and an empty slice may come back
// as nil or the other way round (a store may encode a plan as JSON, whose
// omitempty drops empty slices).
func TestStore(ctx context.Context, newStore func() (groupsync.Store, error)) error {
	return conformance.Run(ctx, "storetest", checks, newStore)
}

// checks are the checks of [TestStore], in the order it runs them.
var checks = []conformance.Check[groupsync.Store]{
	{Name: "Empty", Run: testEmpty},
	{Name: "Link", Run: testLink},
	{Name: "Pushed", Run: testPushed},
	{Name: "PushedNotLinked", Run: testPushedNotLinked},
	{Name: "Unlink", Run: testUnlink},
	{Name: "SetStatus", Run: testSetStatus},
	{Name: "SavePlan", Run: testSavePlan},
	{Name: "LoadSorts", Run: testLoadSorts},
	{Name: "LoadReturnsCopies", Run: testLoadReturnsCopies},
	{Name: "StoreKeepsCopies", Run: testStoreKeepsCopies},
	{Name: "Lease", Run: testLease},
	{Name: "LeaseExpires", Run: testLeaseExpires},
	{Name: "ConcurrentUseLosesNothing", Run: testConcurrent},
	{Name: "LargeSnapshot", Run: testLargeSnapshot},
}

// recorder is what a check reports to, a part of [testing.TB].
type recorder = conformance.T

// opts compare what a store returned with what it was given: Members and
// times by their Equal methods (which cmp uses by itself), nil and empty
// slices alike.
var opts = cmp.Options{cmpopts.EquateEmpty()}

func load(t recorder, s groupsync.Store) groupsync.State {
	t.Helper()
	st, err := s.Load(t.Context())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return st
}

func link(t recorder, s groupsync.Store, l groupsync.Link) {
	t.Helper()
	if err := s.Link(t.Context(), l); err != nil {
		t.Fatalf("Link %s: %v", l.SourceID, err)
	}
}

func pushed(t recorder, s groupsync.Store, sourceID string, c groupsync.Change) {
	t.Helper()
	if err := s.Pushed(t.Context(), sourceID, c); err != nil {
		t.Fatalf("Pushed %s: %v", sourceID, err)
	}
}

func setStatus(t recorder, s groupsync.Store, st groupsync.Status) {
	t.Helper()
	if err := s.SetStatus(t.Context(), st); err != nil {
		t.Fatalf("SetStatus %s: %v", st.SourceID, err)
	}
}

func savePlan(t recorder, s groupsync.Store, p groupsync.Plan) {
	t.Helper()
	if err := s.SavePlan(t.Context(), p); err != nil {
		t.Fatalf("SavePlan: %v", err)
	}
}

// wantLinks compares the links a store holds with want.
func wantLinks(t recorder, s groupsync.Store, want []groupsync.Link) {
	t.Helper()
	if diff := cmp.Diff(want, load(t, s).Links, opts); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
}

func snapshot(name string, members ...string) *groupsync.Snapshot {
	return &groupsync.Snapshot{Name: name, Members: group.NewMembers(members...)}
}

func testEmpty(t recorder, s groupsync.Store) {
	st := load(t, s)
	if len(st.Links) != 0 || len(st.Statuses) != 0 || st.LastPlan != nil {
		t.Errorf("Load of an empty store = %+v, want no links, no statuses and a nil plan", st)
	}
}

func testLink(t recorder, s groupsync.Store) {
	a := groupsync.Link{SourceID: "a", TargetID: "t1", Created: true, Pushed: snapshot("Eng", "u2", "u1")}
	b := groupsync.Link{SourceID: "b", TargetID: "t2"}
	link(t, s, a)
	link(t, s, b)
	wantLinks(t, s, []groupsync.Link{a, b})
	if got := load(t, s).Links[1].Pushed; got != nil {
		t.Errorf("link stored without a snapshot has snapshot %+v, want nil: nil means unknown", got)
	}

	// Link replaces by source id, snapshot and all.
	a2 := groupsync.Link{SourceID: "a", TargetID: "t3", Pushed: snapshot("Platform", "u3")}
	link(t, s, a2)
	wantLinks(t, s, []groupsync.Link{a2, b})

	// Replacing with no snapshot leaves none, and no members behind.
	a3 := groupsync.Link{SourceID: "a", TargetID: "t3", Created: true}
	link(t, s, a3)
	wantLinks(t, s, []groupsync.Link{a3, b})
	pushed(t, s, "a", groupsync.Change{Add: []string{"u9"}})
	a3.Pushed = snapshot("", "u9")
	wantLinks(t, s, []groupsync.Link{a3, b})

	// An empty snapshot is a snapshot, not an unknown one.
	b2 := groupsync.Link{SourceID: "b", TargetID: "t2", Pushed: &groupsync.Snapshot{}}
	link(t, s, b2)
	if got := load(t, s).Links[1].Pushed; got == nil {
		t.Errorf("link stored with an empty snapshot has a nil snapshot, want an empty one")
	}
}

func testPushed(t recorder, s groupsync.Store) {
	link(t, s, groupsync.Link{SourceID: "a", TargetID: "t1", Pushed: snapshot("Eng", "u1", "u2", "u3")})
	link(t, s, groupsync.Link{SourceID: "b", TargetID: "t2"})
	link(t, s, groupsync.Link{SourceID: "c", TargetID: "t3", Pushed: snapshot("Ops", "u1")})

	// Remove applies first, so a value in both ends up a member; removing an
	// absent member and adding a present one change nothing.
	pushed(t, s, "a", groupsync.Change{Name: "Platform", ExternalID: "a", Remove: []string{"u1", "u5", "u4"}, Add: []string{"u4", "u2", "u4"}})
	// An empty name keeps the snapshot's name.
	pushed(t, s, "c", groupsync.Change{Remove: []string{"u1"}})
	// A link without a snapshot starts from an empty one.
	pushed(t, s, "b", groupsync.Change{Name: "Sales", Add: []string{"u7"}})
	wantLinks(t, s, []groupsync.Link{
		{SourceID: "a", TargetID: "t1", Pushed: snapshot("Platform", "u2", "u3", "u4")},
		{SourceID: "b", TargetID: "t2", Pushed: snapshot("Sales", "u7")},
		{SourceID: "c", TargetID: "t3", Pushed: snapshot("Ops")},
	})
}

func testPushedNotLinked(t recorder, s groupsync.Store) {
	err := s.Pushed(t.Context(), "nope", groupsync.Change{Name: "Eng", Add: []string{"u1"}})
	if !errors.Is(err, groupsync.ErrNotLinked) {
		t.Errorf("Pushed of an unlinked source id = %v, want an error wrapping ErrNotLinked", err)
	}
	if st := load(t, s); len(st.Links) != 0 {
		t.Errorf("Pushed of an unlinked source id left links %+v, want none", st.Links)
	}
	link(t, s, groupsync.Link{SourceID: "a", TargetID: "t1", Pushed: snapshot("Eng", "u1")})
	if err := s.Unlink(t.Context(), "a"); err != nil {
		t.Fatalf("Unlink: %v", err)
	}
	err = s.Pushed(t.Context(), "a", groupsync.Change{Add: []string{"u2"}})
	if !errors.Is(err, groupsync.ErrNotLinked) {
		t.Errorf("Pushed after Unlink = %v, want an error wrapping ErrNotLinked", err)
	}
}

func testUnlink(t recorder, s groupsync.Store) {
	link(t, s, groupsync.Link{SourceID: "a", TargetID: "t1", Pushed: snapshot("Eng", "u1", "u2")})
	b := groupsync.Link{SourceID: "b", TargetID: "t2", Pushed: snapshot("Ops", "u1")}
	link(t, s, b)
	if err := s.Unlink(t.Context(), "a"); err != nil {
		t.Fatalf("Unlink: %v", err)
	}
	wantLinks(t, s, []groupsync.Link{b})
	if err := s.Unlink(t.Context(), "nope"); err != nil {
		t.Errorf("Unlink of a source id without a link = %v, want nil: there is nothing to drop", err)
	}
	// The snapshot went with the link: linking again without one finds none.
	a := groupsync.Link{SourceID: "a", TargetID: "t1"}
	link(t, s, a)
	wantLinks(t, s, []groupsync.Link{a, b})
	pushed(t, s, "a", groupsync.Change{Add: []string{"u3"}})
	a.Pushed = snapshot("", "u3")
	wantLinks(t, s, []groupsync.Link{a, b})
}

// statuses returns a status of every outcome, with every field set but for
// the last, which leaves the optional ones zero.
func statuses() []groupsync.Status {
	zone := time.FixedZone("UTC+1", 3600)
	at := time.Date(2025, 3, 4, 5, 6, 7, 123456789, zone)
	outcomes := []groupsync.Outcome{
		groupsync.Unchanged, groupsync.Created, groupsync.Linked, groupsync.Updated,
		groupsync.Unlinked, groupsync.Deleted, groupsync.Blocked, groupsync.Failed,
		groupsync.NotAttempted,
	}
	var out []groupsync.Status
	for i, o := range outcomes {
		out = append(out, groupsync.Status{
			SourceID:     fmt.Sprintf("s%d", i),
			TargetID:     fmt.Sprintf("t%d", i),
			Name:         fmt.Sprintf("Group %d", i),
			LastAttempt:  at.Add(time.Duration(i) * time.Hour),
			Forced:       i%2 == 0,
			Outcome:      o,
			Error:        fmt.Sprintf("error %d", i),
			Refused:      []string{"u9", "u1"},
			Skipped:      []string{"okta-7", "okta-3"},
			LastSuccess:  at.Add(-time.Duration(i) * time.Minute).UTC(),
			PendingSince: at.Add(-time.Duration(i) * time.Second),
		})
		if o == groupsync.Failed || o == groupsync.NotAttempted {
			s := &out[len(out)-1]
			s.Cause, s.TargetStatus, s.TargetDetail = groupsync.CauseNameTaken, 409, "uniqueness: name taken"
		}
	}
	out = append(out, groupsync.Status{SourceID: "s9", Name: "Fresh", LastAttempt: at, Outcome: groupsync.Created})
	return out
}

func testSetStatus(t recorder, s groupsync.Store) {
	want := statuses()
	for _, st := range want {
		setStatus(t, s, st)
	}
	if diff := cmp.Diff(want, load(t, s).Statuses, opts); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	got := load(t, s).Statuses
	if z := got[len(got)-1]; !z.LastSuccess.IsZero() || !z.PendingSince.IsZero() {
		t.Errorf("zero times came back as %v and %v, want zero", z.LastSuccess, z.PendingSince)
	}

	// SetStatus replaces by source id.
	repl := groupsync.Status{SourceID: "s1", Name: "Renamed", LastAttempt: want[1].LastAttempt.Add(time.Hour), Outcome: groupsync.Failed, Error: "boom"}
	setStatus(t, s, repl)
	want[1] = repl
	if diff := cmp.Diff(want, load(t, s).Statuses, opts); diff != "" {
		t.Errorf("statuses after replacing s1 (-want +got):\n%s", diff)
	}
}

// plan returns a plan with every operation kind and every finding kind, with
// every field set somewhere.
func plan() groupsync.Plan {
	return groupsync.Plan{
		Force:                true,
		MaxMembersPerRequest: 100,
		Only:                 []string{"gone", "left", "s1", "s2", "s3"},
		Groups: []groupsync.GroupPlan{
			{SourceID: "gone", TargetID: "t0", Name: "Old", Ops: []groupsync.Op{{Kind: groupsync.OpDelete}}},
			{SourceID: "left", TargetID: "t9", Name: "Left", Ops: []groupsync.Op{{Kind: groupsync.OpUnlink}}},
			{
				SourceID: "s1", TargetID: "t1", Name: "Platform",
				Base: &groupsync.Snapshot{Name: "Eng", Members: group.NewMembers("u1", "u2")},
				Ops: []groupsync.Op{
					{Kind: groupsync.OpLink, ExternalID: "s1", ByName: true},
					{Kind: groupsync.OpRename, Name: "Platform", From: "Eng"},
					{Kind: groupsync.OpRemoveMembers, Members: []string{"u1"}},
					{Kind: groupsync.OpAddMembers, Members: []string{"u3", "u4"}},
				},
			},
			{SourceID: "s2", TargetID: "t2", Name: "Empty", Base: &groupsync.Snapshot{Name: "Empty"}},
			{
				SourceID: "s3", Name: "New",
				Ops: []groupsync.Op{
					{Kind: groupsync.OpCreate, Name: "New", ExternalID: "s3"},
					{Kind: groupsync.OpAddMembers, Members: []string{"u1"}},
				},
			},
		},
		Findings: []groupsync.Finding{
			{Kind: groupsync.Invalid, SourceID: "s4", Name: "", Detail: "empty name"},
			{Kind: groupsync.NearDuplicate, SourceID: "s5", Name: "Sales", TargetIDs: []string{"t5"}, TargetNames: []string{"sales"}, Blocked: true},
			{Kind: groupsync.AmbiguousName, SourceID: "s6", Name: "Ops", TargetIDs: []string{"t6", "t7"}, TargetNames: []string{"Ops", "Ops"}},
			{Kind: groupsync.LinkedElsewhere, SourceID: "s7", Name: "HR", TargetIDs: []string{"t8"}, TargetNames: []string{"HR"}},
			{Kind: groupsync.ReadOnly, SourceID: "s8", Name: "App", TargetIDs: []string{"t10"}, TargetNames: []string{"App"}, Detail: "rename"},
			{Kind: groupsync.MemberNotProvisioned, SourceID: "s1", Name: "Platform", Members: []string{"u8", "u9"}},
			{Kind: groupsync.MissingOnTarget, SourceID: "s9", Name: "Lost", TargetIDs: []string{"t11"}},
			{Kind: groupsync.MembershipUnreadable, SourceID: "s1", Name: "Platform", TargetIDs: []string{"t1"}},
			{Kind: groupsync.TooManyDeletes, Count: 2, Limit: 1},
		},
	}
}

func testSavePlan(t recorder, s groupsync.Store) {
	p := plan()
	savePlan(t, s, p)
	got := load(t, s).LastPlan
	if got == nil {
		t.Fatalf("LastPlan is nil after SavePlan")
	}
	if diff := cmp.Diff(p, *got, opts); diff != "" {
		t.Errorf("last plan (-want +got):\n%s", diff)
	}

	// SavePlan replaces the last plan.
	next := groupsync.Plan{MaxMembersPerRequest: 7, Groups: []groupsync.GroupPlan{{SourceID: "x", Name: "X"}}}
	savePlan(t, s, next)
	got = load(t, s).LastPlan
	if got == nil {
		t.Fatalf("LastPlan is nil after the second SavePlan")
	}
	if diff := cmp.Diff(next, *got, opts); diff != "" {
		t.Errorf("last plan after replacing it (-want +got):\n%s", diff)
	}
}

// testLoadSorts checks that links and statuses come sorted by source id in
// byte order, whatever the database's collation.
func testLoadSorts(t recorder, s groupsync.Store) {
	ids := []string{"b", "a", "_x", "B", "A", "a1", "é", "10", "9"}
	want := []string{"10", "9", "A", "B", "_x", "a", "a1", "b", "é"}
	for _, id := range ids {
		link(t, s, groupsync.Link{SourceID: id, TargetID: "t-" + id})
		setStatus(t, s, groupsync.Status{SourceID: id, Name: id, Outcome: groupsync.Linked})
	}
	st := load(t, s)
	var links, stats []string
	for _, l := range st.Links {
		links = append(links, l.SourceID)
	}
	for _, s := range st.Statuses {
		stats = append(stats, s.SourceID)
	}
	if diff := cmp.Diff(want, links); diff != "" {
		t.Errorf("link order (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, stats); diff != "" {
		t.Errorf("status order (-want +got):\n%s", diff)
	}
}

// filled returns a state of a link, a status and a plan, new on each call
// so that it shares nothing with another call's or with what a store
// returns.
func filled() groupsync.State {
	p := plan()
	return groupsync.State{
		Links:    []groupsync.Link{{SourceID: "a", TargetID: "t1", Created: true, Pushed: snapshot("Eng", "u1", "u2")}},
		Statuses: []groupsync.Status{statuses()[0]},
		LastPlan: &p,
	}
}

// fill stores st, a state from filled, and checks that Load returns it.
func fill(t recorder, s groupsync.Store, st groupsync.State) {
	t.Helper()
	link(t, s, st.Links[0])
	setStatus(t, s, st.Statuses[0])
	savePlan(t, s, *st.LastPlan)
	if diff := cmp.Diff(filled(), load(t, s), opts); diff != "" {
		t.Fatalf("Load after storing a link, a status and a plan (-want +got):\n%s", diff)
	}
}

// testLoadReturnsCopies compares with a state of its own, never with one
// that Load returned, which may share what the store holds.
func testLoadReturnsCopies(t recorder, s groupsync.Store) {
	fill(t, s, filled())
	st := load(t, s)
	st.Links[0].TargetID = "changed"
	st.Links[0].Pushed.Name = "changed"
	st.Links[0].Pushed.Members = group.NewMembers("x")
	st.Statuses[0].Refused[0] = "changed"
	st.Statuses[0].Skipped[0] = "changed"
	st.Statuses[0].Error = "changed"
	st.LastPlan.Force = false
	st.LastPlan.Only[0] = "changed"
	st.LastPlan.Groups[0].Name = "changed"
	st.LastPlan.Groups[2].Base.Name = "changed"
	st.LastPlan.Groups[2].Ops[2].Members[0] = "changed"
	st.LastPlan.Findings[1].TargetIDs[0] = "changed"
	st.LastPlan.Findings[1].TargetNames[0] = "changed"
	st.LastPlan.Findings[5].Members[0] = "changed"
	if diff := cmp.Diff(filled(), load(t, s), opts); diff != "" {
		t.Errorf("changing what Load returned changed the store (-want +got):\n%s", diff)
	}
}

// testStoreKeepsCopies compares with a state of its own, never with one
// that Load returned, which may share what the caller gave.
func testStoreKeepsCopies(t recorder, s groupsync.Store) {
	given := filled()
	fill(t, s, given)
	given.Links[0].Pushed.Name = "changed"
	given.Statuses[0].Refused[0] = "changed"
	given.Statuses[0].Skipped[0] = "changed"
	p := given.LastPlan
	p.Groups[2].Base.Name = "changed"
	p.Groups[2].Ops[2].Members[0] = "changed"
	p.Findings[1].TargetIDs[0] = "changed"
	p.Findings[5].Members[0] = "changed"
	if diff := cmp.Diff(filled(), load(t, s), opts); diff != "" {
		t.Errorf("changing what was stored, after storing it, changed the store (-want +got):\n%s", diff)
	}
}

// leaseHeld checks that err, what the call described by what returned,
// says owner holds the lease.
func leaseHeld(t recorder, what string, err error, owner string) {
	t.Helper()
	if !errors.Is(err, groupsync.ErrLeaseHeld) {
		t.Errorf("%s: got %v, want an error wrapping ErrLeaseHeld", what, err)
		return
	}
	var le *groupsync.LeaseError
	if !errors.As(err, &le) {
		t.Errorf("%s: got %v, want a *LeaseError", what, err)
		return
	}
	if le.Owner != owner {
		t.Errorf("%s: LeaseError.Owner = %q, want %q", what, le.Owner, owner)
	}
	// Generous bounds: a store may keep time by a database's clock.
	if now := time.Now(); le.Until.Before(now.Add(-time.Hour)) || le.Until.After(now.Add(2*time.Hour)) {
		t.Errorf("%s: LeaseError.Until = %v, want about now plus the holder's ttl", what, le.Until)
	}
}

func lease(t recorder, s groupsync.Store, owner string, ttl time.Duration) func(context.Context) error {
	t.Helper()
	release, err := s.Lease(t.Context(), owner, ttl)
	if err != nil {
		t.Fatalf("Lease %s: %v", owner, err)
	}
	return release
}

func release(t recorder, f func(context.Context) error) {
	t.Helper()
	if err := f(t.Context()); err != nil {
		t.Fatalf("release: %v", err)
	}
}

func testLease(t recorder, s groupsync.Store) {
	rel1 := lease(t, s, "run-1", time.Hour)
	_, err := s.Lease(t.Context(), "run-2", time.Hour)
	leaseHeld(t, "Lease run-2 while run-1 holds the lease", err, "run-1")

	// The holder may take it again, say to extend it.
	rel1b := lease(t, s, "run-1", time.Hour)
	_, err = s.Lease(t.Context(), "run-2", time.Hour)
	leaseHeld(t, "Lease run-2 after run-1 took the lease again", err, "run-1")

	release(t, rel1)
	rel2 := lease(t, s, "run-2", time.Hour)
	// A release by a former holder frees nothing.
	release(t, rel1b)
	_, err = s.Lease(t.Context(), "run-3", time.Hour)
	leaseHeld(t, "Lease run-3 after run-1, a former holder, released it", err, "run-2")
	release(t, rel2)
	release(t, rel2) // releasing twice is harmless
	release(t, lease(t, s, "run-3", time.Hour))
}

func testLeaseExpires(t recorder, s groupsync.Store) {
	rel1 := lease(t, s, "run-1", 50*time.Millisecond)
	time.Sleep(200 * time.Millisecond)
	rel2 := lease(t, s, "run-2", time.Hour)
	// The expired holder's release must not free its successor's lease.
	release(t, rel1)
	_, err := s.Lease(t.Context(), "run-3", time.Hour)
	leaseHeld(t, "Lease run-3 after run-1, whose lease expired, released it", err, "run-2")
	release(t, rel2)
}

// testConcurrent checks that concurrent writes, of distinct groups and of
// one group, lose nothing: the [groupsync.Applier] records several groups
// at once.
func testConcurrent(t recorder, s groupsync.Store) {
	const n = 16
	link(t, s, groupsync.Link{SourceID: "shared", TargetID: "t", Pushed: snapshot("Shared")})
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, 4*n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("g%02d", i)
			errs <- s.Link(ctx, groupsync.Link{SourceID: id, TargetID: "t-" + id, Pushed: snapshot(id, "u0")})
			errs <- s.Pushed(ctx, id, groupsync.Change{Name: "N" + id, Add: []string{fmt.Sprintf("u%02d", i+1)}})
			errs <- s.SetStatus(ctx, groupsync.Status{SourceID: id, Name: "N" + id, LastAttempt: at, Outcome: groupsync.Updated})
			errs <- s.Pushed(ctx, "shared", groupsync.Change{Add: []string{fmt.Sprintf("u%02d", i)}})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent write: %v", err)
		}
	}
	var wantLinks []groupsync.Link
	var wantStatuses []groupsync.Status
	var all []string
	for i := range n {
		id := fmt.Sprintf("g%02d", i)
		wantLinks = append(wantLinks, groupsync.Link{SourceID: id, TargetID: "t-" + id, Pushed: snapshot("N"+id, "u0", fmt.Sprintf("u%02d", i+1))})
		wantStatuses = append(wantStatuses, groupsync.Status{SourceID: id, Name: "N" + id, LastAttempt: at, Outcome: groupsync.Updated})
		all = append(all, fmt.Sprintf("u%02d", i))
	}
	wantLinks = append(wantLinks, groupsync.Link{SourceID: "shared", TargetID: "t", Pushed: snapshot("Shared", all...)})
	st := load(t, s)
	if diff := cmp.Diff(wantLinks, st.Links, opts); diff != "" {
		t.Errorf("links after concurrent writes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantStatuses, st.Statuses, opts); diff != "" {
		t.Errorf("statuses after concurrent writes (-want +got):\n%s", diff)
	}
}

func testLargeSnapshot(t recorder, s groupsync.Store) {
	ids := make([]string, 10000)
	for i := range ids {
		ids[i] = fmt.Sprintf("user-%05d", i)
	}
	l := groupsync.Link{SourceID: "everyone", TargetID: "t1", Pushed: snapshot("Everyone", ids...)}
	link(t, s, l)
	wantLinks(t, s, []groupsync.Link{l})

	pushed(t, s, "everyone", groupsync.Change{Remove: []string{ids[0]}, Add: []string{"new"}})
	got := load(t, s).Links[0].Pushed
	if got == nil {
		t.Fatalf("large snapshot is nil after Pushed")
	}
	want := l.Pushed.Members.Without(ids[0]).With("new")
	if !got.Members.Equal(want) || got.Name != "Everyone" {
		t.Errorf("large snapshot after one change: name %q, %d members (has %s: %v, has new: %v); want %q, %d members",
			got.Name, got.Members.Len(), ids[0], got.Members.Contains(ids[0]), got.Members.Contains("new"), "Everyone", want.Len())
	}
}
