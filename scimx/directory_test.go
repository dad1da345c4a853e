package scimx_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/internal/sqltest"
	"github.com/groupsync/groupsync/internal/tabletest"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/scimx"
	"github.com/groupsync/groupsync/scimx/sqlstore"
	"github.com/groupsync/groupsync/sqldialect"
)

// eachStore runs f on a new store of each kind: in memory, SQLite, and
// PostgreSQL when GROUPSYNC_POSTGRES_URL names one.
func eachStore(t *testing.T, f func(t *testing.T, store scimx.Store)) {
	t.Run("memory", func(t *testing.T) { f(t, &scimx.MemStore{}) })
	t.Run("SQLite", func(t *testing.T) {
		s := sqlstore.New(sqltest.Open(t, "sqlite", sqltest.SQLiteDSN(t)), sqldialect.SQLite)
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		f(t, s)
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		s := sqlstore.New(sqltest.Open(t, "pgx", sqltest.PostgresDSN(t)), sqldialect.Postgres)
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		f(t, s)
	})
}

func ptr[T any](v T) *T { return &v }

// R17: the app's own writes through a Directory keep the feed as SCIM
// writes do: one event per change, actor "app", in the same sequence as the
// source's.
func TestR17DirectoryWritesAppendAppEvents(t *testing.T) {
	eachStore(t, func(t *testing.T, store scimx.Store) {
		ctx := t.Context()
		var calls []scimx.Event
		d := &scimx.Directory{Store: store, OnChange: func(_ context.Context, e scimx.Event) { calls = append(calls, e) }}
		since := time.Now()
		rec, err := d.Create(ctx, "a", group.Group{Name: "Sales", Members: group.NewMembers("u2", "u1"), Origin: origin.Source})
		if err != nil {
			t.Fatal(err)
		}
		if rec.Origin != origin.Target || rec.Type != scimx.DefaultType || rec.Version != 1 || rec.Members.Len() != 2 {
			t.Errorf("Create = %+v, want an app group (origin target, R7) of the default type at version 1 with its 2 members", rec)
		}
		id := rec.ID
		steps := []struct {
			name, reason string
			edit         scimx.Edit
			want         scimx.FeedEvent
		}{
			{"R17 the app renames", "an app rename is announced like a SCIM one, with the old name",
				scimx.Edit{Name: ptr("Revenue")},
				scimx.FeedEvent{Name: "Revenue", OldName: "Sales", Type: scimx.DefaultType, Kind: scimx.Renamed, Version: 2}},
			{"R17 the app moves a group to another type", "a type change is its own kind; the members stay",
				scimx.Edit{Type: ptr("Teams")},
				scimx.FeedEvent{Name: "Revenue", Type: "Teams", Kind: scimx.TypeChanged, Version: 3}},
			{"R17 the app edits members", "only real changes are listed: u1 is a member already, u9 is not one to remove",
				scimx.Edit{Add: []string{"u1", "u3", "u3"}, Remove: []string{"u2", "u9"}},
				scimx.FeedEvent{Name: "Revenue", Type: "Teams", Kind: scimx.MembersChanged, Added: []string{"u3"}, Removed: []string{"u2"}, Version: 4}},
			{"R17 the app replaces members", "a replacement's event holds the difference from the stored members",
				scimx.Edit{Members: &[]string{"u3", "u4"}},
				scimx.FeedEvent{Name: "Revenue", Type: "Teams", Kind: scimx.MembersChanged, Added: []string{"u4"}, Removed: []string{"u1"}, Version: 5}},
			{"R17 an app edit that changes nothing", "the same name, the same type, a present member: no change, no event, no new version",
				scimx.Edit{Name: ptr("Revenue"), Type: ptr("Teams"), Add: []string{"u3"}},
				scimx.FeedEvent{}},
		}
		tabletest.Check(t, steps)
		want := []scimx.FeedEvent{{Seq: 1, Group: id, Name: "Sales", Type: scimx.DefaultType, Kind: scimx.Created,
			Added: []string{"u1", "u2"}, Removed: []string{}, Actor: scimx.ByApp, Version: 1}}
		for _, st := range steps {
			after, err := d.Edit(ctx, "a", id, st.edit)
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if st.want.Kind == "" {
				if after.Version != 5 {
					t.Errorf("%s: version %d, want 5 (%s)", st.name, after.Version, st.reason)
				}
				continue
			}
			e := st.want
			e.Seq, e.Group, e.Actor = int64(len(want)+1), id, scimx.ByApp
			e.Added, e.Removed = orEmpty(e.Added), orEmpty(e.Removed)
			want = append(want, e)
			if after.Version != e.Version || after.Name != e.Name || after.Type != e.Type {
				t.Errorf("%s: Edit returned %+v, want version %d, name %q, type %q", st.name, after, e.Version, e.Name, e.Type)
			}
		}
		if err := d.Delete(ctx, "a", id); err != nil {
			t.Fatal(err)
		}
		want = append(want, scimx.FeedEvent{Seq: int64(len(want) + 1), Group: id, Name: "Revenue", Type: "Teams", Kind: scimx.Deleted,
			Added: []string{}, Removed: []string{"u3", "u4"}, Actor: scimx.ByApp, Version: 6})
		evs := feedOf(t, store, "a")
		if d := cmp.Diff(want, evs, ignoreStamps); d != "" {
			t.Errorf("feed (-want +got):\n%s", d)
		}
		checkStamps(t, evs, "a", since)
		if len(calls) != len(want) || calls[1].OldName != "Sales" {
			t.Errorf("OnChange was called %d times (want %d), the rename with old name %q", len(calls), len(want), calls[1].OldName)
		}
		if _, err := d.Group(ctx, "a", id, false); !errors.Is(err, scimx.ErrNotFound) {
			t.Errorf("Group of the deleted group: %v, want ErrNotFound", err)
		}
	})
}

