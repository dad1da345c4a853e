// Plan walks the reference help article, "push groups from Okta to 15Five",
// entirely in memory: a [groupsync.Applier] stands in for Okta, pushing over
// a [targettest.Target] that stands in for 15Five, with a [groupsync.MemStore]
// for Okta's side of the push. Each step of the article prints what the admin
// does, the plan Okta makes, what the push did, and what 15Five's "Manage
// groups" page then shows.
//
// The program checks every claim it prints and fails (exit status 1) when the
// library departs from the article.
//
// Usage:
//
//	go run ./examples/plan
//
// This file imports the library's sync package as groupsync, beside the
// standard library's.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/origin"
	groupsync "github.com/groupsync/groupsync/sync"
	"github.com/groupsync/groupsync/sync/targettest"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "plan:", err)
		os.Exit(1)
	}
}

// now is the time the walk-through starts at. Tests replace it with a fixed
// time so that the output is deterministic.
var now = time.Now

const usage = `usage: plan [-h]

Plan walks the help article "push groups from Okta to 15Five" in memory:
Okta is a sync.Applier, 15Five a targettest.Target. It takes no arguments.
`

// run parses args (only -h) and prints the walk-through to stdout. It returns
// an error for unknown arguments, and when the library does not do what the
// article says.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	switch err := fs.Parse(args); {
	case errors.Is(err, flag.ErrHelp):
		_, err = io.WriteString(stdout, usage)
		return err
	case err != nil:
		return fmt.Errorf("%w\n%s", err, strings.TrimSuffix(usage, "\n"))
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q\n%s", fs.Arg(0), strings.TrimSuffix(usage, "\n"))
	}

	clk := &clock{t: now().UTC().Truncate(time.Minute)}
	app := &targettest.Target{}
	w := &walk{
		ctx:   ctx,
		out:   &printer{w: stdout},
		clock: clk,
		app:   app,
		wire:  &counter{Target: app},
		store: &groupsync.MemStore{},
	}
	w.okta = &groupsync.Applier{Target: w.wire, Store: w.store, Now: clk.Now}

	steps := []struct {
		title string
		do    func() error
	}{
		{"SCIM connected", w.connected},
		{"Push a new group", w.pushNew},
		{"Move the group to another group type", w.moveType},
		{"Associate an Okta group with an existing 15Five group", w.associate},
		{"A name that does not match exactly", w.nearMiss},
		{"A group created in 15Five is read-only in Okta", w.readOnly},
		{"A member added by hand in 15Five", w.forceSync},
		{"If something goes wrong", w.troubleshoot},
	}
	for i, s := range steps {
		if i > 0 {
			clk.tick()
			w.out.printf("\n")
		}
		w.out.printf("== %d. %s ==\n", i+1, s.title)
		if err := s.do(); err != nil {
			return fmt.Errorf("step %d (%s): %w", i+1, s.title, err)
		}
		if w.out.err != nil {
			return w.out.err
		}
	}
	return w.out.err
}

// The groups of the walk-through: Okta's ids and 15Five's members.
const (
	engID      = "okta-eng"
	leadID     = "okta-leadership"
	nearID     = "okta-leadership-2"
	salesSrcID = "okta-sales"
	nearName   = "leadership " // lower case, trailing space
)

// walk is the state the steps share.
type walk struct {
	ctx   context.Context
	out   *printer
	clock *clock
	app   *targettest.Target // 15Five: its methods other than sync.Target's are the app's UI
	wire  *counter           // 15Five as Okta reaches it
	store *groupsync.MemStore
	okta  *groupsync.Applier

	// push is the push list: the complete desired set Okta syncs.
	push []groupsync.SourceGroup
	// 15Five's ids of the groups of the walk-through.
	leadershipID, salesID, engineeringID string
}

