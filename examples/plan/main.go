// Plan walks the reference help article, "push groups from Okta to 15Five",
// entirely in memory: a [groupsync.Applier] stands in for Okta, pushing to
// a [targettest.Target] that stands in for 15Five, whose methods other than
// [groupsync.Target]'s are the app's own UI. The steps are those of
// examples/internal/article: each prints what the admin does, the plan Okta
// makes, what the push did, and what 15Five's "Manage groups" page then
// shows.
//
// The program checks every claim it prints and fails (exit status 1) when
// the library departs from the article.
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
	"fmt"
	"io"
	"os"
	"time"

	"github.com/groupsync/groupsync/examples/internal/article"
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

const intro = `15Five is a targettest.Target in memory; its own methods are the app's UI.
Okta is a sync.Applier pushing to it.
`

// run parses args (only -h) and prints the walk-through to stdout. It returns
// an error for unknown arguments, and when the library does not do what the
// article says.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	if help, err := article.ParseArgs("plan", usage, args, stdout); help || err != nil {
		return err
	}
	return tell(ctx, stdout, func(t *targettest.Target) groupsync.Target { return t })
}

// tell walks the article with 15Five in memory, which Okta reaches as
// reach(15Five): the tests break the target there.
func tell(ctx context.Context, stdout io.Writer, reach func(*targettest.Target) groupsync.Target) error {
	app := &memApp{t: &targettest.Target{}}
	return article.Run(ctx, article.Config{
		App:    app,
		Target: reach(app.t),
		Out:    &article.Printer{W: stdout},
		Clock:  article.NewClock(now().UTC().Truncate(time.Minute)),
		Intro:  intro,
	})
}

// memApp is 15Five as its admin reaches it: the methods of the
// targettest.Target that stand in for the app's UI.
type memApp struct{ t *targettest.Target }

func (a *memApp) Create(_ context.Context, g group.Group) (group.Group, error) {
	g.ID, g.Origin = "", origin.Target
	g, _ = a.t.Group(a.t.Put(g))
	return g, nil
}

func (a *memApp) Groups(context.Context) ([]group.Group, error) { return a.t.Groups(), nil }

func (a *memApp) SetType(_ context.Context, id, typ string) error {
	return a.edit(id, func(g *group.Group) { g.Type = typ })
}

func (a *memApp) AddMember(_ context.Context, id, member string) error {
	return a.edit(id, func(g *group.Group) { g.Members = g.Members.With(member) })
}

// edit changes the group of that id by hand, as the app's UI does.
func (a *memApp) edit(id string, change func(*group.Group)) error {
	g, ok := a.t.Group(id)
	if !ok {
		return fmt.Errorf("no group %s", id)
	}
	change(&g)
	a.t.Put(g)
	return nil
}

// errUnavailable is what the target answers while it fails a group's
// updates.
var errUnavailable = errors.New("503 service unavailable")

func (a *memApp) FailUpdates(_ context.Context, id string) (func(), error) {
	a.t.Fail = func(method, gid string) error {
		if method == "Update" && gid == id {
			return errUnavailable
		}
		return nil
	}
	return func() { a.t.Fail = nil }, nil
}
