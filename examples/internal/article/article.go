package article

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/origin"
	groupsync "github.com/groupsync/groupsync/sync"
)

// App is 15Five as its admin reaches it: its Manage groups page and what a
// person does there by hand, never SCIM. An App may print lines of its own
// to the walk's [Printer] for what it does (the walkthrough shows its admin
// API requests); the walk prints the sentence of the article first.
type App interface {
	// Create makes a group in the app, as an admin does: origin target,
	// with g's name, type and members. It returns the group as the app
	// stores it.
	Create(ctx context.Context, g group.Group) (group.Group, error)
	// Groups returns every group of the app, local attributes included, in
	// any order.
	Groups(ctx context.Context) ([]group.Group, error)
	// SetType moves the group of that id to another group type.
	SetType(ctx context.Context, id, typ string) error
	// AddMember adds a member to the group of that id by hand.
	AddMember(ctx context.Context, id, member string) error
	// FailUpdates makes the app refuse every update of the group of that
	// id with a transient error (503 Service Unavailable), until stop is
	// called.
	FailUpdates(ctx context.Context, id string) (stop func(), err error)
}

// Config is what a program supplies to [Run]. App, Target, Out and Clock
// are required.
type Config struct {
	// App is 15Five as its admin reaches it.
	App App
	// Target is 15Five as Okta reaches it: what Okta's applier pushes
	// through.
	Target groupsync.Target
	// Out receives the walk-through.
	Out *Printer
	// Clock stamps Okta's statuses; Run moves it one minute at each step
	// and each retry.
	Clock *Clock
	// Intro, when set, is printed before the first step: what stands in
	// for Okta and for 15Five.
	Intro string
	// Connect, when set, is called in step 1 after the app's own groups are
	// shown and before Okta lists them: a program tests its connection
	// there and prints what it shows. An error stops the walk.
	Connect func(ctx context.Context) error
	// ShowWire, when set, is called after each push, before the push's
	// outcomes are printed: it prints what went over the wire since it was
	// last called, and returns an error when any of it departs from the
	// article (an attribute other than ID, name and members, say).
	ShowWire func() error
}

// The groups of the article: Okta's ids, and a name that nearly matches
// 15Five's "Leadership".
const (
	engID      = "okta-eng"
	leadID     = "okta-leadership"
	nearID     = "okta-leadership-2"
	salesSrcID = "okta-sales"
	nearName   = "leadership " // lower case, trailing space
)

// defaultType is the group type under which the article says a pushed
// group appears.
const defaultType = "Groups"

// steps are the article's steps, in its order.
var steps = []struct {
	title string
	do    func(*walk) error
}{
	{"Before you begin: SCIM is connected", (*walk).connected},
	{"Push a new group from Okta to 15Five", (*walk).pushNew},
	{"Move the group to a different group type", (*walk).moveType},
	{"Associate an Okta group with an existing 15Five group", (*walk).associate},
	{"An Okta group name that does not match exactly", (*walk).nearMiss},
	{"A group created in 15Five is read-only in Okta", (*walk).readOnly},
	{"Group changes are not appearing in 15Five: run a force sync", (*walk).forceSync},
	{"If something goes wrong: the troubleshooting table", (*walk).troubleshoot},
}

// Run walks the article's steps with cfg's app, printing each to cfg.Out:
// what the admin does, the plan Okta makes, what the push did, and what
// 15Five's Manage groups page then shows. It returns the first error of the
// app, the target or the printer, and an error naming the step when the
// library does not do what the article says. A step's error is a
// [*StepError].
func Run(ctx context.Context, cfg Config) error {
	if cfg.App == nil || cfg.Target == nil || cfg.Out == nil || cfg.Clock == nil {
		return errors.New("article: Run needs an app, a target, a printer and a clock")
	}
	w := &walk{
		ctx:   ctx,
		cfg:   cfg,
		out:   cfg.Out,
		app:   cfg.App,
		wire:  &counter{Target: cfg.Target},
		store: &groupsync.MemStore{},
	}
	w.okta = &groupsync.Applier{Target: w.wire, Store: w.store, Now: cfg.Clock.Now}
	if cfg.Intro != "" {
		w.out.Printf("%s", cfg.Intro)
	}
	for i, s := range steps {
		if i > 0 {
			cfg.Clock.Tick()
		}
		if i > 0 || cfg.Intro != "" {
			w.out.Printf("\n")
		}
		w.out.Printf("== %d. %s ==\n", i+1, s.title)
		if err := s.do(w); err != nil {
			return &StepError{Step: i + 1, Title: s.title, Err: err}
		}
		if err := w.out.Err(); err != nil {
			return err
		}
	}
	return nil
}