// 1. SCIM must already be configured: 15Five answers Okta.
func (w *walk) connected() error {
	w.leadershipID = w.app.Put(group.Group{Name: "Leadership", Origin: origin.Target, Type: "Teams",
		Members: group.NewMembers("u-carol", "u-dave")})
	w.salesID = w.app.Put(group.Group{Name: "Sales", Origin: origin.Target, Type: "Departments",
		Members: group.NewMembers("u-erin", "u-frank", "u-ivan")})

	listed, err := w.wire.List(w.ctx)
	if err != nil {
		return fmt.Errorf("15Five does not answer: %w", err)
	}
	w.out.printf("SCIM provisioning is enabled and connected: 15Five answers Okta's list of groups\n")
	w.out.printf("(Okta sees ids, names and origins; no types, no members):\n")
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, g := range listed {
		fmt.Fprintf(tw, "  %s\t%q\torigin %s\n", g.ID, g.Name, g.Origin)
	}
	tw.Flush()
	w.out.printf("%s", b.String())
	w.showApp()
	w.out.printf("15Five already has its own groups: \"Leadership\" and \"Sales\", both created in the app.\n")

	if len(listed) != 2 {
		return fmt.Errorf("15Five lists %d groups, want 2", len(listed))
	}
	for _, g := range listed {
		if g.Origin != origin.Target {
			return fmt.Errorf("group %q has origin %s, want target", g.Name, g.Origin)
		}
	}
	return nil
}

// 2. Create the group in Okta, push it, find it under the Groups type.
func (w *walk) pushNew() error {
	w.setPush(groupsync.SourceGroup{ID: engID, Name: "Engineering", Members: []string{"u-alice", "u-bob"}})
	w.out.printf("In Okta, create the group \"Engineering\" (u-alice, u-bob) and click Push Groups.\n")
	if _, _, err := w.sync(w.okta, false); err != nil {
		return err
	}
	g, ok := w.byExternalID(engID)
	if !ok {
		return errors.New("no 15Five group carries externalId " + engID)
	}
	w.engineeringID = g.ID
	w.showApp()
	w.out.printf("Confirm: \"Engineering\" (%s) appears under the %s group type, origin %s.\n", g.ID, g.Type, g.Origin)
	switch {
	case g.Type != targettest.DefaultType:
		return fmt.Errorf("pushed group has type %q, want %q", g.Type, targettest.DefaultType)
	case g.Origin != origin.Source:
		return fmt.Errorf("pushed group has origin %s, want source", g.Origin)
	case !g.Members.Equal(group.NewMembers("u-alice", "u-bob")):
		return fmt.Errorf("pushed group has members %v", g.Members.Slice())
	}
	return nil
}

// 3. Moving the group to another type survives later syncs.
func (w *walk) moveType() error {
	g, _ := w.app.Group(w.engineeringID)
	g.Type = "Teams"
	w.app.Put(g)
	w.out.printf("In 15Five, drag \"Engineering\" to the Teams group type.\n")
	w.setPush(groupsync.SourceGroup{ID: engID, Name: "Engineering", Members: []string{"u-alice", "u-grace"}})
	w.out.printf("In Okta, replace u-bob with u-grace in \"Engineering\"; Okta syncs.\n")
	if _, _, err := w.sync(w.okta, false); err != nil {
		return err
	}
	after, _ := w.app.Group(w.engineeringID)
	w.showApp()
	w.out.printf("Only ID, name and members synced: \"Engineering\" keeps id %s and the %s type;\n", after.ID, after.Type)
	w.out.printf("its members are %s.\n", list(after.Members))
	switch {
	case after.Type != "Teams":
		return fmt.Errorf("the sync changed the group type to %q", after.Type)
	case after.ID != g.ID || after.Name != "Engineering":
		return fmt.Errorf("the sync changed the group to %s %q", after.ID, after.Name)
	case !after.Members.Equal(group.NewMembers("u-alice", "u-grace")):
		return fmt.Errorf("members are %v after the sync", after.Members.Slice())
	}
	return nil
}

// 4. An Okta group of exactly the same name takes over the app group's
// membership; no duplicate is created.
func (w *walk) associate() error {
	before, _ := w.app.Group(w.leadershipID)
	w.out.printf("Before: 15Five's \"Leadership\" (%s) has members %s.\n", before.ID, list(before.Members))
	w.setPush(groupsync.SourceGroup{ID: leadID, Name: "Leadership", Members: []string{"u-alice", "u-carol", "u-erin"}})
	w.out.printf("In Okta, create a group with the exact same name, \"Leadership\", add the correct members\n")
	w.out.printf("(u-alice, u-carol, u-erin) and click Push Groups.\n")
	if _, _, err := w.sync(w.okta, false); err != nil {
		return err
	}
	after, _ := w.app.Group(w.leadershipID)
	n := w.countNamed("Leadership")
	w.out.printf("After: \"Leadership\" (%s) has members %s: membership overwritten,\n", after.ID, list(after.Members))
	w.out.printf("%s named \"Leadership\" (no duplicate), type %s and origin %s kept.\n", groups(n), after.Type, after.Origin)
	w.showApp()
	switch {
	case n != 1:
		return fmt.Errorf("%d groups are named Leadership, want 1", n)
	case !after.Members.Equal(group.NewMembers("u-alice", "u-carol", "u-erin")):
		return fmt.Errorf("group Leadership has members %v", after.Members.Slice())
	case after.Type != before.Type || after.Origin != before.Origin:
		return fmt.Errorf("group Leadership changed type or origin: %s, %s", after.Type, after.Origin)
	}
	return nil
}

