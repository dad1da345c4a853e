// Command push pushes groups from a source file to any SCIM 2.0 app, the way
// Okta group push does, and keeps its state in a database.
//
//	go run ./examples/push -target URL -source FILE [flags]
//
// `push -h` prints the synopsis, the source file's format, every flag and
// the exit codes (see [usageHead] and [usageTail]). The bearer token comes
// from -token or SCIM_TOKEN. The source file is the complete desired set:
//
//	{"groups":[{"id":"00g1","name":"Engineering","members":["u1","u2"]}],
//	 "users":{"u1":"target-id-1"}}
//
// Member values are target user ids, unless the optional "users" map
// translates them. Links, last-pushed snapshots, statuses and the last plan
// live in the database -db names, the SQLite file ./groupsync.db unless it
// says otherwise, under the target's name (-target-name, the target URL by
// default): one database holds any number of targets, and several push
// processes may share it, a lease per target keeping two runs of one target
// from interleaving. Exit status: 0 done, 1 a group failed (or -diagnose
// found a problem), 2 usage error, 3 too many deletes, 4 the target is not
// connected or unavailable.
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
	if err != nil && !errors.Is(err, errReported) {
		fmt.Fprintln(os.Stderr, "push:", err)
	}
	os.Exit(exitCode(err))
}

// Exit codes.
const (
	exitFailed         = 1
	exitUsage          = 2
	exitTooManyDeletes = 3
	exitUnavailable    = 4
)

var (
	errUsage = errors.New("usage error")
	// errProblems: -diagnose found a problem.
	errProblems = errors.New("problems found")
	// errReported wraps an error whose explanation was printed already.
	errReported = errors.New("reported")
)

func exitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		return exitUsage
	case errors.Is(err, groupsync.ErrTooManyDeletes):
		return exitTooManyDeletes
	case errors.Is(err, groupsync.ErrNotConnected), errors.Is(err, groupsync.ErrUnavailable):
		return exitUnavailable
	}
	return exitFailed
}

// usageHead and usageTail frame the flags in the -h text.
const usageHead = `Usage: push -target URL -source FILE [flags]

Push groups from a JSON source file to a SCIM 2.0 app, the way Okta group
push does: only names and members sync, a group associates with an app group
of exactly the same name, app-created groups are read-only, and a normal
sync pushes what changed since the last push.

The source file holds the complete desired set of groups and, optionally, a
map from source user ids to the app's user ids:

  {"groups": [{"id": "00g1", "name": "Engineering", "members": ["u1", "u2"]}],
   "users":  {"u1": "app-user-id-1", "u2": "app-user-id-2"}}

A pushed group that leaves the file is unlinked (or deleted, with -delete);
with -only, just the named groups are pushed and no other is unlinked.

Flags:
`

const usageTail = `
Exit status:
  0  done
  1  a group failed; with -diagnose, a problem was found
  2  usage error
  3  too many deletes: nothing was pushed; check the source, then run again
     with -allow-deletes
  4  the target is not connected or unavailable; the next run resumes
`

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
	target, source, db, token, targetName string
	only                                  string
	force, dryRun, diagnose, quiet        bool
	allowDeletes, deleteGroups            bool
	concurrency                           int
	deadline, retryWait, unavailableAfter time.Duration
	leaseWait                             time.Duration
	progressEvery                         time.Duration
}

