// Walkthrough retells the reference help article, "push groups from Okta to
// 15Five", over real HTTP. 15Five is the demo app of examples/internal/app,
// started in-process on a loopback port: SCIM 2.0 under /scim/v2, and a JSON
// admin API under /admin that stands in for the app's own UI (Settings >
// People > Manage groups). Okta is a [groupsync.Applier] pushing through a
// [scimclient.Client], with a [groupsync.MemStore] for its links and statuses.
//
// Each step of the article prints what the admin does, the plan Okta makes,
// every SCIM write that goes over the wire, what the push did, and what the
// app's admin API then shows. The last step makes the app fail every update
// of one group, to walk the article's troubleshooting table down to its last
// row: contact support with the group name and the timestamp of the last
// sync attempt.
//
// The clock is injected (it starts at 2026-11-02T09:00:00Z and moves a
// minute per step and per attempt) and the app numbers its groups grp-1,
// grp-2, …, so the output is the same on every run. The program checks every
// claim it prints and fails (exit status 1) when the library departs from
// the article.
//
// Usage:
//
//	go run ./examples/walkthrough
//
// This file imports the library's sync package as groupsync, beside the
// standard library's.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	gosync "sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/groupsync/groupsync/examples/internal/app"
	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/scimx"
	"github.com/groupsync/groupsync/scimx/scimclient"
	groupsync "github.com/groupsync/groupsync/sync"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "walkthrough:", err)
		os.Exit(1)
	}
}

// start is when the walk-through starts, on its own clock.
var start = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

const usage = `usage: walkthrough [-h]

Walkthrough retells the help article "push groups from Okta to 15Five" over
HTTP: 15Five is the demo app on a loopback port, Okta a sync.Applier pushing
through a scimclient.Client. It takes no arguments.
`

// The app's credentials: Okta's bearer token (one tenant), and a wrong one.
const (
	token      = "okta-walkthrough-token"
	wrongToken = "not-the-token"
)

// The client's retry budget and per-request timeout: small, so that a
// failing target is given up on within a second. With a budget of 500 ms the
// client retries a failed request exactly once: its first backoff is between
// 250 and 500 ms, its second at least 500 ms.
const (
	maxRetryWait   = 500 * time.Millisecond
	requestTimeout = 2 * time.Second
)

// run parses args (only -h), starts the app on loopback and prints the
// walk-through to stdout. It returns an error for unknown arguments, and
// when the library does not do what the article says.
func run(ctx context.Context, args []string, stdout io.Writer) (err error) {
	fs := flag.NewFlagSet("walkthrough", flag.ContinueOnError)
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

	clk := &clock{t: start}
	w, stop, err := startApp(ctx, clk, stdout)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, stop()) }()

	steps := []struct {
		title string
		do    func() error
	}{
		{"Before you begin: SCIM is connected", w.connected},
		{"Push a new group from Okta to 15Five", w.pushNew},
		{"Move the group to a different group type", w.moveType},
		{"Associate an Okta group with an existing 15Five group", w.associate},
		{"An Okta group name that does not match exactly", w.nearMiss},
		{"A group created in 15Five is read-only in Okta", w.readOnly},
		{"Group changes are not appearing in 15Five: run a force sync", w.forceSync},
		{"A target that keeps failing: force sync does not resolve the delay", w.keepsFailing},
	}
	w.out.printf("15Five is the demo app on loopback: SCIM at /scim/v2, its Manage groups page\n")
	w.out.printf("at /admin/groups. Okta is a sync.Applier pushing through a scimclient.Client.\n")
	for i, s := range steps {
		if i > 0 {
			clk.tick()
		}
		w.out.printf("\n== %d. %s ==\n", i+1, s.title)
		if err := s.do(); err != nil {
			return fmt.Errorf("step %d (%s): %w", i+1, s.title, err)
		}
		if w.out.err != nil {
			return w.out.err
		}
	}
	return w.out.err
}

// The groups of the walk-through: Okta's ids, and a name that nearly
// matches the app's "Leadership".
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
	base  string       // the app's URL, http://127.0.0.1:port: never printed
	http  *http.Client // Okta's and the admin's connections to the app
	wire  *wire        // the app as the network sees it
	store *groupsync.MemStore
	okta  *groupsync.Applier

	// push is the push list: the complete desired set Okta syncs.
	push []groupsync.SourceGroup
	// The app's ids of the groups of the walk-through.
	leadershipID, salesID, engineeringID string
}

