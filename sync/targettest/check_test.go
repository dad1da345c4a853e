package targettest_test

import (
	"context"
	"testing"

	"github.com/groupsync/groupsync/internal/tabletest"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/sync"
	"github.com/groupsync/groupsync/sync/targettest"
)

func TestTargetConformance(t *testing.T) {
	if err := targettest.TestTarget(t.Context(), &targettest.Target{}, "u1", "u2", "u3"); err != nil {
		t.Fatal(err)
	}
}

func TestTargetConformanceWithRefusedMembers(t *testing.T) {
	if err := targettest.TestTarget(t.Context(), refusing(), "u1", "u2", "u3"); err != nil {
		t.Errorf("TestTarget failed a target that refuses unknown members: %v", err)
	}
}

// refusing returns a target that knows only the members TestTarget is given.
func refusing() *targettest.Target {
	return &targettest.Target{Accept: func(m string) bool { return m == "u1" || m == "u2" || m == "u3" }}
}

// Broken targets TestTarget must catch, each a Target with one thing wrong.
type (
	lossy     struct{ *targettest.Target } // ignores removals
	nonAtomic struct{ *targettest.Target } // renames before refusing a member
	anonymous struct{ *targettest.Target } // does not say it created a group
	chatty    struct{ *targettest.Target } // lists members
)

func (l lossy) Update(ctx context.Context, id string, c sync.Change) error {
	c.Remove = nil
	return l.Target.Update(ctx, id, c)
}

func (n nonAtomic) Update(ctx context.Context, id string, c sync.Change) error {
	if c.Name != "" {
		if err := n.Target.Update(ctx, id, sync.Change{Name: c.Name}); err != nil {
			return err
		}
	}
	c.Name = ""
	return n.Target.Update(ctx, id, c)
}

func (a anonymous) Create(ctx context.Context, c sync.Change) (sync.TargetGroup, error) {
	g, err := a.Target.Create(ctx, c)
	g.Origin = origin.Unknown
	return g, err
}

func (c chatty) List(ctx context.Context) ([]sync.TargetGroup, error) {
	all, err := c.Target.List(ctx)
	for i := range all {
		g, err := c.Target.Get(ctx, all[i].ID)
		if err != nil {
			return nil, err
		}
		all[i] = g
	}
	return all, err
}

func TestTargetConformanceCatchesBrokenTargets(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		tgt    sync.Target
	}{
		{
			name:   "R8 ignores removals",
			reason: "members on the target that the source lacks are removed",
			tgt:    lossy{&targettest.Target{}},
		},
		{
			name:   "not atomic",
			reason: "an update applies whole or not at all: a refused member undoes the rename beside it",
			tgt:    nonAtomic{refusing()},
		},
		{
			name:   "origin of a new group unknown",
			reason: "a group the push created counts as Origin=Source; the target must say so",
			tgt:    anonymous{&targettest.Target{}},
		},
		{
			name:   "R11 List reads members",
			reason: "a normal sync lists ids and names only, every run; members cost a read of their own",
			tgt:    chatty{&targettest.Target{}},
		},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := targettest.TestTarget(t.Context(), tt.tgt, "u1", "u2", "u3")
			if err == nil {
				t.Fatal("TestTarget passed a broken target")
			}
			t.Log(err)
		})
	}
}