// StepError is the failure of one step of the article: the library
// departed from it, or the app, the target or the printer failed.
type StepError struct {
	Step  int    // the step's number, from 1
	Title string // the step's title
	Err   error  // the cause
}

// Error names the step and says what went wrong.
func (e *StepError) Error() string { return fmt.Sprintf("step %d (%s): %v", e.Step, e.Title, e.Err) }

// Unwrap returns the cause.
func (e *StepError) Unwrap() error { return e.Err }

// walk is the state the steps share.
type walk struct {
	ctx   context.Context
	cfg   Config
	out   *Printer
	app   App
	wire  *counter // 15Five as Okta reaches it
	store *groupsync.MemStore
	okta  *groupsync.Applier

	// push is the push list: the complete desired set Okta syncs.
	push []groupsync.SourceGroup
	// 15Five's ids of the groups of the article.
	leadershipID, salesID, engineeringID string
}

// 1. SCIM must already be configured: 15Five answers Okta.
func (w *walk) connected() error {
	w.out.Printf("15Five already has two groups of its own, made in the app:\n")
	lead, err := w.app.Create(w.ctx, group.Group{Name: "Leadership", Type: "Teams",
		Members: group.NewMembers("u-carol", "u-dave")})
	if err != nil {
		return err
	}
	sales, err := w.app.Create(w.ctx, group.Group{Name: "Sales", Type: "Departments",
		Members: group.NewMembers("u-erin", "u-frank", "u-ivan")})
	if err != nil {
		return err
	}
	w.leadershipID, w.salesID = lead.ID, sales.ID
	if err := w.showApp("In 15Five, Settings > People > Manage groups:"); err != nil {
		return err
	}
	if w.cfg.Connect != nil {
		if err := w.cfg.Connect(w.ctx); err != nil {
			return err
		}
	}

	listed, err := w.wire.List(w.ctx)
	if err != nil {
		return fmt.Errorf("15Five does not answer Okta: %w", err)
	}
	w.out.Printf("SCIM provisioning is enabled and connected: 15Five answers Okta's list of groups\n")
	w.out.Printf("(Okta sees ids, names and origins; no types, no members):\n")
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, g := range listed {
		fmt.Fprintf(tw, "  %s\t%q\torigin %s\n", g.ID, g.Name, g.Origin)
	}
	tw.Flush()
	w.out.Printf("%s", b.String())

	want := map[string]string{lead.ID: "Leadership", sales.ID: "Sales"}
	if len(listed) != len(want) {
		return fmt.Errorf("15Five lists %d groups to Okta, want %d", len(listed), len(want))
	}
	for _, g := range listed {
		switch {
		case want[g.ID] != g.Name:
			return fmt.Errorf("15Five lists group %s as %q, want %q", g.ID, g.Name, want[g.ID])
		case g.Origin != origin.Target:
			return fmt.Errorf("group %q has origin %s, want target", g.Name, g.Origin)
		case g.MembersRead:
			return fmt.Errorf("the list of groups has the members of %q", g.Name)
		}
	}
	return w.expectGroups(2)
}

