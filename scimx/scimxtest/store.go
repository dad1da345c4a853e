// Package scimxtest implements support for testing with scimx, in the manner
// of testing/fstest and net/http/httptest:
//
//   - [TestEndpoint] and [CheckEndpoint] test any app's SCIM Groups
//     endpoint, over HTTP, against what Okta, Entra ID and the other
//     clients of WIRE.md send and the target-side rules of SPEC.md, whether
//     or not the app is built with scimx;
//   - [TestStore] checks that an implementation of [scimx.Store] has the
//     behaviour every store must have, for the in-memory store and the
//     durable ones alike;
//   - [Server] serves an app built with scimx over HTTP in-process, as the
//     target that tests of a SCIM client push to.
//
// A test of a store calls TestStore with a function that returns a new,
// empty store; a store that needs a database of its own for each check
// opens one there, say in a t.TempDir():
//
//	func TestSQLite(t *testing.T) {
//		err := scimxtest.TestStore(t.Context(), func() (scimx.Store, error) {
//			db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "scim.db")+"?_pragma=busy_timeout(10000)")
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
package scimxtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/internal/conformance"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/scimx"
)

// TestStore checks that stores that newStore returns keep the
// [scimx.Store] contract, the way testing/fstest.TestFS checks a file
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
func TestStore(ctx context.Context, newStore func() (scimx.Store, error)) error {
	return conformance.Run(ctx, "scimxtest", checks, newStore)
}

// checks are the checks of [TestStore], in the order it runs them.
var checks = []conformance.Check[scimx.Store]{
	{Name: "CreateAndRead", Run: testCreateAndRead},
	{Name: "Lookup", Run: testLookup},
	{Name: "Change", Run: testChange},
	{Name: "Delete", Run: testDelete},
	{Name: "Rollback", Run: testRollback},
	{Name: "ViewIsReadOnly", Run: testViewIsReadOnly},
	{Name: "NotFound", Run: testNotFound},
	{Name: "TenantsAreIsolated", Run: testTenants},
	{Name: "ConcurrentUpdatesLoseNothing", Run: testConcurrent},
	{Name: "LargeGroup", Run: testLargeGroup},
	{Name: "GroupsOf", Run: testGroupsOf},
	{Name: "MemberPage", Run: testMemberPage},
	{Name: "Feed", Run: testFeed},
	{Name: "FeedRollsBack", Run: testFeedRollsBack},
	{Name: "FeedTenantsAreIsolated", Run: testFeedTenants},
	{Name: "FeedConcurrentAppendsAreGapFree", Run: testFeedConcurrent},
	{Name: "Cursors", Run: testCursors},
	{Name: "PruneEvents", Run: testPrune},
}

// recorder is what a check reports to, a part of [testing.TB]. A check
// calls Fatalf outside the functions it gives View and Update, so that it
// never ends a transaction's goroutine half-way.
type recorder = conformance.T