// 5. A name that matches only after case and white-space folding would
// create a duplicate; the blocking policy stops it.
func (w *walk) nearMiss() error {
	w.setPush(groupsync.SourceGroup{ID: nearID, Name: nearName, Members: []string{"u-alice"}})
	w.out.printf("In Okta, a group is named %q (lower case, trailing space) and pushed,\n", nearName)
	w.out.printf("with the policy sync.Policy{BlockNearDuplicates: true}.\n")
	strict := *w.okta
	strict.Policy = groupsync.Policy{BlockNearDuplicates: true}
	p, _, err := w.sync(&strict, false)
	if err != nil {
		return err
	}
	n := w.countNamed(nearName)
	w.showApp()
	w.out.printf("Not created: %s named %q, %s named \"Leadership\".\n",
		groups(n), nearName, groups(w.countNamed("Leadership")))
	w.drop(nearID)
	w.out.printf("Okta takes %q off the push list until its name is corrected.\n", nearName)
	switch f, ok := finding(p, nearID, groupsync.NearDuplicate); {
	case !ok || !f.Blocked:
		return errors.New("the plan does not block the near duplicate")
	case n != 0:
		return fmt.Errorf("%d groups named %q were created", n, nearName)
	}
	return nil
}

// 6. A group created in 15Five and imported to Okta cannot be edited in
// Okta.
func (w *walk) readOnly() error {
	before, _ := w.app.Group(w.salesID)
	w.out.printf("\"Sales\" was created in 15Five (%s) and imported to Okta. In Okta, someone sets its\n", before.ID)
	w.out.printf("members to u-alice, u-bob, u-erin.\n")
	w.setPush(groupsync.SourceGroup{ID: salesSrcID, Name: "Sales", ImportedFrom: w.salesID,
		Members: []string{"u-alice", "u-bob", "u-erin"}})
	writes := w.wire.writes
	p, _, err := w.sync(w.okta, false)
	if err != nil {
		return err
	}
	f, ok := finding(p, salesSrcID, groupsync.ReadOnly)
	after, _ := w.app.Group(w.salesID)
	w.out.printf("errors.Is(finding, origin.ErrReadOnly) = %t: manage the group in 15Five.\n", errors.Is(f, origin.ErrReadOnly))
	w.out.printf("Okta wrote nothing (%s to 15Five); \"Sales\" still has members %s.\n",
		plural(w.wire.writes-writes, "write"), list(after.Members))
	w.out.printf("Create groups in Okta first, then push them, to avoid the read-only limitation.\n")
	w.drop(salesSrcID)
	switch {
	case !ok || !errors.Is(f, origin.ErrReadOnly):
		return errors.New("the plan has no read-only finding for Sales")
	case w.wire.writes != writes:
		return fmt.Errorf("okta wrote %d times to 15Five", w.wire.writes-writes)
	case !same(before, after):
		return fmt.Errorf("group Sales changed: %+v", after)
	}
	return nil
}

// 7. A normal sync pushes differences from what Okta last pushed; a force
// sync reads 15Five and repairs drift.
func (w *walk) forceSync() error {
	g, _ := w.app.Group(w.engineeringID)
	g.Members = g.Members.With("u-mallory")
	w.app.Put(g)
	w.out.printf("In 15Five, someone adds u-mallory to \"Engineering\" by hand: members %s.\n", list(g.Members))
	w.out.printf("A normal sync pushes only the differences from what Okta last pushed; it does not see the change:\n")
	p, _, err := w.sync(w.okta, false)
	if err != nil {
		return err
	}
	if p.Len() != 0 {
		return fmt.Errorf("the normal sync plans %d operations, want none", p.Len())
	}
	w.out.printf("A force sync reads every linked group from 15Five and repairs the drift:\n")
	if _, _, err := w.sync(w.okta, true); err != nil {
		return err
	}
	after, _ := w.app.Group(w.engineeringID)
	w.out.printf("\"Engineering\" has members %s again.\n", list(after.Members))
	if !after.Members.Equal(group.NewMembers("u-alice", "u-grace")) {
		return fmt.Errorf("after the force sync Engineering has members %v", after.Members.Slice())
	}
	return nil
}