// 2. Create the group in Okta, push it, find it under the Groups type.
func (w *walk) pushNew() error {
	w.setPush(groupsync.SourceGroup{ID: engID, Name: "Engineering", Members: []string{"u-alice", "u-bob"}})
	w.out.Printf("In Okta, create the group \"Engineering\" (u-alice, u-bob) and click Push Groups.\n")
	if _, err := w.sync(w.okta, false); err != nil {
		return err
	}
	st, ok, err := w.status(engID)
	if err != nil {
		return err
	}
	if !ok || st.TargetID == "" {
		return errors.New("okta has no link of Engineering to a 15Five group")
	}
	w.engineeringID = st.TargetID
	if err := w.showApp("In 15Five, go to Settings > People > Manage groups:"); err != nil {
		return err
	}
	g, err := w.group(w.engineeringID)
	if err != nil {
		return err
	}
	w.out.Printf("Confirm: \"Engineering\" (%s) appears under the %s group type, origin %s.\n", g.ID, g.Type, g.Origin)
	switch {
	case g.Name != "Engineering" || g.ExternalID != engID:
		return fmt.Errorf("pushed group is %q with externalId %q", g.Name, g.ExternalID)
	case g.Type != defaultType:
		return fmt.Errorf("pushed group has type %q, want %q", g.Type, defaultType)
	case g.Origin != origin.Source:
		return fmt.Errorf("pushed group has origin %s, want source", g.Origin)
	case !g.Members.Equal(group.NewMembers("u-alice", "u-bob")):
		return fmt.Errorf("pushed group has members %v", g.Members.Slice())
	}
	return w.expectGroups(3)
}

// 3. Moving the group to another type in the app survives later syncs.
func (w *walk) moveType() error {
	w.out.Printf("In 15Five, drag \"Engineering\" to the Teams group type.\n")
	if err := w.app.SetType(w.ctx, w.engineeringID, "Teams"); err != nil {
		return err
	}
	before, err := w.group(w.engineeringID)
	if err != nil {
		return err
	}
	if before.Type != "Teams" {
		return fmt.Errorf("15Five did not move Engineering: its type is %q", before.Type)
	}
	w.setPush(groupsync.SourceGroup{ID: engID, Name: "Engineering", Members: []string{"u-alice", "u-grace"}})
	w.out.Printf("In Okta, replace u-bob with u-grace in \"Engineering\" and push again.\n")
	if _, err := w.sync(w.okta, false); err != nil {
		return err
	}
	if err := w.showApp("In 15Five, Settings > People > Manage groups:"); err != nil {
		return err
	}
	after, err := w.group(w.engineeringID)
	if err != nil {
		return err
	}
	w.out.Printf("The type is not overwritten: \"Engineering\" keeps id %s and the %s type.\n", after.ID, after.Type)
	w.out.Printf("Only ID, name and members synced: its members are %s.\n", list(after.Members))
	switch {
	case after.Type != "Teams":
		return fmt.Errorf("the sync changed the group type to %q", after.Type)
	case after.ID != before.ID || after.Name != "Engineering" || after.Origin != before.Origin:
		return fmt.Errorf("the sync changed the group to %s %q, origin %s", after.ID, after.Name, after.Origin)
	case !after.Members.Equal(group.NewMembers("u-alice", "u-grace")):
		return fmt.Errorf("members are %v after the sync", after.Members.Slice())
	}
	return nil
}

