package sync_test

import (
	"context"
	"fmt"
	"time"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/sync"
	"github.com/groupsync/groupsync/sync/targettest"
)

// Planning is a pure function of the desired source groups, the target's
// groups and the stored links.
func ExamplePolicy_Plan() {
	plan := sync.Policy{}.Plan(sync.Input{
		Desired: []sync.SourceGroup{
			{ID: "00g1", Name: "Engineering", Members: []string{"alice", "bob"}},
			{ID: "00g2", Name: "Leadership", Members: []string{"carol"}},
			{ID: "00g3", Name: "leadership "},
		},
		Users: map[string]string{"alice": "u-alice", "bob": "u-bob", "carol": "u-carol"},
		Current: []sync.TargetGroup{{ID: "t9", Name: "Leadership", Origin: origin.Target,
			Members: group.NewMembers("u-dave"), MembersRead: true}},
	})
	fmt.Print(plan)
	// Output:
	// Plan: 2 to create, 1 to link, 0 to update, 0 to unlink, 0 to delete, 0 unchanged, 0 blocked.
	//
	//   + create "Engineering" (source 00g1)
	//       + 2 members: u-alice, u-bob
	//
	//   ~ link "Leadership" (source 00g2, target t9) by exact name
	//       ~ externalId -> 00g2
	//       - 1 member: u-dave
	//       + 1 member: u-carol
	//
	//   + create "leadership " (source 00g3)
	//
	// Findings:
	//   ! group "leadership " (source 00g3): likely duplicate group of "Leadership" (id t9)
}

// An Applier reads the target and the store, plans and applies.
func ExampleApplier_Sync() {
	app := &targettest.Target{}
	a := &sync.Applier{Target: app, Store: &sync.MemStore{}}
	in := sync.Input{Desired: []sync.SourceGroup{{ID: "00g1", Name: "Engineering", Members: []string{"u1"}}}}
	_, statuses, err := a.Sync(context.Background(), in)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range statuses {
		fmt.Printf("group %s was %s\n", s.Name, s.Outcome)
	}
	for _, g := range app.Groups() {
		fmt.Printf("%s: type %s, origin %s, members %v\n", g.Name, g.Type, g.Origin, g.Members.Slice())
	}
	// Output:
	// group Engineering was created
	// Engineering: type Groups, origin source, members [u1]
}

// Diagnose turns statuses and plans into the rows of the troubleshooting
// table.
func ExampleDiagnose() {
	last := time.Date(2026, 11, 2, 9, 3, 0, 0, time.UTC)
	state := sync.State{Statuses: []sync.Status{{
		SourceID: "00g1", Name: "Engineering", LastAttempt: last, Forced: true,
		Outcome: sync.Failed, Error: "503 service unavailable", PendingSince: last.Add(-time.Hour),
	}}}
	for _, d := range sync.Diagnose(state, sync.Plan{}) {
		fmt.Println(d.Problem)
		fmt.Println("fix:", d.Problem.Fix())
		fmt.Printf("support request: group %q, last sync attempt %s\n", d.Name, d.LastAttempt.Format(time.RFC3339))
	}
	// Output:
	// force sync did not resolve the delay
	// fix: contact the app's support with the group name and the timestamp of the last sync attempt
	// support request: group "Engineering", last sync attempt 2026-11-02T09:03:00Z
}

// After a push, diagnose the state the push left against a fresh plan of
// the current state: the plan the push applied is no longer current, and
// would report every group it just changed as pending.
func ExampleDiagnose_afterPush() {
	ctx := context.Background()
	app := &targettest.Target{}
	app.Put(group.Group{Name: "Sales", Origin: origin.Target, Members: group.NewMembers("u-erin")})
	store := &sync.MemStore{}
	a := &sync.Applier{Target: app, Store: store}
	in := sync.Input{Desired: []sync.SourceGroup{
		{ID: "00g1", Name: "Engineering", Members: []string{"u-alice"}},
		{ID: "00g2", Name: "Sales", Members: []string{"u-bob"}},
	}}
	if _, _, err := a.Sync(ctx, in); err != nil {
		fmt.Println(err)
		return
	}
	// Later, Sales is renamed in the source: the app owns the name.
	in.Desired[1].Name = "Sales EMEA"
	if _, _, err := a.Sync(ctx, in); err != nil {
		fmt.Println(err)
		return
	}

	state, err := store.Load(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	current, err := a.Plan(ctx, in) // reads the target, writes nothing
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range sync.Diagnose(state, current) {
		fmt.Printf("%s: %s\nfix: %s\n", d.Name, d.Problem, d.Problem.Fix())
	}
	// Output:
	// Sales EMEA: group is read-only in the source
	// fix: manage the group in the app; it cannot be edited from the source
}

// Right after a push, diagnose the store alone: Applier.Diagnose takes no
// plan to get wrong. Here a rename would take the name of a group made in
// the app: the planner sees it before anything is written, sends no rename,
// and the diagnosis names the fix.
func ExampleApplier_Diagnose() {
	ctx := context.Background()
	app := &targettest.Target{}
	a := &sync.Applier{Target: app, Store: &sync.MemStore{}}
	in := sync.Input{Desired: []sync.SourceGroup{
		{ID: "00g1", Name: "Engineering", Members: []string{"u1"}},
		{ID: "00g2", Name: "Sales", Members: []string{"u2"}},
	}}
	if _, _, err := a.Sync(ctx, in); err != nil {
		fmt.Println(err)
		return
	}
	ds, err := a.Diagnose(ctx)
	fmt.Println(len(ds), "problems", err)

	app.Put(group.Group{Name: "Platform", Origin: origin.Target}) // made in the app
	in.Desired[0].Name = "Platform"
	_, _, err = a.Sync(ctx, in)
	fmt.Println("push:", err)
	ds, err = a.Diagnose(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range ds {
		fmt.Printf("%s: %s\nfix: %s\n", d.Name, d.Problem, d.Fix())
	}
	// Output:
	// 0 problems <nil>
	// push: <nil>
	// Platform: the group's name is taken on the target
	// fix: another group on the target is named "Platform": rename one of them
}
