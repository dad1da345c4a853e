package statefile_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/examples/internal/statefile"
	"github.com/groupsync/groupsync/group"
	groupsync "github.com/groupsync/groupsync/sync"
)

func TestStateSurvivesReopening(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.json")
	s, err := statefile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	steps := []error{
		s.Link(ctx, groupsync.Link{SourceID: "s1", TargetID: "t1", Created: true,
			Pushed: &groupsync.Snapshot{Name: "Eng", Members: group.NewMembers("u1")}}),
		s.Pushed(ctx, "s1", groupsync.Change{Name: "Platform", Add: []string{"u2"}, Remove: []string{"u1"}}),
		s.SetStatus(ctx, groupsync.Status{SourceID: "s1", Name: "Platform", LastAttempt: at, Outcome: groupsync.Updated, LastSuccess: at}),
		s.SavePlan(ctx, groupsync.Plan{MaxMembersPerRequest: 100, Groups: []groupsync.GroupPlan{{SourceID: "s1",
			Ops: []groupsync.Op{{Kind: groupsync.OpAddMembers, Members: []string{"u2"}}}}},
			Findings: []groupsync.Finding{{Kind: groupsync.ReadOnly, SourceID: "s9"}}}),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	want, _ := s.Load(ctx)
	again, err := statefile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := again.Load(ctx)
	opt := cmp.Comparer(func(a, b group.Members) bool { return a.Equal(b) })
	if d := cmp.Diff(want, got, opt); d != "" {
		t.Errorf("state after reopening (-want +got):\n%s", d)
	}
	if got.Links[0].Pushed.Name != "Platform" {
		t.Errorf("snapshot %+v", got.Links[0].Pushed)
	}
}