// 4. An Okta group of exactly the same name takes over the app group's
// membership; no duplicate is created.
func (w *walk) associate() error {
	before, err := w.group(w.leadershipID)
	if err != nil {
		return err
	}
	w.out.Printf("15Five's \"Leadership\" (%s, type %s, origin %s: made in the app)\nhas members %s.\n",
		before.ID, before.Type, before.Origin, list(before.Members))
	if before.Origin != origin.Target {
		return fmt.Errorf("15Five's Leadership has origin %s, want target", before.Origin)
	}
	w.setPush(groupsync.SourceGroup{ID: leadID, Name: "Leadership", Members: []string{"u-alice", "u-carol", "u-erin"}})
	w.out.Printf("In Okta, create a group with the exact same name, \"Leadership\", add the correct\n")
	w.out.Printf("members (u-alice, u-carol, u-erin) and click Push Groups.\n")
	if _, err := w.sync(w.okta, false); err != nil {
		return err
	}
	if err := w.showApp("In 15Five, go to Settings > People > Manage groups and confirm membership updated:"); err != nil {
		return err
	}
	after, err := w.group(w.leadershipID)
	if err != nil {
		return err
	}
	n, err := w.countNamed("Leadership")
	if err != nil {
		return err
	}
	w.out.Printf("\"Leadership\" (%s) now has members %s:\n", after.ID, list(after.Members))
	w.out.Printf("membership overwritten, %s named \"Leadership\" (no duplicate),\n", groups(n))
	w.out.Printf("its type %s and origin %s kept.\n", after.Type, after.Origin)
	switch {
	case n != 1:
		return fmt.Errorf("%d groups are named Leadership, want 1", n)
	case !after.Members.Equal(group.NewMembers("u-alice", "u-carol", "u-erin")):
		return fmt.Errorf("group Leadership has members %v", after.Members.Slice())
	case after.Type != before.Type || after.Origin != before.Origin:
		return fmt.Errorf("group Leadership changed type or origin: %s, %s", after.Type, after.Origin)
	case after.ExternalID != leadID:
		return fmt.Errorf("group Leadership has externalId %q, want %q", after.ExternalID, leadID)
	}
	return w.expectGroups(3)
}

// 5. A name that matches only after case and white-space folding would
// create a duplicate; the blocking policy stops it.
func (w *walk) nearMiss() error {
	w.setPush(groupsync.SourceGroup{ID: nearID, Name: nearName, Members: []string{"u-alice"}})
	w.out.Printf("In Okta, a second group is named %q (lower case, trailing space): it does not\n", nearName)
	w.out.Printf("exactly match \"Leadership\", so a push would create a duplicate. Okta's plan flags it:\n")
	p, err := w.okta.Plan(w.ctx, groupsync.Input{Desired: w.push})
	if err != nil {
		return err
	}
	w.out.Printf("%s", indent(p.String(), "  | "))
	if f, ok := finding(p, nearID, groupsync.NearDuplicate); !ok || f.Blocked || !errors.Is(f, groupsync.ErrNearDuplicate) {
		return errors.New("the plan does not flag the near duplicate")
	}
	w.out.Printf("Okta pushes with sync.Policy{BlockNearDuplicates: true} instead:\n")
	strict := *w.okta
	strict.Policy = groupsync.Policy{BlockNearDuplicates: true}
	writes := w.wire.writes
	p, err = w.sync(&strict, false)
	if err != nil {
		return err
	}
	if f, ok := finding(p, nearID, groupsync.NearDuplicate); !ok || !f.Blocked {
		return errors.New("the plan does not block the near duplicate")
	}
	if n := w.wire.writes - writes; n != 0 {
		return fmt.Errorf("the blocked push made %s", plural(n, "write"))
	}
	if err := w.showApp("In 15Five, Settings > People > Manage groups:"); err != nil {
		return err
	}
	n, err := w.countNamed(nearName)
	if err != nil {
		return err
	}
	lead, err := w.countNamed("Leadership")
	if err != nil {
		return err
	}
	w.out.Printf("Not created: %s named %q, %s named \"Leadership\".\n", groups(n), nearName, groups(lead))
	w.out.Printf("Correct the Okta group name to match exactly; until then Okta leaves it off the push list.\n")
	w.drop(nearID)
	if n != 0 || lead != 1 {
		return fmt.Errorf("%d groups named %q and %d named Leadership, want 0 and 1", n, nearName, lead)
	}
	return w.expectGroups(3)
}