// 8. Every row of the troubleshooting table, from the store's state and a
// current plan.
func (w *walk) troubleshoot() error {
	unavailable := errors.New("503 service unavailable")
	w.app.Fail = func(method, id string) error {
		if method == "Update" && id == w.engineeringID {
			return unavailable
		}
		return nil
	}
	defer func() { w.app.Fail = nil }()

	w.out.printf("Three things go wrong:\n")
	w.out.printf("  - In Okta, u-heidi joins \"Engineering\", but 15Five fails every update to it (503).\n")
	w.setPush(groupsync.SourceGroup{ID: engID, Name: "Engineering", Members: []string{"u-alice", "u-grace", "u-heidi"}})
	w.out.printf("  - %q is pushed again, this time without BlockNearDuplicates.\n", nearName)
	w.setPush(groupsync.SourceGroup{ID: nearID, Name: nearName, Members: []string{"u-alice"}})
	w.out.printf("  - In Okta, someone edits the imported \"Sales\" group again.\n")
	w.setPush(groupsync.SourceGroup{ID: salesSrcID, Name: "Sales", ImportedFrom: w.salesID,
		Members: []string{"u-alice", "u-bob", "u-erin"}})

	w.out.printf("Sync attempt at %s:\n", stamp(w.clock.Now()))
	if _, _, err := w.sync(w.okta, false); !failed(err, engID) {
		return fmt.Errorf("first attempt: got error %v, want Engineering to fail", err)
	}
	w.showApp()
	w.out.printf("The push created %q beside \"Leadership\": a duplicate.\n", nearName)
	w.clock.tick()
	w.out.printf("Okta retries at %s:\n", stamp(w.clock.Now()))
	if err := w.apply(w.okta, false); !failed(err, engID) {
		return fmt.Errorf("second attempt: got error %v, want Engineering to fail", err)
	}
	w.out.printf("The changes are still not appearing in 15Five. Diagnose:\n")
	first, err := w.diagnose()
	if err != nil {
		return err
	}

	w.clock.tick()
	w.out.printf("Run a force sync in Okta, at %s:\n", stamp(w.clock.Now()))
	if _, _, err := w.sync(w.okta, true); !failed(err, engID) {
		return fmt.Errorf("force sync: got error %v, want Engineering to fail", err)
	}
	w.out.printf("The force sync does not resolve the delay. Diagnose:\n")
	ds, err := w.diagnose()
	if err != nil {
		return err
	}
	got := map[groupsync.Problem]groupsync.Diagnosis{}
	for _, d := range append(first, ds...) {
		got[d.Problem] = d
	}
	for _, p := range []groupsync.Problem{groupsync.ChangesPending, groupsync.ReadOnlyInSource,
		groupsync.DuplicateCreated, groupsync.ForceSyncFailed} {
		if _, ok := got[p]; !ok {
			return fmt.Errorf("no %q row from Diagnose", p)
		}
	}
	d := got[groupsync.ForceSyncFailed]
	if d.Name != "Engineering" || !d.LastAttempt.Equal(w.clock.Now()) {
		return fmt.Errorf("support request names %q at %s, want Engineering at %s", d.Name, stamp(d.LastAttempt), stamp(w.clock.Now()))
	}
	w.out.printf("Contact 15Five Support with the group name and the timestamp of the last sync attempt:\n")
	w.out.printf("  group %q, last sync attempt %s\n", d.Name, stamp(d.LastAttempt))
	return nil
}

