package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/internal/sqltest"
	"github.com/groupsync/groupsync/sqldialect"
	"github.com/groupsync/groupsync/sync"
	"github.com/groupsync/groupsync/sync/sqlstore"
	"github.com/groupsync/groupsync/sync/storetest"
	"github.com/groupsync/groupsync/sync/targettest"
)

// fillTarget stores a link, a status, a plan and a lease for the target of s,
// each naming the target, so that a leak from one target to another shows.
func fillTarget(t *testing.T, s *sqlstore.Store) {
	t.Helper()
	name := s.Target()
	err := errors.Join(
		s.Link(ctx, sync.Link{SourceID: "shared", TargetID: "t-" + name, Pushed: &sync.Snapshot{Name: name, Members: group.NewMembers("u-" + name)}}),
		s.Link(ctx, sync.Link{SourceID: "only-" + name, TargetID: "x"}),
		s.SetStatus(ctx, sync.Status{SourceID: "shared", Name: name, Outcome: sync.Created}),
		s.SavePlan(ctx, sync.Plan{MaxMembersPerRequest: len(name)}),
	)
	if err != nil {
		t.Fatal(err)
	}
}

// R20: any number of targets share one database, each with links,
// snapshots, statuses, plan and lease of its own.
func TestR20ManyTargetsInOneDatabase(t *testing.T) {
	dialects(t, func(t *testing.T, driver string, d sqldialect.Dialect, dsn func(testing.TB) string) {
		db := sqltest.Open(t, driver, dsn(t))
		base := newStore(t, db, d)
		names := []string{"https://a.example.com/scim/v2", "b", "ccc"}
		for _, n := range names {
			fillTarget(t, base.ForTarget(n))
		}
		for _, n := range names {
			st, err := base.ForTarget(n).Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := []sync.Link{
				{SourceID: "only-" + n, TargetID: "x"},
				{SourceID: "shared", TargetID: "t-" + n, Pushed: &sync.Snapshot{Name: n, Members: group.NewMembers("u-" + n)}},
			}
			if diff := cmp.Diff(want, st.Links); diff != "" {
				t.Errorf("links of %s (-want +got):\n%s", n, diff)
			}
			if len(st.Statuses) != 1 || st.Statuses[0].Name != n || st.LastPlan == nil || st.LastPlan.MaxMembersPerRequest != len(n) {
				t.Errorf("state of %s: statuses %+v, plan %+v; want its own", n, st.Statuses, st.LastPlan)
			}
		}
		// A write to one target leaves the others alone.
		if err := base.ForTarget("b").Pushed(ctx, "shared", sync.Change{Remove: []string{"u-b"}, Add: []string{"u-new"}}); err != nil {
			t.Fatal(err)
		}
		if err := base.ForTarget("b").Unlink(ctx, "only-b"); err != nil {
			t.Fatal(err)
		}
		st, err := base.ForTarget("ccc").Load(ctx)
		if err != nil || len(st.Links) != 2 || !st.Links[1].Pushed.Members.Equal(group.NewMembers("u-ccc")) {
			t.Errorf("target ccc after writes to b: %v, links %+v; want it unchanged", err, st.Links)
		}
		// Leases are per target.
		rel, err := base.ForTarget("b").Lease(ctx, "run-b", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		defer rel(ctx)
		relC, err := base.ForTarget("ccc").Lease(ctx, "run-c", time.Hour)
		if err != nil {
			t.Errorf("lease of ccc while b's is held: %v, want it free", err)
		} else {
			relC(ctx)
		}
		if _, err := base.ForTarget("b").Lease(ctx, "run-b2", time.Hour); !errors.Is(err, sync.ErrLeaseHeld) {
			t.Errorf("second lease of b = %v, want ErrLeaseHeld", err)
		}
		got, err := base.Targets(ctx)
		if diff := cmp.Diff([]string{"b", "ccc", "https://a.example.com/scim/v2"}, got); err != nil || diff != "" {
			t.Errorf("Targets: %v (-want +got):\n%s", err, diff)
		}
		if base.ForTarget("").Target() != sqlstore.DefaultTarget || base.Target() != sqlstore.DefaultTarget {
			t.Errorf("New and ForTarget(\"\") give targets %q and %q, want %q", base.Target(), base.ForTarget("").Target(), sqlstore.DefaultTarget)
		}
	})
}

// R20: each target's store keeps the whole Store contract while other
// targets' state fills the same database.
func TestR20EachTargetKeepsTheContract(t *testing.T) {
	dialects(t, func(t *testing.T, driver string, d sqldialect.Dialect, dsn func(testing.TB) string) {
		n := 0
		err := storetest.TestStore(t.Context(), func() (sync.Store, error) {
			s := sqlstore.New(sqltest.Open(t, driver, dsn(t)), d)
			if err := s.Migrate(t.Context()); err != nil {
				return nil, err
			}
			fillTarget(t, s.ForTarget("neighbour"))
			fillTarget(t, s) // the default target
			n++
			return s.ForTarget(fmt.Sprintf("target-%d", n)), nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// R20: appliers of several targets, each with its own target name, push
// at once through one database without seeing each other's state.
func TestR20AppliersOfManyTargetsShareADatabase(t *testing.T) {
	dialects(t, func(t *testing.T, driver string, d sqldialect.Dialect, dsn func(testing.TB) string) {
		db := sqltest.Open(t, driver, dsn(t))
		base := newStore(t, db, d)
		const n = 8
		targets := make([]*targettest.Target, n)
		errs := make(chan error, n)
		for i := range n {
			targets[i] = &targettest.Target{}
			a := &sync.Applier{Target: targets[i], Store: base.ForTarget(fmt.Sprintf("app-%d", i)), Concurrency: 2}
			go func() {
				in := sync.Input{Desired: []sync.SourceGroup{
					{ID: "00g1", Name: "Engineering", Members: []string{fmt.Sprintf("u%d", i)}},
					{ID: "00g2", Name: fmt.Sprintf("Team %d", i), Members: []string{"u0"}},
				}}
				_, _, err := a.Sync(context.Background(), in)
				errs <- err
			}()
		}
		for range n {
			if err := <-errs; err != nil {
				t.Errorf("sync: %v", err)
			}
		}
		for i := range n {
			st, err := base.ForTarget(fmt.Sprintf("app-%d", i)).Load(ctx)
			if err != nil || len(st.Links) != 2 || len(st.Statuses) != 2 || len(targets[i].Groups()) != 2 {
				t.Errorf("app-%d: %v, %d links, %d statuses, %d groups on the target; want 2 of each", i, err, len(st.Links), len(st.Statuses), len(targets[i].Groups()))
			}
		}
	})
}