// 6. A group created in 15Five and imported to Okta cannot be edited in
// Okta.
func (w *walk) readOnly() error {
	before, err := w.group(w.salesID)
	if err != nil {
		return err
	}
	w.out.Printf("\"Sales\" was created in 15Five (%s) and imported to Okta. In Okta, someone sets\n", before.ID)
	w.out.Printf("its members to u-alice, u-bob, u-erin and clicks Push Groups.\n")
	w.setPush(groupsync.SourceGroup{ID: salesSrcID, Name: "Sales", ImportedFrom: w.salesID,
		Members: []string{"u-alice", "u-bob", "u-erin"}})
	writes := w.wire.writes
	p, err := w.sync(w.okta, false)
	if err != nil {
		return err
	}
	f, ok := finding(p, salesSrcID, groupsync.ReadOnly)
	if !ok || !errors.Is(f, origin.ErrReadOnly) {
		return errors.New("the plan has no read-only finding for Sales")
	}
	after, err := w.group(w.salesID)
	if err != nil {
		return err
	}
	n := w.wire.writes - writes
	w.out.Printf("errors.Is(finding, origin.ErrReadOnly) = %t: Okta wrote nothing (%s to 15Five);\n",
		errors.Is(f, origin.ErrReadOnly), plural(n, "write"))
	w.out.Printf("\"Sales\" still has members %s.\n", list(after.Members))
	switch {
	case n != 0:
		return fmt.Errorf("the push of a read-only group made %s", plural(n, "write"))
	case !same(before, after):
		return fmt.Errorf("group Sales changed: %+v", after)
	}
	w.out.Printf("Okta's troubleshooting says:\n")
	ds, err := w.diagnose()
	if err != nil {
		return err
	}
	if _, ok := problem(ds, salesSrcID, groupsync.ReadOnlyInSource); !ok {
		return errors.New("diagnose has no read-only row for Sales")
	}
	w.out.Printf("Manage \"Sales\" in 15Five. Create groups in Okta first, then push them, to avoid\n")
	w.out.Printf("the read-only limitation. Okta leaves \"Sales\" off the push list.\n")
	w.drop(salesSrcID)
	return nil
}

// 7. A normal sync pushes differences from what Okta last pushed; a force
// sync reads 15Five and repairs drift.
func (w *walk) forceSync() error {
	w.out.Printf("In 15Five, someone adds u-mallory to \"Engineering\" by hand.\n")
	if err := w.app.AddMember(w.ctx, w.engineeringID, "u-mallory"); err != nil {
		return err
	}
	g, err := w.group(w.engineeringID)
	if err != nil {
		return err
	}
	w.out.Printf("\"Engineering\" now has members %s.\n", list(g.Members))
	if !g.Members.Equal(group.NewMembers("u-alice", "u-grace", "u-mallory")) {
		return fmt.Errorf("after the edit by hand Engineering has members %v", g.Members.Slice())
	}
	w.out.Printf("Okta pushes only the differences from what it last pushed; it does not see the change:\n")
	writes := w.wire.writes
	p, err := w.sync(w.okta, false)
	if err != nil {
		return err
	}
	if n := w.wire.writes - writes; p.Len() != 0 || n != 0 {
		return fmt.Errorf("the normal sync plans %d operations and makes %s, want none", p.Len(), plural(n, "write"))
	}
	w.out.Printf("Run a force sync in Okta: it reads every linked group from 15Five and repairs the drift:\n")
	if _, err := w.sync(w.okta, true); err != nil {
		return err
	}
	after, err := w.group(w.engineeringID)
	if err != nil {
		return err
	}
	w.out.Printf("\"Engineering\" has members %s again, and is still of type %s.\n", list(after.Members), after.Type)
	switch {
	case !after.Members.Equal(group.NewMembers("u-alice", "u-grace")):
		return fmt.Errorf("after the force sync Engineering has members %v", after.Members.Slice())
	case after.Type != "Teams":
		return fmt.Errorf("the force sync changed the group type to %q", after.Type)
	}
	return nil
}