// diagnose prints the troubleshooting findings of the store's state and a
// current plan, one row of the article's table each.
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
	for _, d := range ds {
		w.out.printf("  ! %q: %s\n", d.Name, d.Problem)
		w.out.printf("      check: %s\n", d.Problem.Check())
		switch {
		case d.Problem == groupsync.ForceSyncFailed:
			w.out.printf("      seen:  last sync attempt %s (forced): %s\n", stamp(d.LastAttempt), d.Detail)
		case !d.Since.IsZero():
			w.out.printf("      seen:  pending since %s, last attempt %s: %s\n", stamp(d.Since), stamp(d.LastAttempt), d.Detail)
		case d.Detail != "":
			w.out.printf("      seen:  %s\n", d.Detail)
		}
		w.out.printf("      fix:   %s\n", d.Problem.Fix())
	}
	return ds, nil
}

// sync plans the push list with a, prints the plan, applies it and prints
// what it did. It returns the apply error.
func (w *walk) sync(a *groupsync.Applier, force bool) (groupsync.Plan, []groupsync.Status, error) {
	p, err := a.Plan(w.ctx, groupsync.Input{Desired: w.push, Force: force})
	if err != nil {
		return p, nil, err
	}
	w.out.printf("%s", indent(p.String(), "  | "))
	st, err := a.Apply(w.ctx, p)
	w.outcomes(st)
	return p, st, err
}

// apply syncs like sync without printing the plan.
func (w *walk) apply(a *groupsync.Applier, force bool) error {
	_, st, err := a.Sync(w.ctx, groupsync.Input{Desired: w.push, Force: force})
	w.outcomes(st)
	return err
}

// outcomes prints how the push ended for each group it changed.
func (w *walk) outcomes(sts []groupsync.Status) {
	shown := false
	for _, st := range sts {
		switch st.Outcome {
		case groupsync.Unchanged:
			continue
		case groupsync.Failed:
			w.out.printf("  -> group %q failed: %s\n", st.Name, st.Error)
		default:
			w.out.printf("  -> group %q was %s\n", st.Name, st.Outcome)
		}
		shown = true
	}
	if !shown {
		w.out.printf("  -> every group was left unchanged\n")
	}
}

// showApp prints 15Five's Manage groups page.
func (w *walk) showApp() {
	w.out.printf("In 15Five, Settings > People > Manage groups:\n")
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  TYPE\tNAME\tID\tORIGIN\tEXTERNAL ID\tMEMBERS\n")
	groups := w.app.Groups()
	slices.SortStableFunc(groups, func(a, b group.Group) int { return strings.Compare(a.Type, b.Type) })
	for _, g := range groups {
		fmt.Fprintf(tw, "  %s\t%q\t%s\t%s\t%s\t%s\n", g.Type, g.Name, g.ID, g.Origin, dash(g.ExternalID), list(g.Members))
	}
	tw.Flush()
	w.out.printf("%s", b.String())
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

func (w *walk) countNamed(name string) int {
	n := 0
	for _, g := range w.app.Groups() {
		if g.Name == name {
			n++
		}
	}
	return n
}

func (w *walk) byExternalID(id string) (group.Group, bool) {
	for _, g := range w.app.Groups() {
		if g.ExternalID == id {
			return g, true
		}
	}
	return group.Group{}, false
}

// counter is 15Five as Okta reaches it: it counts the writes.
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

// clock is the walk-through's clock: it stands still within a step and
// moves one minute at each step and each retry.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }
func (c *clock) tick()          { c.t = c.t.Add(time.Minute) }

// printer writes to w until the first error, which it keeps.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
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

// failed reports whether err holds the failure of the group of sourceID.
func failed(err error, sourceID string) bool {
	var ge *groupsync.GroupError
	return errors.As(err, &ge) && ge.SourceID == sourceID
}

// same reports whether a and b hold the same group.
func same(a, b group.Group) bool {
	return a.ID == b.ID && a.ExternalID == b.ExternalID && a.Name == b.Name &&
		a.Members.Equal(b.Members) && a.Origin == b.Origin && a.Type == b.Type
}

func list(m group.Members) string {
	if m.Len() == 0 {
		return "(none)"
	}
	return strings.Join(m.Slice(), ", ")
}

// groups says how many groups n is, in words for none and one.
func groups(n int) string {
	switch n {
	case 0:
		return "no group"
	case 1:
		return "one group"
	}
	return fmt.Sprintf("%d groups", n)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// indent prefixes every non-empty line of s.
func indent(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != "" {
			lines[i] = prefix + l
		} else if l != "" {
			lines[i] = strings.TrimRight(prefix, " ") + l
		}
	}
	return strings.Join(lines, "")
}