func flags(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("push", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.target, "target", "", "SCIM base URL of the app, such as http://127.0.0.1:8080/scim/v2 (required)")
	fs.StringVar(&o.source, "source", "", "JSON file with the desired groups (required; see above)")
	fs.StringVar(&o.token, "token", "", "bearer token (default $SCIM_TOKEN)")
	fs.StringVar(&o.db, "db", "groupsync.db", `where links, snapshots, statuses and the last plan live: a SQLite file, a postgres:// URL, or "memory"`)
	fs.StringVar(&o.targetName, "target-name", "", "the target's name in the database, which may hold many targets (default: the -target URL)")
	fs.BoolVar(&o.force, "force", false, "force sync: compare with the app's live groups and repair drift")
	fs.BoolVar(&o.dryRun, "dry-run", false, "print the plan and write nothing")
	fs.BoolVar(&o.diagnose, "diagnose", false, "print the troubleshooting findings of the last push and of the app's live state; write nothing")
	fs.StringVar(&o.only, "only", "", "push now just these source group ids, comma separated; no other group is unlinked")
	fs.BoolVar(&o.allowDeletes, "allow-deletes", false, "apply a plan that unlinks or deletes more than 10 groups")
	fs.BoolVar(&o.deleteGroups, "delete", false, "delete the app's group when a pushed group leaves the source (default: leave it)")
	fs.IntVar(&o.concurrency, "concurrency", 4, "groups pushed at once")
	fs.DurationVar(&o.deadline, "deadline", 0, "stop the run after this long, such as 10m; groups not attempted are pushed by the next run (default: none)")
	fs.DurationVar(&o.retryWait, "retry-wait", 5*time.Minute, "the longest one request waits in retries of 429 and 5xx answers")
	fs.DurationVar(&o.unavailableAfter, "unavailable-after", 30*time.Second, "stop retrying once the app has not answered for this long; the run then stops")
	fs.DurationVar(&o.leaseWait, "lease-wait", time.Minute, "how long to wait for another run of the same target to finish")
	fs.BoolVar(&o.quiet, "quiet", false, "print no progress")
	return fs
}

// printUsage writes the -h text to w.
func printUsage(w io.Writer) {
	var o options
	fs := flags(&o)
	fs.SetOutput(w)
	fmt.Fprint(w, usageHead)
	fs.PrintDefaults()
	fmt.Fprint(w, usageTail)
}

func parse(args []string) (options, error) {
	o := options{progressEvery: 5 * time.Second}
	fs := flags(&o)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, fmt.Errorf("%w: %w (push -h for help)", errUsage, err)
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
	switch {
	case len(missing) > 0:
		return o, fmt.Errorf("%w: missing %s (push -h for help)", errUsage, strings.Join(missing, ", "))
	case fs.NArg() > 0:
		return o, fmt.Errorf("%w: unexpected arguments %q (push -h for help)", errUsage, fs.Args())
	case o.concurrency < 1:
		return o, fmt.Errorf("%w: -concurrency must be at least 1", errUsage)
	case o.deadline < 0 || o.retryWait <= 0 || o.unavailableAfter <= 0:
		return o, fmt.Errorf("%w: -deadline may not be negative, -retry-wait and -unavailable-after must be positive", errUsage)
	}
	if o.targetName == "" {
		o.targetName = o.target
	}
	return o, nil
}

