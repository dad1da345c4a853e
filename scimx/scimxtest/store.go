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
