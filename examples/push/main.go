// Command push pushes groups from a source file to any SCIM 2.0 app, the way
// Okta group push does, and keeps its state in a file.
//
//	go run ./examples/push -target URL -source FILE [-db PATH|postgres://…|memory] [-force] [-dry-run] [-diagnose]
//
// The bearer token comes from -token or SCIM_TOKEN. The source file is the
// complete desired set:
//
//	{"groups":[{"id":"00g1","name":"Engineering","members":["u1","u2"]}],
//	 "users":{"u1":"target-id-1"}}
//
// Member values are target user ids, unless the optional "users" map
// translates them. Links, last-pushed snapshots, statuses and the last plan
// live in the database -db names, the SQLite file ./groupsync.db unless it
// says otherwise; a lease there keeps two runs from interleaving. Exit
// status: 0 done, 1 a group failed, 2 usage error or not connected, 3 too
// many deletes.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/groupsync/groupsync/examples/internal/database"
	"github.com/groupsync/groupsync/scimx/scimclient"
	"github.com/groupsync/groupsync/sqldialect"
	groupsync "github.com/groupsync/groupsync/sync"
	"github.com/groupsync/groupsync/sync/sqlstore"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "push:", err)
	}
	os.Exit(exitCode(err))
}

// Exit codes.
const (
	exitFailed        = 1
	exitUsage         = 2
	exitTooManyDelete = 3
)

var errUsage = errors.New("usage error")

func exitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage), errors.Is(err, groupsync.ErrNotConnected), errors.Is(err, flag.ErrHelp):
		return exitUsage
	case errors.Is(err, groupsync.ErrTooManyDeletes):
		return exitTooManyDelete
	}
	return exitFailed
}

// source is the source file.
type source struct {
	Groups []struct {
		ID      string   `json:"id"`
		Name    string   `json:"name"`
		Members []string `json:"members"`
	} `json:"groups"`
	Users map[string]string `json:"users"`
}