// env is where run writes and what it knows of its terminal.
type env struct {
	stdout, stderr io.Writer
	terminal       bool // stderr is a terminal: redraw one progress line
	now            func() time.Time
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	return runIn(ctx, args, env{stdout: stdout, stderr: os.Stderr, terminal: isTerminal(os.Stderr), now: time.Now})
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func runIn(ctx context.Context, args []string, e env) error {
	o, err := parse(args)
	if errors.Is(err, flag.ErrHelp) {
		printUsage(e.stdout)
		return nil
	}
	if err != nil {
		return err
	}
	src, err := readSource(o.source)
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	prog := &progress{w: e.stderr, terminal: e.terminal, quiet: o.quiet, every: o.progressEvery, now: e.now}
	client, err := scimclient.New(o.target, scimclient.Options{
		Auth: scimclient.Bearer(o.token), MaxRetryWait: o.retryWait, UnavailableAfter: o.unavailableAfter,
		ListProgress: func(n int) { prog.update("listing", n, -1) },
	})
	if err != nil {
		return err
	}
	store, closeStore, err := openStore(ctx, o.db, o.targetName)
	if err != nil {
		return err
	}
	defer closeStore()
	policy := groupsync.Policy{}
	if o.deleteGroups {
		policy.Unlink = groupsync.Delete
	}
	a := &groupsync.Applier{Policy: policy, Target: client, Store: store, Concurrency: o.concurrency, LeaseWait: o.leaseWait,
		ReadProgress: func(done, total int) { prog.update("reading", done, total) },
		Progress:     func(done, total int, _ groupsync.Status) { prog.update("applying", done, total) },
	}
	in := groupsync.Input{Desired: src.desired(), Users: src.Users, Force: o.force || o.diagnose, AllowDeletes: o.allowDeletes}
	if o.only != "" {
		in.Only = strings.Split(o.only, ",")
	}

	ctx, unlock, err := a.Lock(ctx) // no other run of this target interleaves with this one
	if err != nil {
		return err
	}
	defer unlock()
	if o.deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.deadline)
		defer cancel()
	}
	if o.diagnose {
		return diagnose(ctx, e.stdout, a, in, prog)
	}
	plan, err := a.Plan(ctx, in)
	prog.done()
	if err != nil {
		return err
	}
	if refusal := plan.Err(); refusal != nil {
		if o.dryRun {
			fmt.Fprint(e.stdout, plan)
		} else {
			// Record the refusal (R12), without the plan's every line.
			_, _ = a.Apply(ctx, plan)
			fmt.Fprint(e.stdout, firstLine(plan.String()))
		}
		var f groupsync.Finding
		if errors.As(refusal, &f) {
			fmt.Fprintf(e.stdout, "Refused: the plan unlinks or deletes %d groups, more than the limit of %d, so nothing was pushed.\n"+
				"If the source is complete (a partial source read must not wipe the app), run again with -allow-deletes.\n", f.Count, f.Limit)
		}
		return fmt.Errorf("%w: %w", errReported, refusal)
	}
	fmt.Fprint(e.stdout, plan)
	if o.dryRun {
		return nil
	}
	start := e.now()
	statuses, err := a.Apply(ctx, plan)
	prog.done()
	summary(e.stdout, statuses, e.now().Sub(start))
	if err == nil {
		return nil
	}
	// The summary named the failed groups; say why the run stopped, if it
	// did, and no more.
	for _, e2 := range joined(err) {
		var ge *groupsync.GroupError
		if !errors.As(e2, &ge) {
			fmt.Fprintf(e.stdout, "push: %v\n", e2)
		}
	}
	return fmt.Errorf("%w: %w", errReported, err)
}

// joined returns the errors joined in err, or err alone.
func joined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// diagnose prints the troubleshooting findings, each once: those of the
// store and, when the app answers, those of a force plan of its live
// state. It returns errProblems when there is one.
func diagnose(ctx context.Context, w io.Writer, a *groupsync.Applier, in groupsync.Input, prog *progress) error {
	st, err := a.Store.Load(ctx)
	if err != nil {
		return err
	}
	current, perr := a.Plan(ctx, in) // writes nothing
	prog.done()
	ds := groupsync.Diagnose(st, current)
	if perr != nil {
		ds = groupsync.Diagnose(st, groupsync.Plan{})
	}
	for _, d := range ds {
		fmt.Fprintf(w, "! %q: %s\n", d.Name, d.Problem)
		fmt.Fprintf(w, "    check: %s\n", d.Problem.Check())
		switch {
		case d.Problem == groupsync.ForceSyncFailed:
			fmt.Fprintf(w, "    seen:  last sync attempt %s (forced): %s\n", stamp(d.LastAttempt), d.Detail)
		case !d.Since.IsZero():
			fmt.Fprintf(w, "    seen:  pending since %s: %s\n", stamp(d.Since), d.Detail)
		case d.Detail != "":
			fmt.Fprintf(w, "    seen:  %s\n", d.Detail)
		}
		fmt.Fprintf(w, "    fix:   %s\n", d.Fix())
	}
	if perr != nil {
		fmt.Fprintf(w, "The app's live state was not checked: %v\n", perr)
		return fmt.Errorf("%w: %w", errReported, perr)
	}
	if len(ds) == 0 {
		fmt.Fprintln(w, "No problems found.")
		return nil
	}
	fmt.Fprintf(w, "%d found.\n", len(ds))
	return fmt.Errorf("%w: %w", errReported, errProblems)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i+1]
	}
	return s + "\n"
}