func update(t recorder, s scimx.Store, tenant string, f func(scimx.Tx) error) {
	t.Helper()
	if err := s.Update(t.Context(), tenant, f); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func create(t recorder, s scimx.Store, tenant string, g group.Group) scimx.Record {
	t.Helper()
	var rec scimx.Record
	update(t, s, tenant, func(tx scimx.Tx) (err error) {
		rec, err = tx.Create(g)
		return err
	})
	return rec
}

func read(t recorder, s scimx.Store, tenant, id string) scimx.Record {
	t.Helper()
	var rec scimx.Record
	if err := s.View(t.Context(), tenant, func(tx scimx.Tx) (err error) {
		rec, err = tx.Group(id, true)
		return err
	}); err != nil {
		t.Fatalf("read %s: %v", id, err)
	}
	return rec
}

func ptr(s string) *string { return &s }

func testCreateAndRead(t recorder, s scimx.Store) {
	g := group.Group{ExternalID: "00g1", Name: "Engineering", Members: group.NewMembers("u2", "u1"),
		Origin: origin.Source, Type: "Groups", Attributes: map[string]string{"color": "blue"}}
	rec := create(t, s, "a", g)
	if rec.ID == "" || rec.Version != 1 || rec.Created.IsZero() || rec.Modified.IsZero() {
		t.Errorf("Create = id %q version %d created %v modified %v, want a new id, version 1 and times", rec.ID, rec.Version, rec.Created, rec.Modified)
	}
	got := read(t, s, "a", rec.ID)
	if got.Name != g.Name || got.ExternalID != g.ExternalID || got.Origin != g.Origin || got.Type != g.Type ||
		got.Attributes["color"] != "blue" || !slices.Equal(got.Members.Slice(), []string{"u1", "u2"}) || got.Version != 1 {
		t.Errorf("read back %+v (members %v), want %+v", got, got.Members.Slice(), g)
	}
	_ = s.View(t.Context(), "a", func(tx scimx.Tx) error {
		noMembers, err := tx.Group(rec.ID, false)
		if err != nil || noMembers.Members.Len() != 0 {
			t.Errorf("Group without members = %v members, %v", noMembers.Members.Len(), err)
		}
		in, err := tx.HasMember(rec.ID, "u1")
		out, err2 := tx.HasMember(rec.ID, "u9")
		if !in || out || err != nil || err2 != nil {
			t.Errorf("HasMember u1 = %v, u9 = %v (%v, %v)", in, out, err, err2)
		}
		ids, err := tx.GroupIDs([]string{"u1", rec.ID, "nope"})
		if err != nil || !slices.Equal(ids, []string{rec.ID}) {
			t.Errorf("GroupIDs = %v, %v, want [%s]", ids, err, rec.ID)
		}
		return nil
	})
	other := create(t, s, "a", group.Group{Name: "Sales", Origin: origin.Target})
	_ = s.View(t.Context(), "a", func(tx scimx.Tx) error {
		all, err := tx.Groups()
		want := []string{rec.ID, other.ID}
		slices.Sort(want)
		if err != nil || len(all) != 2 || all[0].ID != want[0] || all[1].ID != want[1] {
			t.Errorf("Groups = %v, %v, want both sorted by id", all, err)
		}
		return nil
	})
}

func testLookup(t recorder, s scimx.Store) {
	a := create(t, s, "a", group.Group{Name: "Leadership", ExternalID: "x1", Origin: origin.Target})
	b := create(t, s, "a", group.Group{Name: "leadership", Origin: origin.Source})
	lookup := func(attr scimx.Attr, v string) []string {
		t.Helper()
		var ids []string
		_ = s.View(t.Context(), "a", func(tx scimx.Tx) error {
			recs, err := tx.Lookup(attr, v)
			if err != nil {
				t.Errorf("Lookup: %v", err)
			}
			for _, r := range recs {
				ids = append(ids, r.ID)
			}
			return nil
		})
		return ids
	}
	if got := lookup(scimx.DisplayName, "Leadership"); !slices.Equal(got, []string{a.ID}) {
		t.Errorf("Lookup name Leadership = %v, want only %s: names compare byte for byte", got, a.ID)
	}
	if got := lookup(scimx.ExternalID, "x1"); !slices.Equal(got, []string{a.ID}) {
		t.Errorf("Lookup externalId x1 = %v, want %s", got, a.ID)
	}
	update(t, s, "a", func(tx scimx.Tx) error {
		_, err := tx.Change(b.ID, scimx.Change{Name: ptr("Leadership"), ExternalID: ptr("x2")})
		return err
	})
	want := []string{a.ID, b.ID}
	slices.Sort(want)
	if got := lookup(scimx.DisplayName, "Leadership"); !slices.Equal(got, want) {
		t.Errorf("after rename, Lookup = %v, want %v sorted", got, want)
	}
	if got := lookup(scimx.DisplayName, "leadership"); len(got) != 0 {
		t.Errorf("old name still found: %v", got)
	}
	update(t, s, "a", func(tx scimx.Tx) error {
		_, err := tx.Change(a.ID, scimx.Change{ExternalID: ptr("")})
		return err
	})
	if got := lookup(scimx.ExternalID, "x1"); len(got) != 0 {
		t.Errorf("cleared externalId still found: %v", got)
	}
	if got := lookup(scimx.ExternalID, ""); len(got) != 0 {
		t.Errorf("empty externalId found: %v", got)
	}
}

func testChange(t recorder, s scimx.Store) {
	rec := create(t, s, "a", group.Group{Name: "Eng", ExternalID: "x", Members: group.NewMembers("u1", "u2"), Origin: origin.Source, Type: "Groups"})
	var after scimx.Record
	update(t, s, "a", func(tx scimx.Tx) (err error) {
		after, err = tx.Change(rec.ID, scimx.Change{Remove: []string{"u1", "absent"}, Add: []string{"u2", "u3"}})
		return err
	})
	if after.Version != 2 {
		t.Errorf("version after a change = %d, want 2", after.Version)
	}
	got := read(t, s, "a", rec.ID)
	if !slices.Equal(got.Members.Slice(), []string{"u2", "u3"}) || got.Name != "Eng" || got.ExternalID != "x" || got.Type != "Groups" {
		t.Errorf("after member change: %+v %v", got, got.Members.Slice())
	}
	update(t, s, "a", func(tx scimx.Tx) (err error) {
		_, err = tx.Change(rec.ID, scimx.Change{Type: ptr("Teams"), Attributes: map[string]string{"k": "v"}, ClearMembers: true, Add: []string{"u9"}})
		return err
	})
	got = read(t, s, "a", rec.ID)
	if !slices.Equal(got.Members.Slice(), []string{"u9"}) || got.Type != "Teams" || got.Attributes["k"] != "v" || got.Version != 3 || got.Origin != origin.Source {
		t.Errorf("after clear and local change: %+v %v", got, got.Members.Slice())
	}
}

func testDelete(t recorder, s scimx.Store) {
	rec := create(t, s, "a", group.Group{Name: "Eng", ExternalID: "x", Members: group.NewMembers("u1"), Origin: origin.Source})
	update(t, s, "a", func(tx scimx.Tx) error { return tx.Delete(rec.ID) })
	err := s.View(t.Context(), "a", func(tx scimx.Tx) error {
		if recs, _ := tx.Lookup(scimx.DisplayName, "Eng"); len(recs) != 0 {
			t.Errorf("deleted group found by name")
		}
		if recs, _ := tx.Lookup(scimx.ExternalID, "x"); len(recs) != 0 {
			t.Errorf("deleted group found by externalId")
		}
		_, err := tx.Group(rec.ID, true)
		return err
	})
	if !errors.Is(err, scimx.ErrNotFound) {
		t.Errorf("read of a deleted group = %v, want ErrNotFound", err)
	}
	// The name is free again.
	create(t, s, "a", group.Group{Name: "Eng", Origin: origin.Source})
}

func testRollback(t recorder, s scimx.Store) {
	rec := create(t, s, "a", group.Group{Name: "Eng", Members: group.NewMembers("u1"), Origin: origin.Source})
	boom := errors.New("boom")
	err := s.Update(t.Context(), "a", func(tx scimx.Tx) error {
		if _, err := tx.Change(rec.ID, scimx.Change{Name: ptr("Platform"), ClearMembers: true, Add: []string{"u2"}}); err != nil {
			return err
		}
		if _, err := tx.Create(group.Group{Name: "New", Origin: origin.Source}); err != nil {
			return err
		}
		if err := tx.Delete(rec.ID); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want the function's error", err)
	}
	got := read(t, s, "a", rec.ID)
	if got.Name != "Eng" || !slices.Equal(got.Members.Slice(), []string{"u1"}) || got.Version != 1 {
		t.Errorf("after a failed transaction: %+v %v, want it untouched", got, got.Members.Slice())
	}
	_ = s.View(t.Context(), "a", func(tx scimx.Tx) error {
		all, _ := tx.Groups()
		if len(all) != 1 {
			t.Errorf("%d groups after a failed transaction, want 1", len(all))
		}
		if recs, _ := tx.Lookup(scimx.DisplayName, "Platform"); len(recs) != 0 {
			t.Errorf("rolled-back name is indexed")
		}
		return nil
	})
}

func testViewIsReadOnly(t recorder, s scimx.Store) {
	err := s.View(t.Context(), "a", func(tx scimx.Tx) error {
		_, err := tx.Create(group.Group{Name: "Eng", Origin: origin.Source})
		return err
	})
	if !errors.Is(err, scimx.ErrReadOnlyTx) {
		t.Errorf("Create in View = %v, want ErrReadOnlyTx", err)
		return // the store is writable in View: the other writes need not be tried
	}
	for what, write := range map[string]func(scimx.Tx) error{
		"Append": func(tx scimx.Tx) error {
			_, err := tx.Append(scimx.FeedEvent{Group: "g", Name: "G", Kind: scimx.Created, Actor: scimx.BySource, Version: 1})
			return err
		},
		"SetCursor":   func(tx scimx.Tx) error { return tx.SetCursor("hook", 1) },
		"PruneEvents": func(tx scimx.Tx) error { _, err := tx.PruneEvents(time.Now()); return err },
	} {
		if err := s.View(t.Context(), "a", write); !errors.Is(err, scimx.ErrReadOnlyTx) {
			t.Errorf("%s in View = %v, want ErrReadOnlyTx", what, err)
		}
	}
}

func testNotFound(t recorder, s scimx.Store) {
	err := s.Update(t.Context(), "a", func(tx scimx.Tx) error {
		_, err := tx.Change("nope", scimx.Change{Add: []string{"u1"}})
		return err
	})
	if !errors.Is(err, scimx.ErrNotFound) {
		t.Errorf("Change of an unknown id = %v, want ErrNotFound", err)
	}
	err = s.Update(t.Context(), "a", func(tx scimx.Tx) error { return tx.Delete("nope") })
	if !errors.Is(err, scimx.ErrNotFound) {
		t.Errorf("Delete of an unknown id = %v, want ErrNotFound", err)
	}
	err = s.View(t.Context(), "a", func(tx scimx.Tx) error {
		_, err := tx.HasMember("nope", "u1")
		return err
	})
	if !errors.Is(err, scimx.ErrNotFound) {
		t.Errorf("HasMember of an unknown id = %v, want ErrNotFound", err)
	}
}

func testTenants(t recorder, s scimx.Store) {
	a := create(t, s, "a", group.Group{Name: "Eng", ExternalID: "x", Members: group.NewMembers("u1"), Origin: origin.Source})
	b := create(t, s, "b", group.Group{Name: "Eng", ExternalID: "x", Members: group.NewMembers("u2"), Origin: origin.Source})
	_ = s.View(t.Context(), "b", func(tx scimx.Tx) error {
		if _, err := tx.Group(a.ID, false); !errors.Is(err, scimx.ErrNotFound) {
			t.Errorf("tenant b reads tenant a's group: %v", err)
		}
		for _, attr := range []scimx.Attr{scimx.DisplayName, scimx.ExternalID} {
			recs, _ := tx.Lookup(attr, map[scimx.Attr]string{scimx.DisplayName: "Eng", scimx.ExternalID: "x"}[attr])
			if len(recs) != 1 || recs[0].ID != b.ID {
				t.Errorf("tenant b's lookup finds %v, want only its own %s", recs, b.ID)
			}
		}
		if all, _ := tx.Groups(); len(all) != 1 {
			t.Errorf("tenant b lists %d groups, want 1", len(all))
		}
		if ids, _ := tx.GroupIDs([]string{a.ID}); len(ids) != 0 {
			t.Errorf("tenant b sees tenant a's id as a group")
		}
		return nil
	})
	err := s.Update(t.Context(), "b", func(tx scimx.Tx) error { return tx.Delete(a.ID) })
	if !errors.Is(err, scimx.ErrNotFound) {
		t.Errorf("tenant b deletes tenant a's group: %v", err)
	}
	if got := read(t, s, "a", a.ID); !slices.Equal(got.Members.Slice(), []string{"u1"}) {
		t.Errorf("tenant a's group changed: %v", got.Members.Slice())
	}
}

// testConcurrent checks that concurrent read-modify-write transactions of
// one tenant do not lose updates.
func testConcurrent(t recorder, s scimx.Store) {
	rec := create(t, s, "a", group.Group{Name: "Eng", Origin: origin.Source})
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.Update(t.Context(), "a", func(tx scimx.Tx) error {
				cur, err := tx.Group(rec.ID, false)
				if err != nil {
					return err
				}
				// A read-then-write: the version read must still hold.
				after, err := tx.Change(rec.ID, scimx.Change{Add: []string{fmt.Sprintf("u%02d", i)}})
				if err == nil && after.Version != cur.Version+1 {
					err = fmt.Errorf("version went from %d to %d inside one transaction", cur.Version, after.Version)
				}
				return err
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Update: %v", err)
		}
	}
	got := read(t, s, "a", rec.ID)
	if got.Members.Len() != n || got.Version != n+1 {
		t.Errorf("after %d concurrent adds: %d members, version %d; want %d and %d", n, got.Members.Len(), got.Version, n, n+1)
	}
}

func testLargeGroup(t recorder, s scimx.Store) {
	ids := make([]string, 5000)
	for i := range ids {
		ids[i] = fmt.Sprintf("user-%05d", i)
	}
	rec := create(t, s, "a", group.Group{Name: "Everyone", Members: group.NewMembers(ids...), Origin: origin.Source})
	update(t, s, "a", func(tx scimx.Tx) (err error) {
		_, err = tx.Change(rec.ID, scimx.Change{Remove: ids[:10], Add: []string{"new"}})
		return err
	})
	got := read(t, s, "a", rec.ID)
	if got.Members.Len() != 4991 || !got.Members.Contains("new") || got.Members.Contains(ids[0]) {
		t.Errorf("large group has %d members", got.Members.Len())
	}
}

func testGroupsOf(t recorder, s scimx.Store) {
	a := create(t, s, "a", group.Group{Name: "A", Members: group.NewMembers("u1", "u2"), Origin: origin.Source})
	b := create(t, s, "a", group.Group{Name: "B", Members: group.NewMembers("u1"), Origin: origin.Source})
	c := create(t, s, "a", group.Group{Name: "C", Members: group.NewMembers("u3"), Origin: origin.Source})
	create(t, s, "b", group.Group{Name: "A", Members: group.NewMembers("u1"), Origin: origin.Source})
	groupsOf := func(member string) []string {
		t.Helper()
		var ids []string
		if err := s.View(t.Context(), "a", func(tx scimx.Tx) (err error) {
			ids, err = tx.GroupsOf(member)
			return err
		}); err != nil {
			t.Fatalf("GroupsOf %s: %v", member, err)
		}
		return ids
	}
	sorted := func(ids ...string) []string { slices.Sort(ids); return ids }
	if got, want := groupsOf("u1"), sorted(a.ID, b.ID); !slices.Equal(got, want) {
		t.Errorf("GroupsOf u1 = %v, want %v, sorted, and none of tenant b's", got, want)
	}
	update(t, s, "a", func(tx scimx.Tx) error {
		if _, err := tx.Change(a.ID, scimx.Change{Remove: []string{"u1"}, Add: []string{"u3"}}); err != nil {
			return err
		}
		_, err := tx.Change(b.ID, scimx.Change{ClearMembers: true, Add: []string{"u2"}})
		return err
	})
	if got := groupsOf("u1"); len(got) != 0 {
		t.Errorf("after u1 was removed and its other group cleared, GroupsOf u1 = %v, want none", got)
	}
	if got, want := groupsOf("u3"), sorted(a.ID, c.ID); !slices.Equal(got, want) {
		t.Errorf("GroupsOf u3 = %v, want %v", got, want)
	}
	update(t, s, "a", func(tx scimx.Tx) error { return tx.Delete(c.ID) })
	_ = s.Update(t.Context(), "a", func(tx scimx.Tx) error {
		if _, err := tx.Change(a.ID, scimx.Change{Add: []string{"u9"}}); err != nil {
			return err
		}
		return errors.New("roll back")
	})
	if got := groupsOf("u3"); !slices.Equal(got, []string{a.ID}) {
		t.Errorf("after its group was deleted, GroupsOf u3 = %v, want [%s]", got, a.ID)
	}
	if got := groupsOf("u9"); len(got) != 0 {
		t.Errorf("a rolled-back addition is indexed: GroupsOf u9 = %v", got)
	}
}

func testMemberPage(t recorder, s scimx.Store) {
	// Byte order: upper case before lower case, ASCII before the rest.
	want := []string{"Bob", "alice", "bob", "u-01", "u-02", "u-03", "u-10", "zoë", "Ωmega"}
	slices.Sort(want)
	rec := create(t, s, "a", group.Group{Name: "Eng", Members: group.NewMembers(want...), Origin: origin.Source})
	var got []string
	after := ""
	for range len(want) + 1 {
		var page []string
		if err := s.View(t.Context(), "a", func(tx scimx.Tx) (err error) {
			page, err = tx.MemberPage(rec.ID, after, 2)
			return err
		}); err != nil {
			t.Fatalf("MemberPage: %v", err)
		}
		if len(page) > 2 {
			t.Fatalf("MemberPage with limit 2 returned %d values", len(page))
		}
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		after = page[len(page)-1]
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages of 2 = %q, want %q: byte order, each value once", got, want)
	}
	err := s.View(t.Context(), "a", func(tx scimx.Tx) error {
		_, err := tx.MemberPage("nope", "", 10)
		return err
	})
	if !errors.Is(err, scimx.ErrNotFound) {
		t.Errorf("MemberPage of an unknown id = %v, want ErrNotFound", err)
	}
}

// appendEvent appends an event for group g in a transaction of its own.
func appendEvent(t recorder, s scimx.Store, tenant, g string) scimx.FeedEvent {
	t.Helper()
	var e scimx.FeedEvent
	update(t, s, tenant, func(tx scimx.Tx) (err error) {
		e, err = tx.Append(scimx.FeedEvent{Group: g, Name: "Name " + g, Kind: scimx.MembersChanged, Actor: scimx.BySource,
			Added: []string{"u1"}, Version: 2})
		return err
	})
	return e
}

func events(t recorder, s scimx.Store, tenant string, after int64, limit int) []scimx.FeedEvent {
	t.Helper()
	var evs []scimx.FeedEvent
	if err := s.View(t.Context(), tenant, func(tx scimx.Tx) (err error) {
		evs, err = tx.Events(after, limit)
		return err
	}); err != nil {
		t.Fatalf("Events: %v", err)
	}
	return evs
}

func seqs(evs []scimx.FeedEvent) []int64 {
	out := make([]int64, len(evs))
	for i, e := range evs {
		out[i] = e.Seq
	}
	return out
}

func testFeed(t recorder, s scimx.Store) {
	before := time.Now().Add(-time.Minute)
	in := scimx.FeedEvent{Group: "g1", Name: "Platform", OldName: "Eng", ExternalID: "00g1", Type: "Teams",
		Kind: scimx.Renamed, Added: []string{"u1", "u2"}, Removed: []string{"u3"}, Actor: scimx.ByApp, Version: 7}
	var first scimx.FeedEvent
	update(t, s, "a", func(tx scimx.Tx) (err error) {
		first, err = tx.Append(in)
		return err
	})
	if first.Seq != 1 || first.ID == "" || first.At.Before(before) || first.Tenant != "a" {
		t.Errorf("first Append = seq %d, id %q, at %v, tenant %q; want seq 1, a new id, the time and tenant a", first.Seq, first.ID, first.At, first.Tenant)
	}
	second := appendEvent(t, s, "a", "g2")
	third := appendEvent(t, s, "a", "g3")
	if second.Seq != 2 || third.Seq != 3 || second.ID == first.ID || third.ID == second.ID {
		t.Errorf("later Appends = seq %d (%s), %d (%s); want 2 and 3 with ids of their own", second.Seq, second.ID, third.Seq, third.ID)
	}
	all := events(t, s, "a", 0, 100)
	if !slices.Equal(seqs(all), []int64{1, 2, 3}) {
		t.Fatalf("Events(0, 100) = seqs %v, want [1 2 3]", seqs(all))
	}
	got := all[0]
	want := in
	want.Seq, want.ID, want.Tenant = 1, first.ID, "a"
	got.At, want.At = time.Time{}, time.Time{}
	if !equalEvents(got, want) {
		t.Errorf("read back %+v, want %+v", got, want)
	}
	if d := all[0].At.Sub(first.At); d < -time.Millisecond || d > time.Millisecond {
		t.Errorf("read back at %v, appended at %v", all[0].At, first.At)
	}
	if all[1].Added == nil || all[1].Removed == nil || len(all[1].Removed) != 0 {
		t.Errorf("an event without removals reads back Removed %#v, want an empty, non-nil list", all[1].Removed)
	}
	if got := seqs(events(t, s, "a", 1, 1)); !slices.Equal(got, []int64{2}) {
		t.Errorf("Events(1, 1) = seqs %v, want [2]: the cursor's own event is not returned again, and the limit holds", got)
	}
	if got := events(t, s, "a", 3, 10); len(got) != 0 {
		t.Errorf("Events after the newest = %v, want none", seqs(got))
	}
	if got := events(t, s, "a", 0, 0); len(got) != 0 {
		t.Errorf("Events with limit 0 = %v, want none", seqs(got))
	}
	// An event written with the change it describes.
	var rec scimx.Record
	update(t, s, "a", func(tx scimx.Tx) (err error) {
		if rec, err = tx.Create(group.Group{Name: "Sales", Origin: origin.Source}); err != nil {
			return err
		}
		_, err = tx.Append(scimx.FeedEvent{Group: rec.ID, Name: rec.Name, Kind: scimx.Created, Actor: scimx.BySource, Version: 1})
		return err
	})
	if evs := events(t, s, "a", 3, 10); len(evs) != 1 || evs[0].Group != rec.ID || evs[0].Seq != 4 {
		t.Errorf("after a create with its event: %+v, want one event, seq 4, of group %s", evs, rec.ID)
	}
}

func equalEvents(a, b scimx.FeedEvent) bool {
	return a.Seq == b.Seq && a.ID == b.ID && a.Tenant == b.Tenant && a.Group == b.Group && a.Name == b.Name &&
		a.OldName == b.OldName && a.ExternalID == b.ExternalID && a.Type == b.Type && a.Kind == b.Kind &&
		a.Actor == b.Actor && a.Version == b.Version && a.At.Equal(b.At) &&
		slices.Equal(a.Added, b.Added) && slices.Equal(a.Removed, b.Removed)
}

// testFeedRollsBack checks that an event commits and rolls back with its
// transaction, and that a rolled-back event leaves no gap.
func testFeedRollsBack(t recorder, s scimx.Store) {
	appendEvent(t, s, "a", "g1")
	boom := errors.New("boom")
	err := s.Update(t.Context(), "a", func(tx scimx.Tx) error {
		if _, err := tx.Append(scimx.FeedEvent{Group: "g2", Name: "G2", Kind: scimx.Created, Actor: scimx.BySource, Version: 1}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want the function's error", err)
	}
	if got := seqs(events(t, s, "a", 0, 10)); !slices.Equal(got, []int64{1}) {
		t.Errorf("after a rolled-back Append, seqs %v, want [1]", got)
	}
	next := appendEvent(t, s, "a", "g3")
	if got := seqs(events(t, s, "a", 0, 10)); next.Seq != 2 || !slices.Equal(got, []int64{1, 2}) {
		t.Errorf("the Append after a rollback got seq %d and the feed holds %v; want 2 and [1 2]: no gap", next.Seq, got)
	}
}

func testFeedTenants(t recorder, s scimx.Store) {
	appendEvent(t, s, "a", "g1")
	appendEvent(t, s, "a", "g2")
	e := appendEvent(t, s, "b", "g3")
	if e.Seq != 1 {
		t.Errorf("tenant b's first event has seq %d, want 1: each tenant numbers its own", e.Seq)
	}
	if evs := events(t, s, "b", 0, 10); len(evs) != 1 || evs[0].Group != "g3" || evs[0].Tenant != "b" {
		t.Errorf("tenant b reads %+v, want only its own event", evs)
	}
	if evs := events(t, s, "a", 0, 10); len(evs) != 2 {
		t.Errorf("tenant a reads %d events, want its 2", len(evs))
	}
	update(t, s, "a", func(tx scimx.Tx) error { return tx.SetCursor("hook", 2) })
	_ = s.View(t.Context(), "b", func(tx scimx.Tx) error {
		if seq, err := tx.Cursor("hook"); err != nil || seq != 0 {
			t.Errorf("tenant b's cursor hook = %d, %v; want 0: tenant a's is its own", seq, err)
		}
		return nil
	})
}

// testFeedConcurrent appends from concurrent transactions and checks that
// the numbers are 1 to n, each once.
func testFeedConcurrent(t recorder, s scimx.Store) {
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.Update(t.Context(), "a", func(tx scimx.Tx) error {
				_, err := tx.Append(scimx.FeedEvent{Group: fmt.Sprintf("g%02d", i), Name: "G", Kind: scimx.MembersChanged, Actor: scimx.BySource, Version: 2})
				return err
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Append: %v", err)
		}
	}
	evs := events(t, s, "a", 0, 2*n)
	want := make([]int64, n)
	for i := range want {
		want[i] = int64(i + 1)
	}
	ids := map[string]bool{}
	for _, e := range evs {
		ids[e.ID] = true
	}
	if !slices.Equal(seqs(evs), want) || len(ids) != n {
		t.Errorf("after %d concurrent Appends: seqs %v with %d distinct ids, want 1 to %d, each once", n, seqs(evs), len(ids), n)
	}
}

func testCursors(t recorder, s scimx.Store) {
	cursor := func(name string) int64 {
		t.Helper()
		var seq int64
		if err := s.View(t.Context(), "a", func(tx scimx.Tx) (err error) {
			seq, err = tx.Cursor(name)
			return err
		}); err != nil {
			t.Fatalf("Cursor: %v", err)
		}
		return seq
	}
	if got := cursor("hook"); got != 0 {
		t.Errorf("a new cursor = %d, want 0", got)
	}
	update(t, s, "a", func(tx scimx.Tx) error { return tx.SetCursor("hook", 5) })
	update(t, s, "a", func(tx scimx.Tx) error { return tx.SetCursor("index", 2) })
	update(t, s, "a", func(tx scimx.Tx) error { return tx.SetCursor("hook", 7) })
	if h, i := cursor("hook"), cursor("index"); h != 7 || i != 2 {
		t.Errorf("cursors hook = %d, index = %d; want 7 and 2: each name keeps its own", h, i)
	}
	_ = s.Update(t.Context(), "a", func(tx scimx.Tx) error {
		if err := tx.SetCursor("hook", 9); err != nil {
			return err
		}
		return errors.New("roll back")
	})
	if got := cursor("hook"); got != 7 {
		t.Errorf("after a rolled-back SetCursor, hook = %d, want 7", got)
	}
}

func testPrune(t recorder, s scimx.Store) {
	for i := range 5 {
		appendEvent(t, s, "a", fmt.Sprintf("g%d", i))
	}
	prune := func(before time.Time) int {
		t.Helper()
		var n int
		update(t, s, "a", func(tx scimx.Tx) (err error) {
			n, err = tx.PruneEvents(before)
			return err
		})
		return n
	}
	later := time.Now().Add(time.Hour)
	if n := prune(later); n != 0 || len(events(t, s, "a", 0, 10)) != 5 {
		t.Errorf("PruneEvents with no cursor deleted %d, want none: nothing has been delivered", n)
	}
	update(t, s, "a", func(tx scimx.Tx) error { return tx.SetCursor("hook", 3) })
	update(t, s, "a", func(tx scimx.Tx) error { return tx.SetCursor("index", 4) })
	if n := prune(time.Now().Add(-time.Hour)); n != 0 {
		t.Errorf("PruneEvents before an hour ago deleted %d, want none: every event is newer", n)
	}
	if n := prune(later); n != 3 {
		t.Errorf("PruneEvents deleted %d, want 3: the events every cursor has passed", n)
	}
	if got := seqs(events(t, s, "a", 0, 10)); !slices.Equal(got, []int64{4, 5}) {
		t.Errorf("after pruning, seqs %v, want [4 5]", got)
	}
	update(t, s, "a", func(tx scimx.Tx) error { return tx.SetCursor("hook", 5) })
	update(t, s, "a", func(tx scimx.Tx) error { return tx.SetCursor("index", 5) })
	prune(later)
	if got := seqs(events(t, s, "a", 0, 10)); !slices.Equal(got, []int64{5}) {
		t.Errorf("after every event was delivered and pruned, seqs %v, want [5]: the newest stays", got)
	}
	if e := appendEvent(t, s, "a", "g9"); e.Seq != 6 {
		t.Errorf("the Append after pruning got seq %d, want 6: numbers never repeat", e.Seq)
	}
}