// 8. Every row of the troubleshooting table, from Okta's state and a
// current plan: 15Five fails every update of one group, so its changes stay
// pending and a force sync fails too; a near miss is pushed without the
// blocking policy; the imported group is edited again.
func (w *walk) troubleshoot() error {
	w.out.Printf("Three things go wrong:\n")
	w.out.Printf("  - 15Five fails every update of \"Engineering\" (503), and in Okta u-heidi joins it.\n")
	stop, err := w.app.FailUpdates(w.ctx, w.engineeringID)
	if err != nil {
		return err
	}
	defer stop()
	w.setPush(groupsync.SourceGroup{ID: engID, Name: "Engineering", Members: []string{"u-alice", "u-grace", "u-heidi"}})
	w.out.Printf("  - %q is pushed again, this time without BlockNearDuplicates.\n", nearName)
	w.setPush(groupsync.SourceGroup{ID: nearID, Name: nearName, Members: []string{"u-alice"}})
	w.out.Printf("  - In Okta, someone edits the imported \"Sales\" group again.\n")
	w.setPush(groupsync.SourceGroup{ID: salesSrcID, Name: "Sales", ImportedFrom: w.salesID,
		Members: []string{"u-alice", "u-bob", "u-erin"}})

	w.out.Printf("Push Groups at %s:\n", stamp(w.cfg.Clock.Now()))
	if _, err := w.sync(w.okta, false); !failed(err, engID) {
		return fmt.Errorf("first attempt: got error %v, want Engineering to fail", err)
	}
	if err := w.showApp("In 15Five, Settings > People > Manage groups:"); err != nil {
		return err
	}
	near, err := w.countNamed(nearName)
	if err != nil {
		return err
	}
	w.out.Printf("The push created %q beside \"Leadership\": a duplicate.\n", nearName)
	if near != 1 {
		return fmt.Errorf("%d groups are named %q, want the one duplicate", near, nearName)
	}

	w.cfg.Clock.Tick()
	w.out.Printf("Okta retries at %s:\n", stamp(w.cfg.Clock.Now()))
	if err := w.retry(w.okta, false); !failed(err, engID) {
		return fmt.Errorf("second attempt: got error %v, want Engineering to fail", err)
	}
	st, _, err := w.status(engID)
	if err != nil {
		return err
	}
	if st.PendingSince.IsZero() || !st.PendingSince.Before(st.LastAttempt) {
		return fmt.Errorf("the changes of Engineering are pending since %s, last attempt %s", stamp(st.PendingSince), stamp(st.LastAttempt))
	}
	w.out.Printf("Group changes are still not appearing in 15Five. Okta's troubleshooting says:\n")
	first, err := w.diagnose()
	if err != nil {
		return err
	}
	for _, want := range []struct {
		sourceID string
		problem  groupsync.Problem
	}{
		{engID, groupsync.ChangesPending},
		{salesSrcID, groupsync.ReadOnlyInSource},
		{nearID, groupsync.DuplicateCreated},
	} {
		if _, ok := problem(first, want.sourceID, want.problem); !ok {
			return fmt.Errorf("diagnose has no %q row for %s", want.problem, want.sourceID)
		}
	}

	w.cfg.Clock.Tick()
	w.out.Printf("Run a force sync in Okta, at %s:\n", stamp(w.cfg.Clock.Now()))
	if _, err := w.sync(w.okta, true); !failed(err, engID) {
		return fmt.Errorf("force sync: got error %v, want Engineering to fail", err)
	}
	w.out.Printf("The force sync does not resolve the delay. Okta's troubleshooting says:\n")
	ds, err := w.diagnose()
	if err != nil {
		return err
	}
	d, ok := problem(ds, engID, groupsync.ForceSyncFailed)
	switch {
	case !ok:
		return errors.New("diagnose has no force-sync row for Engineering")
	case d.Name != "Engineering" || !d.LastAttempt.Equal(w.cfg.Clock.Now()):
		return fmt.Errorf("support request names %q at %s, want Engineering at %s", d.Name, stamp(d.LastAttempt), stamp(w.cfg.Clock.Now()))
	}
	if _, ok := problem(ds, engID, groupsync.ChangesPending); ok {
		return errors.New("diagnose still says to run a force sync after the force sync failed")
	}
	g, err := w.group(w.engineeringID)
	if err != nil {
		return err
	}
	if g.Members.Contains("u-heidi") {
		return errors.New("u-heidi reached Engineering through a failing target")
	}
	w.out.Printf("Contact 15Five Support with the group name and the timestamp of the last sync attempt:\n")
	w.out.Printf("  group %q, last sync attempt %s\n", d.Name, stamp(d.LastAttempt))
	return nil
}

