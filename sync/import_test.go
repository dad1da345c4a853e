package sync_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/sync"
)

// R7: Import returns the app-created groups as read-only source groups:
// not the pushed ones, not the associated ones; planning them as given
// writes nothing and reports nothing.
func TestR7ImportGroups(t *testing.T) {
	f := newFixture(sync.Policy{})
	sales := f.tgt.Put(group.Group{Name: "Sales", Origin: origin.Target, Members: group.NewMembers("t-alice", "t-zed")})
	f.tgt.Put(group.Group{Name: "Support", Origin: origin.Target})
	ops := f.tgt.Put(group.Group{Name: "Ops", Origin: origin.Unknown, Members: group.NewMembers("t-bob")})
	users := map[string]string{"alice": "t-alice", "bob": "t-bob"}
	// Engineering is pushed, Support associated: neither is imported.
	in := sync.Input{Desired: []sync.SourceGroup{src("00g1", "Engineering", "alice"), src("00g2", "Support", "bob")}, Users: users}
	f.sync(t, in)

	got, err := f.a.Import(context.Background(), users)
	if err != nil {
		t.Fatal(err)
	}
	want := []sync.SourceGroup{
		{ID: "app:" + ops, Name: "Ops", Members: []string{"bob"}, ImportedFrom: ops},
		{ID: "app:" + sales, Name: "Sales", Members: []string{"alice"}, ImportedFrom: sales},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Import (-want +got):\n%s", d)
	}

	// Imported as they are, with the target's ids, they plan nothing.
	got, err = f.a.Import(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	in.Desired, in.Users = append(in.Desired, got...), nil
	in.Desired[0].Members, in.Desired[1].Members = []string{"t-alice"}, []string{"t-bob"}
	p, err := f.a.Plan(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if p.Len() != 0 || len(p.Findings) != 0 {
		t.Errorf("plan with the imported groups:\n%s\nwant no operation and no finding", p)
	}
}