// openStore opens the store -db names (see [database.Open]), migrated to
// the current schema, for the target called name.
func openStore(ctx context.Context, spec, name string) (groupsync.Store, func() error, error) {
	return database.Open(ctx, spec, func() groupsync.Store { return &groupsync.MemStore{} },
		func(ctx context.Context, db *sql.DB, d sqldialect.Dialect) (groupsync.Store, error) {
			s := sqlstore.New(db, d)
			return s.ForTarget(name), s.Migrate(ctx)
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

// progress reports how far listing, reading and applying are: on a
// terminal one line, redrawn, with the rate and the time left; elsewhere a
// plain line every so often; nothing when quiet. It is called from one
// goroutine at a time.
type progress struct {
	w        io.Writer
	terminal bool
	quiet    bool
	every    time.Duration
	now      func() time.Time

	stage       string
	start, last time.Time
	line        bool // a terminal line is drawn
	count, all  int
}

// update records that done of total items of stage are done; total is
// negative when unknown.
func (p *progress) update(stage string, done, total int) {
	if p.quiet {
		return
	}
	now := p.now()
	if stage != p.stage {
		p.done()
		p.stage, p.start, p.last = stage, now, time.Time{}
	}
	p.count, p.all = done, total
	finished := total >= 0 && done >= total
	gap := p.every
	if p.terminal {
		gap = 100 * time.Millisecond
	}
	if !finished && !p.last.IsZero() && now.Sub(p.last) < gap {
		return
	}
	if p.last.IsZero() && !finished && !p.terminal && now.Sub(p.start) < gap {
		return // a stage done within the period prints one line, at its end
	}
	p.last = now
	p.draw(now)
	if finished {
		p.done()
	}
}

func (p *progress) draw(now time.Time) {
	s := fmt.Sprintf("push: %s %d", p.stage, p.count)
	if p.all >= 0 {
		s += fmt.Sprintf("/%d", p.all)
	}
	s += " groups"
	if el := now.Sub(p.start); el > 0 && p.count > 0 {
		rate := float64(p.count) / el.Seconds()
		s += fmt.Sprintf(", %.0f/s", rate)
		if p.all > p.count {
			left := time.Duration(float64(p.all-p.count) / rate * float64(time.Second))
			s += fmt.Sprintf(", %s left", left.Round(time.Second))
		}
	}
	if p.terminal {
		fmt.Fprintf(p.w, "\r\033[K%s", s)
		p.line = true
		return
	}
	fmt.Fprintln(p.w, s)
}

// done ends the current stage: a terminal line is closed, and a stage that
// printed nothing yet prints its last count.
func (p *progress) done() {
	if p.quiet || p.stage == "" {
		return
	}
	if p.last.IsZero() || p.terminal && !p.line {
		p.draw(p.now())
	}
	if p.terminal && p.line {
		fmt.Fprintln(p.w)
	}
	p.stage, p.line, p.last = "", false, time.Time{}
}

// summary prints how each group ended, failures with their error, at most
// a screenful of them.
func summary(w io.Writer, statuses []groupsync.Status, took time.Duration) {
	const maxLines = 20
	counts := map[groupsync.Outcome]int{}
	lines := 0
	for _, s := range statuses {
		counts[s.Outcome]++
		var line string
		switch {
		case s.Outcome == groupsync.Failed || s.Outcome == groupsync.Blocked:
			line = fmt.Sprintf("group %q %s: %s\n", s.Name, s.Outcome, s.Error)
		case len(s.Refused) > 0:
			line = fmt.Sprintf("group %q: the app refused %d members: %s\n", s.Name, len(s.Refused), strings.Join(s.Refused, ", "))
		}
		if line != "" {
			if lines < maxLines {
				fmt.Fprint(w, line)
			}
			lines++
		}
	}
	if lines > maxLines {
		fmt.Fprintf(w, "… and %d more; -diagnose lists every problem.\n", lines-maxLines)
	}
	var parts []string
	for o := groupsync.Unchanged; o <= groupsync.NotAttempted; o++ {
		if counts[o] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[o], o))
		}
	}
	if len(parts) == 0 {
		parts = []string{"nothing to do"}
	}
	fmt.Fprintf(w, "Done in %s: %s.\n", took.Round(time.Millisecond), strings.Join(parts, ", "))
	if n := counts[groupsync.NotAttempted]; n > 0 {
		fmt.Fprintf(w, "The run stopped before %d groups; the next run pushes them.\n", n)
	}
}