// sync plans the push list with a, prints the plan, applies it and prints
// what went over the wire and what the push did. It returns the plan and
// the apply error.
func (w *walk) sync(a *groupsync.Applier, force bool) (groupsync.Plan, error) {
	p, err := a.Plan(w.ctx, groupsync.Input{Desired: w.push, Force: force})
	if err != nil {
		return p, err
	}
	w.out.Printf("%s", indent(p.String(), "  | "))
	st, err := a.Apply(w.ctx, p)
	return p, w.pushed(st, err)
}

// retry syncs like sync without printing the plan.
func (w *walk) retry(a *groupsync.Applier, force bool) error {
	_, st, err := a.Sync(w.ctx, groupsync.Input{Desired: w.push, Force: force})
	return w.pushed(st, err)
}

// pushed prints what went over the wire and how the push ended for each
// group it changed. It returns the wire's error, if any, else err.
func (w *walk) pushed(sts []groupsync.Status, err error) error {
	var werr error
	if w.cfg.ShowWire != nil {
		werr = w.cfg.ShowWire()
	}
	shown := false
	for _, st := range sts {
		switch st.Outcome {
		case groupsync.Unchanged:
			continue
		case groupsync.Failed:
			w.out.Printf("  -> group %q failed: %s\n", st.Name, st.Error)
		default:
			w.out.Printf("  -> group %q was %s\n", st.Name, st.Outcome)
		}
		shown = true
	}
	if !shown {
		w.out.Printf("  -> every group was left unchanged\n")
	}
	return cmp.Or(werr, err)
}

// diagnose prints the troubleshooting rows of Okta's state and a current
// plan, one row of the article's table each.
func (w *walk) diagnose() ([]groupsync.Diagnosis, error) {
	st, err := w.store.Load(w.ctx)
	if err != nil {
		return nil, err
	}
	current, err := w.okta.Plan(w.ctx, groupsync.Input{Desired: w.push})
	if err != nil {
		return nil, err
	}
	ds := groupsync.Diagnose(st, current)
	if len(ds) == 0 {
		w.out.Printf("  (nothing to report)\n")
	}
	for _, d := range ds {
		w.out.Printf("  ! %q: %s\n", d.Name, d.Problem)
		w.out.Printf("      check: %s\n", d.Problem.Check())
		switch {
		case d.Problem == groupsync.ForceSyncFailed:
			w.out.Printf("      seen:  last sync attempt %s (forced): %s\n", stamp(d.LastAttempt), d.Detail)
		case !d.Since.IsZero():
			w.out.Printf("      seen:  pending since %s, last attempt %s: %s\n", stamp(d.Since), stamp(d.LastAttempt), d.Detail)
		case d.Detail != "":
			w.out.Printf("      seen:  %s\n", d.Detail)
		}
		w.out.Printf("      fix:   %s\n", d.Fix())
	}
	return ds, nil
}

// showApp prints 15Five's Manage groups page under the line title.
func (w *walk) showApp(title string) error {
	gs, err := w.app.Groups(w.ctx)
	if err != nil {
		return err
	}
	slices.SortFunc(gs, func(a, b group.Group) int {
		return cmp.Or(strings.Compare(a.Type, b.Type), strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID))
	})
	w.out.Printf("%s\n", title)
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  TYPE\tNAME\tID\tORIGIN\tEXTERNAL ID\tMEMBERS\n")
	for _, g := range gs {
		fmt.Fprintf(tw, "  %s\t%q\t%s\t%s\t%s\t%s\n", g.Type, g.Name, g.ID, g.Origin, dash(g.ExternalID), list(g.Members))
	}
	tw.Flush()
	w.out.Printf("%s", b.String())
	return nil
}