// startApp starts the app on a loopback port, with ids and times from clk,
// and returns the walk and a function that stops the app.
func startApp(ctx context.Context, clk *clock, stdout io.Writer) (*walk, func() error, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	base := "http://" + ln.Addr().String()
	var ids atomic.Int64
	h, err := app.New(app.Config{
		Tokens: map[string]string{token: "15five"},
		Store: &scimx.MemStore{Now: clk.Now, NewID: func() string {
			return fmt.Sprintf("grp-%d", ids.Add(1))
		}},
		BaseURL: base + "/scim/v2",
	})
	if err != nil {
		ln.Close()
		return nil, nil, err
	}
	wr := &wire{next: h}
	srv := &http.Server{Handler: wr, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	transport := &http.Transport{}
	w := &walk{
		ctx:   ctx,
		out:   &printer{w: stdout, hide: ln.Addr().String()},
		clock: clk,
		base:  base,
		http:  &http.Client{Transport: transport},
		wire:  wr,
		store: &groupsync.MemStore{},
	}
	stop := func() error {
		transport.CloseIdleConnections()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		err := srv.Shutdown(shutdown)
		if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		return err
	}
	okta, err := w.client(token)
	if err != nil {
		return nil, nil, errors.Join(err, stop())
	}
	w.okta = &groupsync.Applier{Target: okta, Store: w.store, Now: clk.Now}
	return w, stop, nil
}

// client returns a SCIM client of the app with that bearer token.
func (w *walk) client(tok string) (*scimclient.Client, error) {
	return scimclient.New(w.base+"/scim/v2", scimclient.Options{
		HTTPClient:   w.http,
		Auth:         scimclient.Bearer(tok),
		Timeout:      requestTimeout,
		MaxRetryWait: maxRetryWait,
	})
}

// 1. SCIM must already be configured: the app answers Okta, and only Okta.
func (w *walk) connected() error {
	lead, err := w.adminCreate("Leadership", "Teams", "u-carol", "u-dave")
	if err != nil {
		return err
	}
	sales, err := w.adminCreate("Sales", "Departments", "u-erin", "u-frank", "u-ivan")
	if err != nil {
		return err
	}
	w.leadershipID, w.salesID = lead.ID, sales.ID
	w.out.printf("15Five already has two groups of its own, made in the app (POST /admin/groups):\n")
	if err := w.showApp(); err != nil {
		return err
	}

	w.out.printf("In Okta, SCIM provisioning is enabled with the app's SCIM base URL (the app on\n")
	w.out.printf("loopback, /scim/v2) and its bearer token. Okta tests the connection:\n")
	okta := w.okta.Target.(*scimclient.Client)
	if err := okta.Check(w.ctx); err != nil {
		return fmt.Errorf("the app does not answer Okta: %w", err)
	}
	w.out.printf("  GET /scim/v2/Groups?startIndex=1&count=1 answers a SCIM ListResponse: connected.\n")

	w.out.printf("With a wrong token, the same test fails, and a push writes nothing:\n")
	wrong, err := w.client(wrongToken)
	if err != nil {
		return err
	}
	checkErr := wrong.Check(w.ctx)
	var he *scimclient.HTTPError
	if !errors.Is(checkErr, groupsync.ErrNotConnected) || !errors.As(checkErr, &he) || he.Status != http.StatusUnauthorized {
		return fmt.Errorf("check with a wrong token: got %v, want a 401 wrapping ErrNotConnected", checkErr)
	}
	// The error names the app's URL, port included: print the answer only.
	w.out.printf("  GET /scim/v2/Groups?startIndex=1&count=1 answers %d %s: %s;\n", he.Status, http.StatusText(he.Status), he.Detail)
	w.out.printf("  errors.Is(err, sync.ErrNotConnected) = %t.\n", errors.Is(checkErr, groupsync.ErrNotConnected))
	intruder := &groupsync.Applier{Target: wrong, Store: &groupsync.MemStore{}, Now: w.clock.Now}
	_, _, pushErr := intruder.Sync(w.ctx, groupsync.Input{Desired: []groupsync.SourceGroup{
		{ID: engID, Name: "Engineering", Members: []string{"u-alice", "u-bob"}}}})
	if !errors.Is(pushErr, groupsync.ErrNotConnected) {
		return fmt.Errorf("push with a wrong token: got %v, want ErrNotConnected", pushErr)
	}
	w.out.printf("  Push Groups with the wrong token: refused before any write (ErrNotConnected).\n")
	if err := w.showWire(); err != nil {
		return err
	}
	if n := len(w.wire.lastWrites()); n != 0 {
		return fmt.Errorf("the push with a wrong token made %d SCIM writes", n)
	}
	return w.expectGroups(2)
}

// 2. Create the group in Okta, push it, find it under the Groups type.
func (w *walk) pushNew() error {
	w.setPush(groupsync.SourceGroup{ID: engID, Name: "Engineering", Members: []string{"u-alice", "u-bob"}})
	w.out.printf("In Okta, create the group \"Engineering\" (u-alice, u-bob) and click Push Groups.\n")
	if _, err := w.sync(w.okta, false); err != nil {
		return err
	}
	st, ok, err := w.status(engID)
	if err != nil || !ok || st.TargetID == "" {
		return fmt.Errorf("no status with a target id for Engineering (%v)", err)
	}
	w.engineeringID = st.TargetID
	w.out.printf("In 15Five, go to Settings > People > Manage groups:\n")
	if err := w.showApp(); err != nil {
		return err
	}
	g, err := w.adminGet(w.engineeringID)
	if err != nil {
		return err
	}
	w.out.printf("Confirm: \"Engineering\" (%s) appears under the %s group type, origin %s.\n", g.ID, g.Type, g.Origin)
	switch {
	case g.DisplayName != "Engineering" || g.ExternalID != engID:
		return fmt.Errorf("pushed group is %q with externalId %q", g.DisplayName, g.ExternalID)
	case g.Type != scimx.DefaultType:
		return fmt.Errorf("pushed group has type %q, want %q", g.Type, scimx.DefaultType)
	case g.Origin != origin.Source.String():
		return fmt.Errorf("pushed group has origin %s, want source", g.Origin)
	case !slices.Equal(g.Members, []string{"u-alice", "u-bob"}):
		return fmt.Errorf("pushed group has members %v", g.Members)
	}
	return nil
}

// 3. Moving the group to another type in the app survives later syncs.
func (w *walk) moveType() error {
	before, err := w.adminPatch(w.engineeringID, map[string]any{"type": "Teams"})
	if err != nil {
		return err
	}
	w.out.printf("In 15Five, drag \"Engineering\" to the Teams group type\n")
	w.out.printf("(PATCH /admin/groups/%s {\"type\":\"Teams\"}).\n", w.engineeringID)
	w.setPush(groupsync.SourceGroup{ID: engID, Name: "Engineering", Members: []string{"u-alice", "u-grace"}})
	w.out.printf("In Okta, replace u-bob with u-grace in \"Engineering\" and push again.\n")
	if _, err := w.sync(w.okta, false); err != nil {
		return err
	}
	if xs := w.wire.lastWrites(); len(xs) != 1 || xs[0].method != http.MethodPatch {
		return fmt.Errorf("the push made %d SCIM writes, want one PATCH", len(xs))
	}
	w.out.printf("In 15Five, Settings > People > Manage groups:\n")
	if err := w.showApp(); err != nil {
		return err
	}
	after, err := w.adminGet(w.engineeringID)
	if err != nil {
		return err
	}
	w.out.printf("The type is not overwritten: \"Engineering\" keeps id %s and the %s type.\n", after.ID, after.Type)
	w.out.printf("Only ID, name and members synced: the PATCH named nothing but members.\n")
	switch {
	case after.Type != "Teams" || before.Type != "Teams":
		return fmt.Errorf("the sync changed the group type to %q", after.Type)
	case after.ID != before.ID || after.DisplayName != "Engineering" || after.Origin != before.Origin:
		return fmt.Errorf("the sync changed the group to %s %q, origin %s", after.ID, after.DisplayName, after.Origin)
	case !slices.Equal(after.Members, []string{"u-alice", "u-grace"}):
		return fmt.Errorf("members are %v after the sync", after.Members)
	}
	return nil
}

// 4. An Okta group of exactly the same name takes over the app group's
// membership; no duplicate is created.
func (w *walk) associate() error {
	before, err := w.adminGet(w.leadershipID)
	if err != nil {
		return err
	}
	w.out.printf("15Five's \"Leadership\" (%s, type %s, made in the app) has members %s.\n",
		before.ID, before.Type, list(before.Members))
	w.setPush(groupsync.SourceGroup{ID: leadID, Name: "Leadership", Members: []string{"u-alice", "u-carol", "u-erin"}})
	w.out.printf("In Okta, create a group with the exact same name, \"Leadership\", add the correct\n")
	w.out.printf("members (u-alice, u-carol, u-erin) and click Push Groups.\n")
	if _, err := w.sync(w.okta, false); err != nil {
		return err
	}
	w.out.printf("In 15Five, go to Settings > People > Manage groups and confirm membership updated:\n")
	if err := w.showApp(); err != nil {
		return err
	}
	after, err := w.adminGet(w.leadershipID)
	if err != nil {
		return err
	}
	n, err := w.countNamed("Leadership")
	if err != nil {
		return err
	}
	w.out.printf("\"Leadership\" (%s) now has members %s:\n", after.ID, list(after.Members))
	w.out.printf("membership overwritten, %s named \"Leadership\" (no duplicate),\n", groups(n))
	w.out.printf("its type %s and origin %s kept.\n", after.Type, after.Origin)
	switch {
	case n != 1:
		return fmt.Errorf("%d groups are named Leadership, want 1", n)
	case !slices.Equal(after.Members, []string{"u-alice", "u-carol", "u-erin"}):
		return fmt.Errorf("group Leadership has members %v", after.Members)
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
	w.out.printf("In Okta, a second group is named %q (lower case, trailing space): it does not\n", nearName)
	w.out.printf("exactly match \"Leadership\", so a push would create a duplicate. Okta's plan flags it:\n")
	p, err := w.okta.Plan(w.ctx, groupsync.Input{Desired: w.push})
	if err != nil {
		return err
	}
	w.out.printf("%s", indent(p.String(), "  | "))
	if f, ok := finding(p, nearID, groupsync.NearDuplicate); !ok || f.Blocked || !errors.Is(f, groupsync.ErrNearDuplicate) {
		return errors.New("the plan does not flag the near duplicate")
	}
	w.out.printf("Okta pushes with sync.Policy{BlockNearDuplicates: true} instead:\n")
	strict := *w.okta
	strict.Policy = groupsync.Policy{BlockNearDuplicates: true}
	p, err = w.sync(&strict, false)
	if err != nil {
		return err
	}
	if f, ok := finding(p, nearID, groupsync.NearDuplicate); !ok || !f.Blocked {
		return errors.New("the plan does not block the near duplicate")
	}
	if n := len(w.wire.lastWrites()); n != 0 {
		return fmt.Errorf("the blocked push made %d SCIM writes", n)
	}
	w.out.printf("In 15Five, Settings > People > Manage groups:\n")
	if err := w.showApp(); err != nil {
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
	w.out.printf("Not created: %s named %q, %s named \"Leadership\".\n", groups(n), nearName, groups(lead))
	w.out.printf("Correct the Okta group name to match exactly; until then Okta leaves it off the push list.\n")
	w.drop(nearID)
	if n != 0 || lead != 1 {
		return fmt.Errorf("%d groups named %q and %d named Leadership, want 0 and 1", n, nearName, lead)
	}
	return w.expectGroups(3)
}

// 6. A group created in 15Five and imported to Okta cannot be edited in
// Okta.
func (w *walk) readOnly() error {
	before, err := w.adminGet(w.salesID)
	if err != nil {
		return err
	}
	w.out.printf("\"Sales\" was created in 15Five (%s) and imported to Okta. In Okta, someone sets\n", before.ID)
	w.out.printf("its members to u-alice, u-bob, u-erin and clicks Push Groups.\n")
	w.setPush(groupsync.SourceGroup{ID: salesSrcID, Name: "Sales", ImportedFrom: w.salesID,
		Members: []string{"u-alice", "u-bob", "u-erin"}})
	p, err := w.sync(w.okta, false)
	if err != nil {
		return err
	}
	f, ok := finding(p, salesSrcID, groupsync.ReadOnly)
	if !ok || !errors.Is(f, origin.ErrReadOnly) {
		return errors.New("the plan has no read-only finding for Sales")
	}
	if n := len(w.wire.lastWrites()); n != 0 {
		return fmt.Errorf("the push of a read-only group made %d SCIM writes", n)
	}
	after, err := w.adminGet(w.salesID)
	if err != nil {
		return err
	}
	w.out.printf("errors.Is(finding, origin.ErrReadOnly) = %t; \"Sales\" still has members %s.\n",
		errors.Is(f, origin.ErrReadOnly), list(after.Members))
	if !sameGroup(before, after) {
		return fmt.Errorf("group Sales changed: %+v", after)
	}
	w.out.printf("Okta's troubleshooting says:\n")
	ds, err := w.diagnose()
	if err != nil {
		return err
	}
	if _, ok := problem(ds, salesSrcID, groupsync.ReadOnlyInSource); !ok {
		return errors.New("diagnose has no read-only row for Sales")
	}
	w.out.printf("Manage \"Sales\" in 15Five. Create groups in Okta first, then push them, to avoid\n")
	w.out.printf("the read-only limitation. Okta leaves \"Sales\" off the push list.\n")
	w.drop(salesSrcID)
	return nil
}

// 7. A normal sync pushes differences from what Okta last pushed; a force
// sync reads the app and repairs drift.
func (w *walk) forceSync() error {
	g, err := w.adminPatch(w.engineeringID, map[string]any{"members": []string{"u-alice", "u-grace", "u-mallory"}})
	if err != nil {
		return err
	}
	w.out.printf("In 15Five, someone adds u-mallory to \"Engineering\" by hand\n")
	w.out.printf("(PATCH /admin/groups/%s): members %s.\n", g.ID, list(g.Members))
	w.out.printf("Okta pushes only the differences from what it last pushed; it does not see the change:\n")
	p, err := w.sync(w.okta, false)
	if err != nil {
		return err
	}
	if n := len(w.wire.lastWrites()); p.Len() != 0 || n != 0 {
		return fmt.Errorf("the normal sync plans %d operations and makes %d SCIM writes, want none", p.Len(), n)
	}
	w.out.printf("Run a force sync in Okta: it reads every linked group from 15Five and repairs the drift:\n")
	if _, err := w.sync(w.okta, true); err != nil {
		return err
	}
	after, err := w.adminGet(w.engineeringID)
	if err != nil {
		return err
	}
	w.out.printf("\"Engineering\" has members %s again, and is still of type %s.\n", list(after.Members), after.Type)
	switch {
	case !slices.Equal(after.Members, []string{"u-alice", "u-grace"}):
		return fmt.Errorf("after the force sync Engineering has members %v", after.Members)
	case after.Type != "Teams":
		return fmt.Errorf("the force sync changed the group type to %q", after.Type)
	}
	return nil
}

// 8. The app fails every update of one group: the changes stay pending, a
// force sync fails too, and the support line names the group and the last
// attempt.
func (w *walk) keepsFailing() error {
	w.wire.fail(w.engineeringID)
	defer w.wire.fail("")
	w.out.printf("15Five now fails every update of \"Engineering\": PATCH /scim/v2/Groups/%s\n", w.engineeringID)
	w.out.printf("answers 503. The client retries, then gives up.\n")
	w.setPush(groupsync.SourceGroup{ID: engID, Name: "Engineering", Members: []string{"u-alice", "u-grace", "u-heidi"}})
	w.out.printf("In Okta, u-heidi joins \"Engineering\". Push Groups at %s:\n", stamp(w.clock.Now()))
	if _, err := w.sync(w.okta, false); !failed(err, engID) {
		return fmt.Errorf("first attempt: got error %v, want Engineering to fail", err)
	}
	if err := w.retried(); err != nil {
		return err
	}
	w.clock.tick()
	w.out.printf("Push Groups again at %s:\n", stamp(w.clock.Now()))
	if err := w.apply(w.okta, false); !failed(err, engID) {
		return fmt.Errorf("second attempt: got error %v, want Engineering to fail", err)
	}
	if err := w.retried(); err != nil {
		return err
	}
	st, _, err := w.status(engID)
	if err != nil {
		return err
	}
	if st.PendingSince.IsZero() || !st.PendingSince.Before(st.LastAttempt) {
		return fmt.Errorf("the changes of Engineering are pending since %s, last attempt %s", stamp(st.PendingSince), stamp(st.LastAttempt))
	}
	w.out.printf("Group changes are not appearing in 15Five. Okta's troubleshooting says:\n")
	ds, err := w.diagnose()
	if err != nil {
		return err
	}
	if _, ok := problem(ds, engID, groupsync.ChangesPending); !ok {
		return errors.New("diagnose has no changes-pending row for Engineering")
	}

	w.clock.tick()
	w.out.printf("Run a force sync in Okta, at %s:\n", stamp(w.clock.Now()))
	if _, err := w.sync(w.okta, true); !failed(err, engID) {
		return fmt.Errorf("force sync: got error %v, want Engineering to fail", err)
	}
	if err := w.retried(); err != nil {
		return err
	}
	w.out.printf("The force sync does not resolve the delay. Okta's troubleshooting says:\n")
	ds, err = w.diagnose()
	if err != nil {
		return err
	}
	d, ok := problem(ds, engID, groupsync.ForceSyncFailed)
	switch {
	case !ok:
		return errors.New("diagnose has no force-sync row for Engineering")
	case d.Name != "Engineering" || !d.LastAttempt.Equal(w.clock.Now()):
		return fmt.Errorf("support request names %q at %s, want Engineering at %s", d.Name, stamp(d.LastAttempt), stamp(w.clock.Now()))
	}
	if _, ok := problem(ds, engID, groupsync.ChangesPending); ok {
		return errors.New("diagnose still says to run a force sync after the force sync failed")
	}
	g, err := w.adminGet(w.engineeringID)
	if err != nil {
		return err
	}
	if slices.Contains(g.Members, "u-heidi") {
		return errors.New("u-heidi reached Engineering through a failing target")
	}
	w.out.printf("Contact 15Five Support with the group name and the timestamp of the last sync attempt:\n")
	w.out.printf("  group %q, last sync attempt %s\n", d.Name, stamp(d.LastAttempt))
	return nil
}

// retried checks that the failing group's update was tried more than once,
// with a 503 each time.
func (w *walk) retried() error {
	n := 0
	for _, x := range w.wire.lastWrites() {
		if x.method == http.MethodPatch && x.status == http.StatusServiceUnavailable {
			n++
		}
	}
	if n < 2 {
		return fmt.Errorf("the client sent %d failing PATCH requests, want a retry", n)
	}
	return nil
}

// diagnose prints the troubleshooting rows of the store's state and a
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
	if len(ds) == 0 {
		w.out.printf("  (nothing to report)\n")
	}
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

// sync plans the push list with a, prints the plan, applies it, and prints
// the SCIM writes and what the push did. It returns the plan and the apply
// error.
func (w *walk) sync(a *groupsync.Applier, force bool) (groupsync.Plan, error) {
	w.wire.take()
	p, err := a.Plan(w.ctx, groupsync.Input{Desired: w.push, Force: force})
	if err != nil {
		return p, err
	}
	w.out.printf("%s", indent(p.String(), "  | "))
	st, err := a.Apply(w.ctx, p)
	werr := w.showWire()
	w.outcomes(st)
	if werr != nil {
		return p, werr
	}
	return p, err
}

// apply syncs like sync without printing the plan.
func (w *walk) apply(a *groupsync.Applier, force bool) error {
	w.wire.take()
	_, st, err := a.Sync(w.ctx, groupsync.Input{Desired: w.push, Force: force})
	werr := w.showWire()
	w.outcomes(st)
	if werr != nil {
		return werr
	}
	return err
}

// outcomes prints how the push ended for each group it concerned.
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

// showWire prints the SCIM writes since the last call. It returns an error
// when one of them names an attribute other than ID, name and members: only
// those sync.
func (w *walk) showWire() error {
	xs := w.wire.take()
	if len(xs) == 0 {
		w.out.printf("  > no SCIM write\n")
	}
	for _, x := range xs {
		w.out.printf("  > %s\n", x)
	}
	for _, x := range xs {
		if other := x.otherAttributes(); len(other) > 0 {
			return fmt.Errorf("%s %s sent attributes %v: only ID, name and members sync", x.method, x.path, other)
		}
	}
	return nil
}

// showApp prints the app's Manage groups page, as its admin API lists it.
func (w *walk) showApp() error {
	var gs []app.Group
	if err := w.admin(http.MethodGet, "/admin/groups", nil, &gs); err != nil {
		return err
	}
	sort.SliceStable(gs, func(i, j int) bool {
		if gs[i].Type != gs[j].Type {
			return gs[i].Type < gs[j].Type
		}
		return gs[i].DisplayName < gs[j].DisplayName
	})
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  TYPE\tNAME\tID\tORIGIN\tEXTERNAL ID\tMEMBERS\n")
	for _, g := range gs {
		fmt.Fprintf(tw, "  %s\t%q\t%s\t%s\t%s\t%s\n", g.Type, g.DisplayName, g.ID, g.Origin, dash(g.ExternalID), list(g.Members))
	}
	tw.Flush()
	w.out.printf("%s", b.String())
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

// expectGroups checks that the app holds n groups.
func (w *walk) expectGroups(n int) error {
	var gs []app.Group
	if err := w.admin(http.MethodGet, "/admin/groups", nil, &gs); err != nil {
		return err
	}
	if len(gs) != n {
		return fmt.Errorf("the app holds %d groups, want %d", len(gs), n)
	}
	return nil
}

func (w *walk) countNamed(name string) (int, error) {
	var gs []app.Group
	if err := w.admin(http.MethodGet, "/admin/groups", nil, &gs); err != nil {
		return 0, err
	}
	n := 0
	for _, g := range gs {
		if g.DisplayName == name {
			n++
		}
	}
	return n, nil
}

// The admin API: what a person does in the app's UI.

func (w *walk) adminCreate(name, typ string, members ...string) (app.Group, error) {
	var g app.Group
	err := w.admin(http.MethodPost, "/admin/groups",
		map[string]any{"displayName": name, "type": typ, "members": members}, &g)
	return g, err
}

func (w *walk) adminGet(id string) (app.Group, error) {
	var g app.Group
	err := w.admin(http.MethodGet, "/admin/groups/"+id, nil, &g)
	return g, err
}

func (w *walk) adminPatch(id string, edit map[string]any) (app.Group, error) {
	var g app.Group
	err := w.admin(http.MethodPatch, "/admin/groups/"+id, edit, &g)
	return g, err
}

// admin sends one admin API request with Okta's tenant's token and decodes
// the answer into out.
func (w *walk) admin(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(w.ctx, method, w.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := w.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, errors.Unwrap(err)) // without the URL
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %s", method, path, res.Status, bytes.TrimSpace(data))
	}
	return json.Unmarshal(data, out)
}

// wire is the app as the network sees it: it records every SCIM write with
// its answer and, while a group id is set, answers 503 to PATCH requests on
// that group instead of the app.
type wire struct {
	next http.Handler

	mu      gosync.Mutex
	failing string     // the group id whose PATCH requests fail
	writes  []exchange // since the last take
	last    []exchange // the writes of the last take
}

// exchange is one SCIM write and its answer.
type exchange struct {
	method, path string
	body         map[string]any
	status       int
}

func (x *wire) fail(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.failing = id
}

// take returns and forgets the writes recorded so far.
func (x *wire) take() []exchange {
	x.mu.Lock()
	defer x.mu.Unlock()
	xs := x.writes
	x.writes, x.last = nil, xs
	return xs
}

// lastWrites returns the writes of the last take.
func (x *wire) lastWrites() []exchange {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.last
}

func (x *wire) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/scim/") || r.Method == http.MethodGet {
		x.next.ServeHTTP(rw, r)
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(rw, "cannot read the request", http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(data))
	ex := exchange{method: r.Method, path: r.URL.Path}
	_ = json.Unmarshal(data, &ex.body)

	x.mu.Lock()
	failing := x.failing != "" && r.Method == http.MethodPatch && r.URL.Path == "/scim/v2/Groups/"+x.failing
	x.mu.Unlock()
	rec := &recorder{ResponseWriter: rw, record: func(status int) {
		ex.status = status
		x.mu.Lock()
		defer x.mu.Unlock()
		x.writes = append(x.writes, ex)
	}}
	if failing {
		rec.Header().Set("Content-Type", "application/scim+json")
		rec.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(rec, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],`+
			`"status":"503","detail":"the service is temporarily unavailable"}`)
		return
	}
	x.next.ServeHTTP(rec, r)
	rec.done()
}

// recorder records the status of an answer before any of it is sent, so
// that the client never sees an answer the wire has not recorded yet.
type recorder struct {
	http.ResponseWriter
	record   func(status int)
	recorded bool
}

func (r *recorder) WriteHeader(status int) {
	if !r.recorded {
		r.recorded = true
		r.record(status)
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.recorded {
		r.WriteHeader(http.StatusOK)
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) done() {
	if !r.recorded {
		r.WriteHeader(http.StatusOK)
	}
}

// String renders the write as method, path, what it sets and the answer.
func (x exchange) String() string {
	s := x.method + " " + x.path
	if what := x.summary(); what != "" {
		s += ": " + what
	}
	return fmt.Sprintf("%s -> %d %s", s, x.status, http.StatusText(x.status))
}

// summary says what a POST or PUT sets, or what a PATCH's operations do.
func (x exchange) summary() string {
	var parts []string
	if ops, ok := x.body["Operations"].([]any); ok {
		for _, o := range ops {
			op, _ := o.(map[string]any)
			part := fmt.Sprint(op["op"])
			if p, ok := op["path"].(string); ok {
				part += " " + p
			}
			if v, ok := op["value"]; ok {
				part += " " + value(v)
			}
			parts = append(parts, part)
		}
		return strings.Join(parts, "; ")
	}
	for _, k := range attributes(x.body) {
		parts = append(parts, k+" "+value(x.body[k]))
	}
	return strings.Join(parts, ", ")
}

// otherAttributes returns the attributes the write names beyond externalId,
// displayName and members (and the id a PUT repeats): none, if only ID, name
// and members sync.
func (x exchange) otherAttributes() []string {
	var names []string
	if ops, ok := x.body["Operations"].([]any); ok {
		for _, o := range ops {
			op, _ := o.(map[string]any)
			if p, ok := op["path"].(string); ok {
				names = append(names, strings.SplitN(p, "[", 2)[0])
			} else if v, ok := op["value"].(map[string]any); ok {
				names = append(names, attributes(v)...)
			}
		}
	} else {
		names = attributes(x.body)
	}
	return slices.DeleteFunc(names, func(n string) bool {
		return n == "externalId" || n == "displayName" || n == "members" || n == "id"
	})
}

// attributes returns the attribute names of a SCIM body, sorted, without
// schemas.
func attributes(body map[string]any) []string {
	var ks []string
	for k := range body {
		if k != "schemas" {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}

// value renders an attribute value: a string quoted, a member list as its
// values.
func value(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	case []any:
		var vs []string
		for _, m := range v {
			if mo, ok := m.(map[string]any); ok {
				vs = append(vs, fmt.Sprint(mo["value"]))
			}
		}
		if len(vs) == 0 {
			return "(none)"
		}
		return strings.Join(vs, ", ")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// clock is the walk-through's clock: it stands still within a step and
// moves one minute at each step and each attempt. The app reads it from
// its own goroutines.
type clock struct {
	mu gosync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) tick() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Minute)
}

// printer writes to w until the first error, which it keeps. It refuses to
// print the app's address, whose port differs on every run.
type printer struct {
	w    io.Writer
	hide string
	err  error
}

func (p *printer) printf(format string, args ...any) {
	if p.err != nil {
		return
	}
	s := fmt.Sprintf(format, args...)
	if strings.Contains(s, p.hide) || strings.Contains(s, "127.0.0.1") {
		p.err = fmt.Errorf("refusing to print the app's address: %q", s)
		return
	}
	_, p.err = io.WriteString(p.w, s)
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

// sameGroup reports whether a and b show the same group.
func sameGroup(a, b app.Group) bool {
	return a.ID == b.ID && a.ExternalID == b.ExternalID && a.DisplayName == b.DisplayName &&
		slices.Equal(a.Members, b.Members) && a.Origin == b.Origin && a.Type == b.Type
}

func list(members []string) string {
	if len(members) == 0 {
		return "(none)"
	}
	return strings.Join(group.NewMembers(members...).Slice(), ", ")
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