// options are the command line.
type options struct {
	target, source, db, token  string
	force, dryRun, diagnose    bool
	allowDeletes, deleteGroups bool
	concurrency                int
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("push", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.target, "target", "", "SCIM base URL of the app, such as http://127.0.0.1:8080/scim/v2 (required)")
	fs.StringVar(&o.source, "source", "", "JSON file with the complete desired set of groups (required)")
	fs.StringVar(&o.db, "db", "groupsync.db", `where links, snapshots, statuses and the last plan live: a SQLite file, a postgres:// URL, or "memory"`)
	fs.StringVar(&o.token, "token", "", "bearer token (default $SCIM_TOKEN)")
	fs.BoolVar(&o.force, "force", false, "force sync: compare with the app's live groups and repair drift")
	fs.BoolVar(&o.dryRun, "dry-run", false, "print the plan and write nothing")
	fs.BoolVar(&o.diagnose, "diagnose", false, "plan live and print the troubleshooting findings; write nothing")
	fs.BoolVar(&o.allowDeletes, "allow-deletes", false, "apply a plan that unlinks or deletes more than 10 groups")
	fs.BoolVar(&o.deleteGroups, "delete", false, "delete the app's group when a pushed group leaves the source (default: leave it)")
	fs.IntVar(&o.concurrency, "concurrency", 4, "groups pushed at once")
	if err := fs.Parse(args); err != nil {
		return o, fmt.Errorf("%w: %w", errUsage, err)
	}
	if o.token == "" {
		o.token = os.Getenv("SCIM_TOKEN")
	}
	var missing []string
	for _, f := range []struct{ name, v string }{{"-target", o.target}, {"-source", o.source}, {"-token or SCIM_TOKEN", o.token}} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 || fs.NArg() > 0 {
		fs.Usage()
		return o, fmt.Errorf("%w: missing %s", errUsage, strings.Join(missing, ", "))
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	o, err := parse(args, stdout)
	if err != nil {
		return err
	}
	src, err := readSource(o.source)
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	client, err := scimclient.New(o.target, scimclient.Options{Auth: scimclient.Bearer(o.token)})
	if err != nil {
		return err
	}
	store, closeStore, err := openStore(ctx, o.db)
	if err != nil {
		return err
	}
	defer closeStore()
	policy := groupsync.Policy{}
	if o.deleteGroups {
		policy.Unlink = groupsync.Delete
	}
	a := &groupsync.Applier{Policy: policy, Target: client, Store: store, Concurrency: o.concurrency, LeaseWait: time.Minute}
	in := groupsync.Input{Desired: src.desired(), Users: src.Users, Force: o.force || o.diagnose, AllowDeletes: o.allowDeletes}

	ctx, unlock, err := a.Lock(ctx) // no other run interleaves with this one
	if err != nil {
		return err
	}
	defer unlock()
	plan, err := a.Plan(ctx, in)
	if err != nil {
		return err
	}
	if o.diagnose {
		st, err := store.Load(ctx)
		if err != nil {
			return err
		}
		ds := groupsync.Diagnose(st, plan)
		if len(ds) == 0 {
			fmt.Fprintln(stdout, "No problems found.")
		}
		for _, d := range ds {
			fmt.Fprintf(stdout, "! %s\n    check: %s\n    fix:   %s\n", d.Problem, d.Problem.Check(), d.Problem.Fix())
			fmt.Fprintf(stdout, "    %s\n", d)
		}
		return nil
	}
	fmt.Fprint(stdout, plan)
	if o.dryRun {
		return plan.Err()
	}
	if plan.Len() > 0 && len(plan.Groups) > 20 {
		a.Progress = progressBar(os.Stderr)
	}
	start := time.Now()
	statuses, err := a.Apply(ctx, plan)
	summary(stdout, statuses, time.Since(start))
	return err
}

// openStore opens the store -db names (see [database.Open]), migrated to
// the current schema.
func openStore(ctx context.Context, spec string) (groupsync.Store, func() error, error) {
	return database.Open(ctx, spec, func() groupsync.Store { return &groupsync.MemStore{} },
		func(ctx context.Context, db *sql.DB, d sqldialect.Dialect) (groupsync.Store, error) {
			s := sqlstore.New(db, d)
			return s, s.Migrate(ctx)
		})
}

func readSource(path string) (source, error) {
	var src source
	data, err := os.ReadFile(path)
	if err != nil {
		return src, err
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&src); err != nil {
		return src, fmt.Errorf("source file %s: %w", path, err)
	}
	return src, nil
}

func (s source) desired() []groupsync.SourceGroup {
	out := make([]groupsync.SourceGroup, len(s.Groups))
	for i, g := range s.Groups {
		out[i] = groupsync.SourceGroup{ID: g.ID, Name: g.Name, Members: g.Members}
	}
	return out
}

// progressBar draws one line on w, rewritten after each group.
func progressBar(w io.Writer) func(done, total int, s groupsync.Status) {
	return func(done, total int, _ groupsync.Status) {
		const width = 30
		n := done * width / total
		fmt.Fprintf(w, "\r[%s%s] %d/%d groups", strings.Repeat("=", n), strings.Repeat(" ", width-n), done, total)
		if done == total {
			fmt.Fprintln(w)
		}
	}
}

// summary prints how each group ended, failures with their error.
func summary(w io.Writer, statuses []groupsync.Status, took time.Duration) {
	counts := map[groupsync.Outcome]int{}
	for _, s := range statuses {
		counts[s.Outcome]++
		if s.Outcome == groupsync.Failed || s.Outcome == groupsync.Blocked {
			fmt.Fprintf(w, "group %q %s: %s\n", s.Name, s.Outcome, s.Error)
		}
		if len(s.Refused) > 0 {
			fmt.Fprintf(w, "group %q: the app refused %d members: %s\n", s.Name, len(s.Refused), strings.Join(s.Refused, ", "))
		}
	}
	var parts []string
	for o := groupsync.Unchanged; o <= groupsync.Failed; o++ {
		if counts[o] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[o], o))
		}
	}
	if len(parts) == 0 {
		parts = []string{"nothing to do"}
	}
	fmt.Fprintf(w, "Done in %s: %s.\n", took.Round(time.Millisecond), strings.Join(parts, ", "))
}