// group returns 15Five's group of that id, as its admin sees it.
func (w *walk) group(id string) (group.Group, error) {
	gs, err := w.app.Groups(w.ctx)
	if err != nil {
		return group.Group{}, err
	}
	for _, g := range gs {
		if g.ID == id {
			return g, nil
		}
	}
	return group.Group{}, fmt.Errorf("15Five has no group %s", id)
}

// countNamed returns how many of 15Five's groups carry exactly that name.
func (w *walk) countNamed(name string) (int, error) {
	gs, err := w.app.Groups(w.ctx)
	n := 0
	for _, g := range gs {
		if g.Name == name {
			n++
		}
	}
	return n, err
}

// expectGroups checks that 15Five holds n groups.
func (w *walk) expectGroups(n int) error {
	gs, err := w.app.Groups(w.ctx)
	if err != nil {
		return err
	}
	if len(gs) != n {
		return fmt.Errorf("15Five holds %d groups, want %d", len(gs), n)
	}
	return nil
}

// status returns Okta's stored status of the source group.
func (w *walk) status(sourceID string) (groupsync.Status, bool, error) {
	st, err := w.store.Load(w.ctx)
	if err != nil {
		return groupsync.Status{}, false, err
	}
	for _, s := range st.Statuses {
		if s.SourceID == sourceID {
			return s, true, nil
		}
	}
	return groupsync.Status{}, false, nil
}

// setPush puts g on the push list, replacing the group of the same id.
func (w *walk) setPush(g groupsync.SourceGroup) {
	for i := range w.push {
		if w.push[i].ID == g.ID {
			w.push[i] = g
			return
		}
	}
	w.push = append(w.push, g)
}

// drop takes the group of that id off the push list.
func (w *walk) drop(id string) {
	w.push = slices.DeleteFunc(w.push, func(g groupsync.SourceGroup) bool { return g.ID == id })
}

// counter is 15Five as Okta reaches it: it counts Okta's writes.
type counter struct {
	groupsync.Target
	writes int
}

func (c *counter) Create(ctx context.Context, ch groupsync.Change) (groupsync.TargetGroup, error) {
	c.writes++
	return c.Target.Create(ctx, ch)
}

func (c *counter) Update(ctx context.Context, id string, ch groupsync.Change) error {
	c.writes++
	return c.Target.Update(ctx, id, ch)
}

func (c *counter) Delete(ctx context.Context, id string) error {
	c.writes++
	return c.Target.Delete(ctx, id)
}

// finding returns the first finding of that kind about the source group.
func finding(p groupsync.Plan, sourceID string, kind groupsync.FindingKind) (groupsync.Finding, bool) {
	for _, f := range p.Findings {
		if f.SourceID == sourceID && f.Kind == kind {
			return f, true
		}
	}
	return groupsync.Finding{}, false
}

// problem returns the diagnosis of that problem about the source group.
func problem(ds []groupsync.Diagnosis, sourceID string, p groupsync.Problem) (groupsync.Diagnosis, bool) {
	for _, d := range ds {
		if d.SourceID == sourceID && d.Problem == p {
			return d, true
		}
	}
	return groupsync.Diagnosis{}, false
}

// failed reports whether err holds the failure of the group of sourceID.
func failed(err error, sourceID string) bool {
	var ge *groupsync.GroupError
	return errors.As(err, &ge) && ge.SourceID == sourceID
}

// same reports whether a and b show the same group.
func same(a, b group.Group) bool {
	return a.ID == b.ID && a.ExternalID == b.ExternalID && a.Name == b.Name &&
		a.Members.Equal(b.Members) && a.Origin == b.Origin && a.Type == b.Type
}
