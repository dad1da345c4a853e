package sync_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/sync"
)

// live returns a target group as a live read shows it, with members.
func live(id, ext, name string, o origin.Origin, members ...string) sync.TargetGroup {
	return sync.TargetGroup{ID: id, ExternalID: ext, Name: name, Origin: o,
		Members: group.NewMembers(members...), MembersRead: true}
}

// listed returns a target group as a listing shows it, without members.
func listed(id, ext, name string, o origin.Origin) sync.TargetGroup {
	return sync.TargetGroup{ID: id, ExternalID: ext, Name: name, Origin: o}
}

// linked returns a link with a last-pushed snapshot.
func linked(src, tgt string, created bool, name string, members ...string) sync.Link {
	return sync.Link{SourceID: src, TargetID: tgt, Created: created,
		Pushed: &sync.Snapshot{Name: name, Members: group.NewMembers(members...)}}
}

func src(id, name string, members ...string) sync.SourceGroup {
	return sync.SourceGroup{ID: id, Name: name, Members: members}
}

func snap(name string, members ...string) *sync.Snapshot {
	return &sync.Snapshot{Name: name, Members: group.NewMembers(members...)}
}

func add(members ...string) sync.Op    { return sync.Op{Kind: sync.OpAddMembers, Members: members} }
func remove(members ...string) sync.Op { return sync.Op{Kind: sync.OpRemoveMembers, Members: members} }

// planOpts compares plans: empty and nil slices are equal, member sets by
// content.
var planOpts = cmp.Options{
	cmpopts.EquateEmpty(),
	cmp.Comparer(func(a, b group.Members) bool { return a.Equal(b) }),
}

func diffPlan(t *testing.T, want, got sync.Plan) {
	t.Helper()
	if d := cmp.Diff(want, got, planOpts); d != "" {
		t.Errorf("plan mismatch (-want +got):\n%s\ngot plan:\n%s", d, got)
	}
}

// kinds returns the kinds of fs, in order.
func kinds(fs []sync.Finding) []sync.FindingKind {
	var out []sync.FindingKind
	for _, f := range fs {
		out = append(out, f.Kind)
	}
	return out
}