// R17: the app's writes and the source's share one sequence per tenant,
// and a SCIM POST of an app group's name associates with it (R5).
func TestR17AppAndSourceShareOneSequence(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{})
	d := &scimx.Directory{Store: s.Store}
	rec, err := d.Create(t.Context(), "a", group.Group{Name: "Leadership", Members: group.NewMembers("u1")})
	if err != nil {
		t.Fatal(err)
	}
	r := s.do(t, "POST", "/Groups", `{`+groupSchemaJSON+`,"displayName":"Leadership","externalId":"00g1","members":[{"value":"u2"}]}`).must(t, 201)
	if r.body["id"] != rec.ID {
		t.Fatalf("POST of the app group's name answered id %v, want %s (R5)", r.body["id"], rec.ID)
	}
	if _, err := d.Edit(t.Context(), "a", rec.ID, scimx.Edit{Type: ptr("Teams")}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range feedOf(t, s.Store, "a") {
		got = append(got, fmt.Sprintf("%d %s %s", e.Seq, e.Actor, e.Kind))
	}
	want := []string{"1 app created", "2 source associated", "3 app type"}
	if !slices.Equal(got, want) {
		t.Errorf("feed %q, want %q", got, want)
	}
}

// R5, R17: a Directory keeps the rules that apply to the app: it refuses a
// name another group holds (so that a push's exact-name association never
// finds two), invalid names and values, and an unknown id; a refused write
// changes nothing and appends no event.
func TestR17DirectoryRefusesWhatTheRulesForbid(t *testing.T) {
	eachStore(t, func(t *testing.T, store scimx.Store) {
		ctx := t.Context()
		d := &scimx.Directory{Store: store}
		eng, err := d.Create(ctx, "a", group.Group{Name: "Eng", Members: group.NewMembers("u1")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Create(ctx, "a", group.Group{Name: "Ops"}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, reason string
			write        func() error
			want         error
		}{
			{"R5 Create of a taken name", "two groups of one name make every later push of that name ambiguous (409)",
				func() error {
					_, err := d.Create(ctx, "a", group.Group{Name: "Eng"})
					return err
				}, scimx.ErrConflict},
			{"R5 rename to a taken name", "as a SCIM rename to a taken name is 409",
				func() error {
					_, err := d.Edit(ctx, "a", eng.ID, scimx.Edit{Name: ptr("Ops"), Add: []string{"u2"}})
					return err
				}, scimx.ErrConflict},
			{"R17 empty name", "a group needs a name",
				func() error {
					_, err := d.Create(ctx, "a", group.Group{Name: ""})
					return err
				}, group.ErrInvalid},
			{"R17 control character in a name", "names are compared byte for byte and shown to people: no control characters",
				func() error {
					_, err := d.Edit(ctx, "a", eng.ID, scimx.Edit{Name: ptr("E\x00ng")})
					return err
				}, group.ErrInvalid},
			{"R17 empty member value", "a member is a user or group id, never empty",
				func() error {
					_, err := d.Edit(ctx, "a", eng.ID, scimx.Edit{Add: []string{"u2", ""}})
					return err
				}, scimx.ErrInvalidValue},
			{"R17 members replaced and edited at once", "a replacement and deltas in one edit have no single meaning",
				func() error {
					_, err := d.Edit(ctx, "a", eng.ID, scimx.Edit{Members: &[]string{"u2"}, Add: []string{"u3"}})
					return err
				}, scimx.ErrInvalidValue},
			{"R17 type with invalid UTF-8", "every store must hold what it is given unchanged",
				func() error {
					_, err := d.Edit(ctx, "a", eng.ID, scimx.Edit{Type: ptr("T\xff")})
					return err
				}, scimx.ErrInvalidValue},
			{"R17 empty type", "a group always has a type; an empty one is refused, not stored and not ignored",
				func() error {
					_, err := d.Edit(ctx, "a", eng.ID, scimx.Edit{Type: ptr(""), Add: []string{"u2"}})
					return err
				}, scimx.ErrInvalidValue},
			{"R17 edit of an unknown id", "an id the tenant does not have is not found",
				func() error {
					_, err := d.Edit(ctx, "a", "nope", scimx.Edit{Add: []string{"u2"}})
					return err
				}, scimx.ErrNotFound},
			{"R16 edit of another tenant's group", "tenant b cannot see or change tenant a's groups",
				func() error {
					_, err := d.Edit(ctx, "b", eng.ID, scimx.Edit{Add: []string{"u2"}})
					return err
				}, scimx.ErrNotFound},
			{"R17 delete of an unknown id", "an id the tenant does not have is not found",
				func() error { return d.Delete(ctx, "a", "nope") }, scimx.ErrNotFound},
		}
		tabletest.Check(t, tests)
		for _, tt := range tests {
			before := feedOf(t, store, "a")
			if err := tt.write(); !errors.Is(err, tt.want) {
				t.Errorf("%s: %v, want %v (%s)", tt.name, err, tt.want, tt.reason)
			}
			if after := feedOf(t, store, "a"); len(after) != len(before) {
				t.Errorf("%s: the refused write appended %d events", tt.name, len(after)-len(before))
			}
		}
		got, err := d.Group(ctx, "a", eng.ID, true)
		if err != nil || got.Name != "Eng" || got.Version != 1 || !slices.Equal(got.Members.Slice(), []string{"u1"}) {
			t.Errorf("after the refused writes Eng is %+v, %v; want it unchanged", got, err)
		}
		dup := &scimx.Directory{Store: store, AllowDuplicateNames: true}
		if _, err := dup.Create(ctx, "a", group.Group{Name: "Eng"}); err != nil {
			t.Errorf("Create of a taken name with AllowDuplicateNames: %v", err)
		}
	})
}

// What an app queries through a Directory: the groups of a user and a
// group's members in pages, both from indexes, and the feed in pages.
func TestDirectoryQueries(t *testing.T) {
	eachStore(t, func(t *testing.T, store scimx.Store) {
		ctx := t.Context()
		d := &scimx.Directory{Store: store}
		var members []string
		for i := range 25 {
			members = append(members, fmt.Sprintf("u%02d", i))
		}
		all, err := d.Create(ctx, "a", group.Group{Name: "Everyone", Members: group.NewMembers(members...)})
		if err != nil {
			t.Fatal(err)
		}
		eng, err := d.Create(ctx, "a", group.Group{Name: "Eng", Members: group.NewMembers("u01", "u02")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Create(ctx, "b", group.Group{Name: "Eng", Members: group.NewMembers("u01")}); err != nil {
			t.Fatal(err)
		}
		of, err := d.GroupsOf(ctx, "a", "u01")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range of {
			names = append(names, r.Name)
		}
		wantIDs := []string{all.ID, eng.ID}
		slices.Sort(wantIDs)
		if len(of) != 2 || of[0].ID != wantIDs[0] || of[1].ID != wantIDs[1] {
			t.Errorf("GroupsOf u01 = %v, want tenant a's two groups, sorted by id", names)
		}
		if of, _ := d.GroupsOf(ctx, "a", "nobody"); len(of) != 0 {
			t.Errorf("GroupsOf a non-member = %v, want none", of)
		}
		var got []string
		after, pages := "", 0
		for {
			page, next, err := d.Members(ctx, "a", all.ID, after, 10)
			if err != nil {
				t.Fatal(err)
			}
			got, pages = append(got, page...), pages+1
			if next == "" {
				break
			}
			after = next
		}
		if !slices.Equal(got, members) || pages != 3 {
			t.Errorf("%d pages of 10 gave %v, want 3 pages of every member in order", pages, got)
		}
		for _, limit := range []int{0, -1, 10001} {
			if _, _, err := d.Members(ctx, "a", all.ID, "", limit); !errors.Is(err, scimx.ErrInvalidValue) {
				t.Errorf("Members with limit %d: %v, want ErrInvalidValue", limit, err)
			}
		}
		if _, _, err := d.Members(ctx, "b", all.ID, "", 10); !errors.Is(err, scimx.ErrNotFound) {
			t.Errorf("R16: tenant b's Members of tenant a's group: %v, want ErrNotFound", err)
		}
		evs, err := d.Events(ctx, "a", 1, 10)
		if err != nil || len(evs) != 1 || evs[0].Seq != 2 || evs[0].Group != eng.ID {
			t.Errorf("Events after 1 = %+v, %v; want the second create", evs, err)
		}
		if _, err := d.Events(ctx, "a", -1, 10); !errors.Is(err, scimx.ErrInvalidValue) {
			t.Errorf("Events after -1: %v, want ErrInvalidValue", err)
		}
		if _, err := d.Events(ctx, "a", 0, 0); !errors.Is(err, scimx.ErrInvalidValue) {
			t.Errorf("Events with limit 0: %v, want ErrInvalidValue", err)
		}
	})
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// prune records a cursor at through in tenant and prunes every event it
// passed, as a Consumer's Retention does once they are old enough.
func prune(t *testing.T, store scimx.Store, tenant string, through int64) {
	t.Helper()
	err := store.Update(t.Context(), tenant, func(tx scimx.Tx) error {
		if err := tx.SetCursor("pruner", through); err != nil {
			return err
		}
		_, err := tx.PruneEvents(time.Now().Add(time.Hour))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// R17: a read of the feed never skips pruned events silently. After a
// retention deleted events 1 to 3, Directory.Events after 0, 1 or 2 is
// refused with ErrPruned (the reader has missed changes); after 3 it reads
// on; a feed that never had an event, and an after at or past the newest
// event, are not pruned.
func TestR17EventsAfterPrunedEventsIsErrPruned(t *testing.T) {
	eachStore(t, func(t *testing.T, store scimx.Store) {
		writeGroups(t, store, "acme", 0, 5)
		prune(t, store, "acme", 3)
		d := &scimx.Directory{Store: store}
		tests := []struct {
			name, reason, tenant string
			after                int64
			want                 []int64
			err                  error
		}{
			{"R17 after 0 on a pruned feed", "events 1 to 3 are gone: the reader missed them", "acme", 0, nil, scimx.ErrPruned},
			{"R17 after 2", "event 3 is gone", "acme", 2, nil, scimx.ErrPruned},
			{"R17 after the last pruned", "4 follows 3: nothing is missed", "acme", 3, []int64{4, 5}, nil},
			{"R17 after the newest", "nothing new, nothing missed", "acme", 5, nil, nil},
			{"R17 after a seq to come", "a cursor past the newest event reads nothing", "acme", 9, nil, nil},
			{"R17 a feed that never had events", "nothing was pruned", "other", 0, nil, nil},
		}
		tabletest.Check(t, tests)
		for _, tt := range tests {
			evs, err := d.Events(t.Context(), tt.tenant, tt.after, 10)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Errorf("%s: Events after %d: error %v, want %v (%s)", tt.name, tt.after, err, tt.err, tt.reason)
			}
			if got := seqsOf(evs); !slices.Equal(got, tt.want) {
				t.Errorf("%s: Events after %d gave %v, want %v (%s)", tt.name, tt.after, got, tt.want, tt.reason)
			}
		}
	})
}

// R17: an edit's event has one kind, the first that applies of renamed,
// externalId changed, type changed and members changed; Added, Removed and
// OldName carry the rest, so that no change goes unannounced.
func TestR17EditKindIsTheFirstThatApplies(t *testing.T) {
	tests := []struct {
		name, reason string
		edit         scimx.Edit
		want         scimx.Kind
	}{
		{"R17 members only", "only members joined or left", scimx.Edit{Add: []string{"u2"}}, scimx.MembersChanged},
		{"R17 type only", "a move to another type", scimx.Edit{Type: ptr("Teams"), Add: []string{"u1"}}, scimx.TypeChanged},
		{"R17 members and type", "type outranks members: Added and Removed list the members, nothing else the type",
			scimx.Edit{Type: ptr("Teams"), Members: &[]string{"u2"}}, scimx.TypeChanged},
		{"R17 name, type and members", "a rename outranks both, with OldName", scimx.Edit{Name: ptr("Eng 2"), Type: ptr("Teams"), Add: []string{"u2"}}, scimx.Renamed},
	}
	tabletest.Check(t, tests)
	eachStore(t, func(t *testing.T, store scimx.Store) {
		d := &scimx.Directory{Store: store}
		for _, tt := range tests {
			g, err := d.Create(t.Context(), "a", group.Group{Name: tt.name, Members: group.NewMembers("u1")})
			if err != nil {
				t.Fatal(err)
			}
			if tt.edit.Name != nil {
				tt.edit.Name = ptr(tt.name + " renamed")
			}
			if _, err := d.Edit(t.Context(), "a", g.ID, tt.edit); err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			evs := feedOf(t, store, "a")
			last := evs[len(evs)-1]
			wantAdded := []string{"u2"}
			if slices.Contains(tt.edit.Add, "u1") {
				wantAdded = []string{} // u1 is a member already
			}
			if last.Kind != tt.want || !slices.Equal(last.Added, wantAdded) {
				t.Errorf("%s: kind %q with added %v, want %q with %v added (%s)", tt.name, last.Kind, last.Added, tt.want, wantAdded, tt.reason)
			}
		}
	})
}

// A Directory with UnknownMembers refuses, as a SCIM request with
// ServerOptions.Members is refused, to add member values that are neither
// users it knows nor groups of the tenant, naming them, and writes
// nothing; a group id and a known user are members, and removals are not
// checked.
func TestDirectoryUnknownMembers(t *testing.T) {
	eachStore(t, func(t *testing.T, store scimx.Store) {
		ctx := t.Context()
		known := map[string]bool{"u1": true, "u2": true}
		d := &scimx.Directory{Store: store, UnknownMembers: func(_ context.Context, _ string, ids []string) ([]string, error) {
			var out []string
			for _, id := range ids {
				if !known[id] {
					out = append(out, id)
				}
			}
			return out, nil
		}}
		eng, err := d.Create(ctx, "a", group.Group{Name: "Eng", Members: group.NewMembers("u1")})
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, reason string
			write        func() error
			want         error
		}{
			{"Create with an unknown member", "nobody of that id", func() error {
				_, err := d.Create(ctx, "a", group.Group{Name: "Ops", Members: group.NewMembers("u1", "ghost")})
				return err
			}, scimx.ErrUnknownMembers},
			{"Edit adding an unknown member", "the rename beside it does not apply either", func() error {
				_, err := d.Edit(ctx, "a", eng.ID, scimx.Edit{Name: ptr("Eng 2"), Add: []string{"u2", "ghost"}})
				return err
			}, scimx.ErrUnknownMembers},
			{"Edit replacing with an unknown member", "a replacement adds its new values", func() error {
				_, err := d.Edit(ctx, "a", eng.ID, scimx.Edit{Members: &[]string{"ghost"}})
				return err
			}, scimx.ErrUnknownMembers},
		}
		tabletest.Check(t, tests)
		before := feedOf(t, store, "a")
		for _, tt := range tests {
			err := tt.write()
			var u *scimx.UnknownMembersError
			if !errors.Is(err, tt.want) || !errors.As(err, &u) || !slices.Equal(u.Members, []string{"ghost"}) {
				t.Errorf("%s: %v, want an UnknownMembersError naming ghost (%s)", tt.name, err, tt.reason)
			}
		}
		if after := feedOf(t, store, "a"); len(after) != len(before) {
			t.Errorf("refused writes appended %d events", len(after)-len(before))
		}
		if _, err := d.Edit(ctx, "a", eng.ID, scimx.Edit{Add: []string{eng.ID, "u2"}, Remove: []string{"gone"}}); err != nil {
			t.Errorf("a group id, a known user and a removal of an unknown value: %v", err)
		}
	})
}
